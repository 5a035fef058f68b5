use super::*;

fn kinds(text: &str) -> Vec<(String, PhiKind)> {
    Detector::new()
        .find(text)
        .into_iter()
        .map(|s| (text[s.start..s.end].to_owned(), s.kind))
        .collect()
}

fn found(text: &str, value: &str, kind: PhiKind) {
    let got = kinds(text);
    assert!(
        got.iter().any(|(v, k)| v.contains(value) && *k == kind),
        "{value:?} as {kind} not found in {text:?}: {got:?}"
    );
}

fn nothing(text: &str) {
    let got = kinds(text);
    assert!(got.is_empty(), "false positive in {text:?}: {got:?}");
}

#[test]
fn phone_numbers_in_common_formats_are_found() {
    for p in [
        "+1 (555) 867-5309",
        "(555) 867-5309",
        "555-867-5309",
        "555.867.5309",
        "555 867 5309",
        "1-555-867-5309",
        "+15558675309",
        "555-867-5309 ext. 204",
        "+44 20 7946 0958",
    ] {
        found(&format!("Call {p} today"), p, PhiKind::Phone);
    }
    found("Phone: 867-5309", "867-5309", PhiKind::Phone);
}

#[test]
fn a_number_after_a_fax_cue_is_a_fax_number() {
    found("Fax: (555) 867-5309", "(555) 867-5309", PhiKind::Fax);
    found(
        "Tel 555-123-4567 / Fax 555-123-4568",
        "555-123-4568",
        PhiKind::Fax,
    );
    found(
        "Tel 555-123-4567 / Fax 555-123-4568",
        "555-123-4567",
        PhiKind::Phone,
    );
}

#[test]
fn identifiers_after_cue_words_take_the_cues_kind() {
    found("MRN: 00451234", "00451234", PhiKind::Mrn);
    found("Medical Record #A7734521", "A7734521", PhiKind::Mrn);
    found(r#"{"mrn": "00451234"}"#, "00451234", PhiKind::Mrn);
    found("mrn=00451234 status=ok", "00451234", PhiKind::Mrn);
    found(
        "Member ID: XGH443829101",
        "XGH443829101",
        PhiKind::HealthPlan,
    );
    found("Acct. 88213-0042", "88213-0042", PhiKind::Account);
    found("SSN: 123 45 6789", "123 45 6789", PhiKind::Ssn);
    found("DEA # AB1234563", "AB1234563", PhiKind::License);
    found("S/N: PM2841-77X", "PM2841-77X", PhiKind::Device);
    found("ZIP 94105", "94105", PhiKind::Zip);
}

#[test]
fn check_digits_find_bare_identifiers() {
    found("npi 1234567893 on file", "1234567893", PhiKind::License);
    found("prescriber AB1234563 signed", "AB1234563", PhiKind::License);
    found(
        "card 4111 1111 1111 1111 charged",
        "4111 1111 1111 1111",
        PhiKind::Account,
    );
    found(
        "VIN 1M8GDM9AXKP042788",
        "1M8GDM9AXKP042788",
        PhiKind::Vehicle,
    );
    nothing("lot 1M8GDM9A1KP042788 expired");
    found("ssn 123-45-6789", "123-45-6789", PhiKind::Ssn);
    nothing("ref 912 45 6789");
}

#[test]
fn dates_other_than_years_are_found_and_years_are_not() {
    for d in [
        "03/14/2021",
        "3/4/21",
        "2021-03-14",
        "14.03.2021",
        "March 14, 2021",
        "Mar. 14th 2021",
        "14 March 2021",
        "MARCH 2021",
    ] {
        found(&format!("seen {d} in clinic"), d, PhiKind::Date);
    }
    found("DOB: 19600229", "19600229", PhiKind::Date);
    found("seen on 3/14 for follow-up", "3/14", PhiKind::Date);
    nothing("diagnosed in 2019, stable since");
    nothing("take 1/2 tablet");
}

#[test]
fn addresses_zip_codes_email_urls_and_ips_are_found() {
    found(
        "lives at 42 Wallaby Way, Apt 3B",
        "42 Wallaby Way, Apt 3B",
        PhiKind::Address,
    );
    found(
        "1600 N. Pennsylvania Ave NW",
        "1600 N. Pennsylvania Ave NW",
        PhiKind::Address,
    );
    found(
        "Springfield, IL 62704-1234",
        "Springfield, IL 62704-1234",
        PhiKind::Address,
    );
    found("P.O. Box 1234", "P.O. Box 1234", PhiKind::Address);
    found(
        "mail jane.doe+fax@example.co.uk now",
        "jane.doe+fax@example.co.uk",
        PhiKind::Email,
    );
    found(
        "see https://portal.example.org/p?id=77.",
        "https://portal.example.org/p?id=77",
        PhiKind::Url,
    );
    found("from 192.168.10.4 at", "192.168.10.4", PhiKind::Ip);
    found(
        "from fe80::1ff:fe23:4567:890a at",
        "fe80::1ff:fe23:4567:890a",
        PhiKind::Ip,
    );
}

#[test]
fn names_are_found_after_cues_and_by_dictionary() {
    found(
        "Patient: Zyxwerth Quonk DOB 01/02/1960",
        "Zyxwerth Quonk",
        PhiKind::Name,
    );
    found("Dr. Sarah Kim-Lee, MD", "Sarah Kim-Lee", PhiKind::Name);
    found("RE: SMITH, JOHN A", "SMITH, JOHN", PhiKind::Name);
    found(
        "spoke with Maria O'Brien today",
        "Maria O'Brien",
        PhiKind::Name,
    );
    found(
        "Gonzalez, Maria presented",
        "Gonzalez, Maria",
        PhiKind::Name,
    );
    found("Mr. D'Angelo called", "D'Angelo", PhiKind::Name);
    nothing("RE: Prior Authorization Request");
    nothing("Will Call Pharmacy");
}

#[test]
fn non_phi_look_alikes_are_left_alone() {
    nothing("Job fj_01HZX3M4Q8J9K2 sent, 4 pages");
    nothing("Dx E11.9, I10; CPT 99213, 99214");
    nothing("Metformin 500 mg twice daily, Lisinopril 10mg");
    nothing("Page 2 of 5");
    nothing("Copay $1,250.00 due");
    nothing("BP 120/80, HR 72 bpm");
    nothing("2026-11-24T10:22:01Z INFO fax.sent latency_ms=182");
    nothing("Hemoglobin A1c 7.2 %, glucose 143 mg/dL");
}

#[test]
fn text_without_digits_capitals_or_at_signs_passes_untouched() {
    nothing("the patient tolerated the procedure well and was discharged home");
}

#[test]
fn spans_are_on_char_boundaries_in_non_ascii_text() {
    let text = "Größe: Patient: José Müller — Tel. 555-867-5309 — café";
    for s in Detector::new().find(text) {
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
    }
    found(text, "555-867-5309", PhiKind::Phone);
}

#[test]
fn the_anchored_fast_path_finds_exactly_what_the_reference_search_finds() {
    let d = Detector::new();
    let mut texts: Vec<String> = crate::corpus::generate(11, 120)
        .into_iter()
        .map(|d| d.text)
        .collect();
    texts.push(
        "x\u{e9}Patient: Jos\u{e9} M\u{fc}ller +1 (555) 867-5309 \u{2014} $12 (01)00884838000013"
            .to_owned(),
    );
    for text in &texts {
        let (mut fast, mut fast_machine) = (Vec::new(), Vec::new());
        d.automaton(text, &mut fast, &mut fast_machine);
        merge(&mut fast);
        let (mut slow, mut slow_machine) = (Vec::new(), Vec::new());
        email::find(text, &mut slow);
        d.find_slow(text, &mut slow, &mut slow_machine);
        merge(&mut slow);
        assert_eq!(fast, slow, "fast and reference paths disagree on {text:?}");
        assert_eq!(
            fast_machine, slow_machine,
            "fast and reference paths disagree on the machine tokens of {text:?}"
        );
    }
}

#[test]
fn a_timestamps_closing_z_is_not_taken_for_ocr_damage_but_a_misread_fax_number_still_is() {
    let d = Detector::new();
    let log = "2026-11-08T09:55:20.228Z WARN retry fj_01H9140ZX3M4Q8 later";
    let (mut spans, mut machine) = (Vec::new(), Vec::new());
    d.find_raw(log, &mut spans, &mut machine);
    assert_eq!(machine, vec![(0, 24), (36, 53)]);
    assert!(
        ocr::repair(log, &machine).is_none(),
        "{log:?} looked damaged"
    );
    assert!(ocr::repair(log, &[]).is_some());
    // `B45` is also an ICD-10 code, a look-alike but not a machine token: it is still read
    // back as a digit, and the number it belongs to is still found.
    found("Fax: (969) B45 - 1992", "(969) B45 - 1992", PhiKind::Fax);
}

#[test]
fn an_identifier_after_a_plain_id_cue_is_redacted() {
    found(
        "Insurance: Aetna PPO, ID W123456789.",
        "W123456789",
        PhiKind::Id,
    );
    nothing("ID badge required; ICD-10 E11.9");
}

#[test]
fn names_with_non_ascii_letters_are_redacted_whole() {
    let text = "Patient: José Müller-Łęcka, DOB 01/02/1960";
    found(text, "José Müller-Łęcka", PhiKind::Name);
    let out = Detector::new().find(text);
    assert!(
        out.iter()
            .all(|s| text.is_char_boundary(s.start) && text.is_char_boundary(s.end))
    );
}

#[test]
fn any_mix_of_scripts_digits_and_cue_words_is_searched_without_a_panic() {
    // Every pass slices the text; none may cut a character or panic, whatever the input.
    let pieces = [
        "Š",
        "é",
        "지",
        "ב",
        "—",
        "9",
        "0",
        "1",
        "5",
        " ",
        "  ",
        "\n",
        "-",
        "/",
        ".",
        ",",
        ":",
        "#",
        "^",
        "|",
        "\"",
        "(",
        ")",
        "age ",
        "aged",
        "MRN",
        "Dr. ",
        "IA ",
        "y/o",
        "ninety",
        "one hundred",
        "Patient: ",
        "Mr ",
        "van ",
        "in ",
        "Apt ",
        "St",
        "52753",
        "555-86",
        "Y",
        "O",
        "l",
        "S",
        "B",
        "\r\n",
        "PID|",
        "<given>",
        "\"family\": ",
        "POSPÍŠIL",
        "92",
    ];
    let d = Detector::new();
    let mut r = crate::corpus::rng::Rng::new(5);
    for _ in 0..3_000 {
        let n = r.range(1, 60) as usize;
        let text: String = (0..n).map(|_| *r.pick(&pieces)).collect();
        for s in d.find(&text) {
            assert!(s.start < s.end && s.end <= text.len(), "{text:?}");
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{text:?}"
            );
        }
    }
}

/// Whether every letter and digit of `value` in `text` is inside a found span.
fn covered(text: &str, value: &str) {
    let at = text.find(value).unwrap_or(0);
    let spans = Detector::new().find(text);
    let missed: Vec<usize> = (at..at + value.len())
        .filter(|&i| text.as_bytes()[i].is_ascii_alphanumeric())
        .filter(|&i| !spans.iter().any(|s| s.start <= i && i < s.end))
        .collect();
    assert!(
        missed.is_empty(),
        "{value:?} not covered in {text:?}: {spans:?}"
    );
}

#[test]
fn names_behind_form_cells_line_breaks_and_nicknames_are_found() {
    for (text, name) in [
        (
            "Sender           | Andreas Effler\nSender e-mail",
            "Andreas Effler",
        ),
        (
            "ATTENTION:\nAnmari Brink\t\tSent by: Elvíra'Miroslava' Haláková\n",
            "Anmari Brink",
        ),
        (
            "Sent by: Elvíra'Miroslava' Haláková\n",
            "Elvíra'Miroslava' Haláková",
        ),
        (
            "Name: Naël 'Georges' Laroche  Birth Date: 22-JUN-2009",
            "Naël 'Georges' Laroche",
        ),
        (
            "Office contact: Agnita 'Agni' Allewijn\n",
            "Agnita 'Agni' Allewijn",
        ),
        (
            "Injured person: Matej KRÚPOVÁ   DOB 2020-02-24",
            "Matej KRÚPOVÁ",
        ),
        (
            "He lives with a spouse, jens larsen, who can be reached",
            "jens larsen",
        ),
    ] {
        covered(text, name);
    }
}

#[test]
fn counties_military_boxes_and_streets_with_a_unit_are_addresses() {
    for (text, address) in [
        (
            "County of residence: Halvorson County\n",
            "Halvorson County",
        ),
        (
            "who drove from Ashtabula in Quillayute County. Reports",
            "Quillayute County",
        ),
        (
            "athenahealth\nPSC 1385 Box 3551\nWatsonville",
            "PSC 1385 Box 3551",
        ),
        (
            "Geisinger\n10578 Rockport Circles Unit 208\nGastonia",
            "10578 Rockport Circles Unit 208",
        ),
        (
            "Address: 10857 Caldwell Points, Suite 292,  Lander",
            "10857 Caldwell Points, Suite 292",
        ),
    ] {
        covered(text, address);
    }
    nothing("Take 2 tablets daily for 5 days");
}

#[test]
fn dates_with_spaces_glued_weekdays_day_ranges_and_lone_date_lines_are_found() {
    for (text, date) in [
        ("This authorization expires on 04 13 2027.", "04 13 2027"),
        (
            "Date: Saturday,January 25, 2025 at 11:38",
            "Saturday,January 25, 2025",
        ),
        (
            "USD 4504.00\nDecember 24-27, 2026   99213   $718.36",
            "December 24-27, 2026",
        ),
        ("Date of accident: 6/10 at approx. 22:23", "6/10"),
        ("Last fill: 9/17   Refills remaining: 0", "9/17"),
        ("fax +49 54 6056105\n\n2/11\n\nDr. Esteves", "2/11"),
    ] {
        covered(text, date);
    }
    nothing("Take 2 tablets 3 times daily, 1/2 tab at night");
}

#[test]
fn telephone_numbers_with_ocr_letters_glued_words_and_broken_extensions_are_whole() {
    let d = Detector::new();
    for (text, number) in [
        (
            "Call us at 830-223-2786 x1lB8 (TTY 711)",
            "830-223-2786 x1lB8",
        ),
        (
            "Phone:(679) 518-9540 e-\nxt. 049\nSent",
            "(679) 518-9540 e-\nxt. 049",
        ),
        ("Phone: 841-356-7264 xB\n079   Fax", "841-356-7264 xB\n079"),
        ("text me at 238.S08.9434or see", "238.S08.9434"),
        ("notify us at +l.346.53O.B787and destroy", "+l.346.53O.B787"),
        (
            "Reported         +1 407 725 83Sl\n\nTest",
            "+1 407 725 83Sl",
        ),
        ("Fax the form to +1-404-868-l6BO\n", "+1-404-868-l6BO"),
        (
            "BLUE SHIELD01l 44 161 8S8 0714 PAGE001",
            "01l 44 161 8S8 0714",
        ),
        (
            "Cell: 011 44 \n161 434 5072\nDriver",
            "011 44 \n161 434 5072",
        ),
    ] {
        let found: Vec<&str> = d.find(text).iter().map(|s| &text[s.start..s.end]).collect();
        assert!(found.contains(&number), "{text:?}: {found:?}");
    }
}

#[test]
fn what_a_repair_reveals_around_itself_is_kept_too() {
    // The name joined across its hyphen makes the next cell a face sheet's record number;
    // nothing of the record number itself was repaired.
    let text = "ROOM/BED\nNURME, K-\nOIDU    WS2763380    6084 5240 9187 8541    409-B\n";
    let spans = Detector::new().find(text);
    let at = text.find("WS2763380").expect("in text");
    assert!(
        spans.iter().any(|s| s.start <= at && s.end >= at + 9),
        "{:?}",
        kinds(text)
    );
}

#[test]
fn critical_numbers_broken_or_glued_by_a_fax_page_are_found_whole() {
    for (text, value) in [
        (
            "Medicare number is A725063 and SSNS036\n42546. You can",
            "S036\n42546",
        ),
        (
            "PATIENT NAME            MR #          ACCOUNT #          ATTENDING PHYSICIAN    ROOM/BED\nGUNDERSEN, MAR1US    2014-\n273910    3759 2540 3717 5494    119-B\n",
            "2014-\n273910",
        ),
        (
            "Phone: (349)366-1460  Fax No.: 011 44161 90\n1 9845\n\nCONFIDENTIAL",
            "011 44161 90\n1 9845",
        ),
        (
            "Refer to B. Orellana, FNP-BC (+33 l 39 46 23 42). Daughter",
            "+33 l 39 46 23 42",
        ),
        (
            "PAZ, FRANCISCO  \n02/09/201B  00B84\n5236   M   Page 2 of 2\n",
            "00B84\n5236",
        ),
        (
            "Hermanus, Talia V.   DOB19470129   Chart2015\n-837521\n\nDear",
            "2015\n-837521",
        ),
        (
            "ROOM/BED\nRENAUD, QUEN-\nTIN    97329720    AMF562410872    316-B\n",
            "97329720",
        ),
        (
            "PO Box 23630\nWharton, Texas  39823-2538\n+1-426-B10-4886\n8. Date of Birth",
            "+1-426-B10-4886",
        ),
        (
            "DOB: 21\nApril   Med Rec No. 2013\n-016691\nOrde-\nring: Dr. Karl-\nsson",
            "2013\n-016691",
        ),
        (
            "ROOM/BED\nKOVÁČIK-NITRA, GUSTÁV    005295860   KTW\n115261161    309-B\n",
            "005295860",
        ),
        (
            "the LOINC 2951-2 order. MRN RS0\n5ZNK.\n\nThe documents",
            "RS0\n5ZNK",
        ),
        (
            "(+1.686.582.1\n550). Daughter's cell 67\n3.699.lO25. RTC 04272026.",
            "67\n3.699.lO25",
        ),
        (
            "Medicare number is DQH347910267 andSSN 391367318.You can also text me",
            "391367318",
        ),
        (
            "MANAWAITI, TU   09/19/1990   F1BOQWU   M   Page 2 of 4\n",
            "F1BOQWU",
        ),
        (
            "Her Medicare number\nis W348684282 and S5N626 5\n4 2740. You can",
            "626 5\n4 2740",
        ),
        (
            "SSN\n(892) \n725-6701    620.8\n03.2844 \n 343 2O\n8364\n\nEMERGENCY CONTACT",
            "343 2O\n8364",
        ),
        (
            "Medicare number is 8W48JJ6HF58 andSSN127 9l 5905.You can also text",
            "127 9l 5905",
        ),
        (
            "-C (+1 (642) 450-12\n34). Daughter's cellB05\n.421.9584. RTC Sunday",
            "B05\n.421.9584",
        ),
        (
            "Her Medicare number is 858XD0620 and5SN120-29-6\n783. You can also",
            "120-29-6\n783",
        ),
        (
            "0 Box 58293\nBRA-\nINERD Minnesota, O3978\n66O 682 2B14 | fax 710-742-9894",
            "66O 682 2B14",
        ),
        (
            "Apt 18K\nKEENE, NH\n 23809\n5B2954\n5420 | fax 7234552950\n",
            "5B2954\n5420",
        ),
        (
            "Prairie\nLOMPOC,  CA  19392\n760541 \n3341\n8. Date of Birth 11/26/2013",
            "760541 \n3341",
        ),
        (
            "1 20-NOV-2026 06:09 BANNER HEALTH 935 252 9O97PAGE 001\nReceived:",
            "935 252 9O97",
        ),
        (
            "Claire,  WI   24206\nPh +49 39 0851376 FxB71 916 1095\nNCPDP 8635487",
            "B71 916 1095",
        ),
        (
            "SSN\n833.723.1700    +1 (49S) 368-4299    71014 9013\n\nEMERGENCY CONTACT",
            "71014 9013",
        ),
        (
            "(609) 444-6764 ext. 348). Daughter's ce1l20\n6 333 1925. RTC26 February",
            "20\n6 333 1925",
        ),
        (
            "Melbourne FL 75844\nFaxO11 44161 298 0509\n\nThis auth-\norization",
            "O11 44161 298 0509",
        ),
        (
            "NPI 2753905803\nSupplier fax:\n+52 SS 1066 9035\n",
            "+52 SS 1066 9035",
        ),
        (
            "SSN\n691/774-82l8   239 840 0581    380B\n09516\n\nEMERGENCY CONTACT",
            "380B\n09516",
        ),
        (
            "  14-41    AMD\nلوکس, بامشاد (2022-011413) 10/21/14 F\nTest Name",
            "2022-011413",
        ),
    ] {
        let spans = Detector::new().find(text);
        let at = text.find(value).expect("value in text");
        assert!(
            spans
                .iter()
                .any(|s| s.start <= at && s.end >= at + value.len()),
            "{value:?} in {text:?}: {:?}",
            kinds(text)
        );
    }
}
