//! Look-alikes a redactor must leave alone: clinical codes, lab values, vitals, doses,
//! versions, platform timestamps and job ids, prices, page counts, years, drug and
//! organisation names, eponyms. Each is written as a decoy span of its class.

use crate::doc::Builder;
use crate::ident::Gen;

/// Drug names (generic and brand).
pub const DRUGS: &[&str] = &[
    "metformin",
    "lisinopril",
    "atorvastatin",
    "amlodipine",
    "levothyroxine",
    "omeprazole",
    "Eliquis",
    "Xarelto",
    "Januvia",
    "Ozempic",
    "Humira",
    "Lantus",
    "warfarin",
    "Coumadin",
    "furosemide",
    "Lasix",
    "gabapentin",
    "Neurontin",
    "sertraline",
    "Zoloft",
    "prednisone",
    "albuterol",
    "ProAir HFA",
    "Synthroid",
    "hydrochlorothiazide",
    "losartan",
    "Cozaar",
    "clopidogrel",
    "Plavix",
    "tramadol",
    "oxycodone",
    "Percocet",
    "Keytruda",
    "Entresto",
    "Jardiance",
    "Farxiga",
    "Trulicity",
    "insulin glargine",
    "apixaban",
    "rosuvastatin",
    "Crestor",
    "montelukast",
    "Singulair",
    "pantoprazole",
    "Protonix",
    "escitalopram",
    "Lexapro",
    "duloxetine",
    "Cymbalta",
    "tamsulosin",
    "Flomax",
    "Dupixent",
    "Stelara",
];

/// Organisation names: payers, labs, hospitals, pharmacies, fax services.
pub const ORGS: &[&str] = &[
    "Quest Diagnostics",
    "LabCorp",
    "Aetna",
    "Cigna",
    "Humana",
    "UnitedHealthcare",
    "Blue Cross Blue Shield",
    "Anthem",
    "Kaiser Permanente",
    "Mayo Clinic",
    "Cleveland Clinic",
    "CVS Pharmacy",
    "Walgreens",
    "Rite Aid",
    "Express Scripts",
    "OptumRx",
    "Caremark",
    "Medicare",
    "Medicaid",
    "Tricare",
    "Molina Healthcare",
    "Centene",
    "WellCare",
    "Mass General Brigham",
    "Johns Hopkins Hospital",
    "Sutter Health",
    "Providence",
    "Intermountain Health",
    "Geisinger",
    "Ochsner Health",
    "Baptist Health",
    "Mercy Hospital",
    "St. Luke's Medical Center",
    "Mount Sinai",
    "NYU Langone",
    "Cedars-Sinai",
    "Northwestern Medicine",
    "Banner Health",
    "Atrium Health",
    "AdventHealth",
    "eFax",
    "RightFax",
    "Kareo",
    "athenahealth",
    "Epic MyChart",
    "Cerner",
    "Surescripts",
];

/// Diseases, signs, scales and devices named after people.
pub const EPONYMS: &[&str] = &[
    "Parkinson's disease",
    "Alzheimer's dementia",
    "Hodgkin lymphoma",
    "Crohn's disease",
    "Bell's palsy",
    "Down syndrome",
    "Graves' disease",
    "Hashimoto's thyroiditis",
    "Apgar score",
    "Babinski sign",
    "Glasgow Coma Scale",
    "Foley catheter",
    "Swan-Ganz catheter",
    "Cushing's syndrome",
    "Addison's disease",
    "Raynaud's phenomenon",
    "Sjogren's syndrome",
    "Tourette syndrome",
    "Guillain-Barre syndrome",
    "Kaposi sarcoma",
    "Wilms tumor",
    "Barrett's esophagus",
    "Meniere's disease",
    "Huntington's disease",
    "Asperger syndrome",
    "Epley maneuver",
    "Heimlich maneuver",
    "Whipple procedure",
    "Nissen fundoplication",
    "Roux-en-Y gastric bypass",
    "Lachman test",
    "McMurray test",
    "Romberg test",
    "Phalen's test",
    "Tinel's sign",
    "Murphy's sign",
    "Homan's sign",
    "Holter monitor",
    "Pap smear",
    "Gram stain",
    "Wolff-Parkinson-White syndrome",
    "Baker's cyst",
    "Dupuytren's contracture",
    "Osgood-Schlatter disease",
    "Paget's disease",
    "Bowen's disease",
    "Lyme disease",
    "Ewing sarcoma",
    "Kawasaki disease",
];

const ICD10: &[&str] = &[
    "E11.9", "I10", "Z79.4", "M54.50", "S72.001A", "J44.1", "N18.3", "F32.A", "E78.5", "I48.91",
    "K21.9", "R07.9", "Z00.00", "G47.33", "E66.01", "I25.10", "J45.909", "M17.11", "C50.911",
    "O24.419", "Z23", "R53.83", "E03.9", "N39.0", "I50.22", "F41.1", "M81.0", "H40.1131", "L40.0",
    "T78.40XA",
];
const CPT: &[&str] = &[
    "99213", "99214", "99215", "99203", "80053", "85025", "93000", "71046", "36415", "83036",
    "80061", "84443", "97110", "20610", "G0439", "99396", "90471", "45378", "70553", "77067",
];
const HCPCS: &[&str] = &[
    "J1885", "G0439", "A4253", "E0601", "J3301", "L3908", "K0001", "Q4131", "J0897", "A4259",
];
const LOINC: &[&str] = &[
    "4548-4", "2345-7", "2160-0", "718-7", "2093-3", "13457-7", "2571-8", "2085-9", "6690-2",
    "789-8", "777-3", "17861-6", "2951-2", "2823-3", "1742-6", "33914-3", "14959-1", "3016-3",
];
const SNOMED: &[&str] = &[
    "44054006",
    "73211009",
    "38341003",
    "195967001",
    "22298006",
    "840539006",
    "233604007",
    "49436004",
    "35489007",
    "13645005",
    "414545008",
    "271737000",
    "68566005",
    "230690007",
];
const UNITS: &[&str] = &[
    "mg/dL", "mmol/L", "g/dL", "%", "K/uL", "mIU/L", "ng/mL", "U/L", "mEq/L", "fL",
];
const TESTS: &[&str] = &[
    "Hemoglobin A1c",
    "Glucose, fasting",
    "Creatinine",
    "Hemoglobin",
    "LDL cholesterol",
    "Potassium",
    "Sodium",
    "TSH",
    "WBC",
    "Platelets",
    "ALT",
    "eGFR",
    "Triglycerides",
    "BUN",
    "Calcium",
    "Albumin",
    "Vitamin D, 25-OH",
    "PSA",
    "Ferritin",
    "INR",
];

impl Gen<'_> {
    /// A decoy of a class chosen at random, written in running text.
    pub fn any_decoy(&mut self, b: &mut Builder) {
        match self.rng.below(16) {
            0 => self.icd10(b),
            1 => self.cpt(b),
            2 => self.ndc(b),
            3 => {
                b.t("LOINC ");
                self.loinc(b)
            }
            4 => {
                b.t("SNOMED CT ");
                self.snomed(b)
            }
            5 => self.vital(b),
            6 => self.dose(b),
            7 => self.version(b),
            8 => self.price(b),
            9 => self.pages(b),
            10 => self.year_alone(b),
            11 => {
                let d = *self.pick(DRUGS);
                b.decoy("DRUG", d);
            }
            12 => {
                let o = self.cue(ORGS);
                b.decoy("ORG", o);
            }
            13 => {
                let e = self.cue(EPONYMS);
                b.decoy("EPONYM", e);
            }
            14 => self.age_under_90(b),
            _ => self.ein(b),
        }
    }

    /// An ICD-10-CM code.
    pub fn icd10(&mut self, b: &mut Builder) {
        let c = self.cue(ICD10);
        b.decoy("ICD10", c);
    }

    /// A CPT code.
    pub fn cpt(&mut self, b: &mut Builder) {
        let c = self.cue(CPT);
        b.decoy("CPT", c);
    }

    /// A HCPCS level II code.
    pub fn hcpcs(&mut self, b: &mut Builder) {
        let c = self.cue(HCPCS);
        b.decoy("HCPCS", c);
    }

    /// An NDC in 4-4-2, 5-3-2, 5-4-1 or 11-digit form.
    pub fn ndc(&mut self, b: &mut Builder) {
        let f = self.rng.below(4);
        let v = self.own(|r| match f {
            0 => format!("{}-{}-{}", r.digits(4), r.digits(4), r.digits(2)),
            1 => format!("{}-{}-{}", r.digits(5), r.digits(3), r.digits(2)),
            2 => format!("{}-{}-{}", r.digits(5), r.digits(4), r.digits(1)),
            _ => r.digits(11),
        });
        b.t("NDC ").decoy("NDC", &v);
    }

    /// A LOINC code.
    pub fn loinc(&mut self, b: &mut Builder) {
        let c = self.cue(LOINC);
        b.decoy("LOINC", c);
    }

    /// A SNOMED CT concept id.
    pub fn snomed(&mut self, b: &mut Builder) {
        let c = self.cue(SNOMED);
        b.decoy("SNOMED", c);
    }

    /// A lab test name, value, unit and reference range, as a result row.
    pub fn lab_row(&mut self, b: &mut Builder, sep: &str) {
        let test = *self.pick(TESTS);
        let unit = *self.pick(UNITS);
        let lo = self.rng.range(1, 120);
        let hi = lo + self.rng.range(2, 80);
        let val = format!(
            "{}.{}",
            self.rng.range(lo.saturating_sub(5), hi + 10),
            self.rng.below(10)
        );
        b.decoy("LAB_TEST", test).t(sep);
        b.decoy("LAB_VALUE", &val).t(sep).decoy("UNIT", unit).t(sep);
        b.decoy("REF_RANGE", &format!("{lo}-{hi}"));
        if self.chance(0.2) {
            let flag = *self.pick(&["H", "L", "HH", "A"]);
            b.t(sep).t(flag);
        }
    }

    /// A vital sign.
    pub fn vital(&mut self, b: &mut Builder) {
        let v = match self.rng.below(7) {
            0 => format!("BP {}/{}", self.rng.range(95, 180), self.rng.range(55, 110)),
            1 => format!("HR {}", self.rng.range(48, 130)),
            2 => format!("T {}.{} F", self.rng.range(96, 102), self.rng.below(10)),
            3 => format!("SpO2 {}%", self.rng.range(86, 100)),
            4 => format!("Wt {} lb", self.rng.range(90, 320)),
            5 => format!("BMI {}.{}", self.rng.range(17, 45), self.rng.below(10)),
            _ => format!("RR {}", self.rng.range(10, 28)),
        };
        b.decoy("VITAL", &v);
    }

    /// A drug and its dose.
    pub fn dose(&mut self, b: &mut Builder) {
        let d = *self.pick(DRUGS);
        let amount = *self.pick(&[
            "5 mg",
            "10 mg",
            "20 mg",
            "40 mg",
            "500 mg",
            "850 mg",
            "1000 mg",
            "0.5 mg",
            "25 mcg",
            "88 mcg",
            "10 units",
            "2.5 mg",
            "100 mg/mL",
        ]);
        let sig = *self.pick(&[
            "PO daily",
            "PO BID",
            "1 tab by mouth twice daily",
            "SC at bedtime",
            "q8h PRN",
            "once weekly",
            "TID with meals",
        ]);
        b.decoy("DRUG", d)
            .t(" ")
            .decoy("DOSE", amount)
            .t(" ")
            .t(sig);
    }

    /// A software or standard version.
    pub fn version(&mut self, b: &mut Builder) {
        let v = match self.rng.below(5) {
            0 => format!(
                "v{}.{}.{}",
                self.rng.range(0, 9),
                self.rng.range(0, 30),
                self.rng.range(0, 99)
            ),
            1 => format!(
                "{}.{}.{}.{}",
                self.rng.range(1, 12),
                self.rng.range(0, 9),
                self.rng.range(0, 99),
                self.rng.range(100, 9999)
            ),
            2 => format!("HL7 v2.{}.{}", self.rng.range(3, 8), self.rng.range(0, 1)),
            3 => format!(
                "build {}.{}.{}",
                self.rng.range(2019, 2026),
                self.rng.range(1, 12),
                self.rng.range(1, 28)
            ),
            _ => format!(
                "faxbot/{}.{}.{}",
                self.rng.range(0, 3),
                self.rng.range(0, 20),
                self.rng.range(0, 9)
            ),
        };
        b.decoy("VERSION", &v);
    }

    /// A price.
    pub fn price(&mut self, b: &mut Builder) {
        let v = match self.rng.below(3) {
            0 => format!("${}.{:02}", self.rng.range(5, 999), self.rng.below(100)),
            1 => format!(
                "${},{:03}.{:02}",
                self.rng.range(1, 89),
                self.rng.below(1000),
                self.rng.below(100)
            ),
            _ => format!("USD {}.00", self.rng.range(10, 5000)),
        };
        b.decoy("PRICE", &v);
    }

    /// A page count.
    pub fn pages(&mut self, b: &mut Builder) {
        let n = self.rng.range(1, 40);
        let v = match self.rng.below(4) {
            0 => format!("Page {} of {n}", self.rng.range(1, n)),
            1 => format!("{n} pages"),
            2 => format!("Pages (including cover): {n}"),
            _ => format!("p. {}/{n}", self.rng.range(1, n)),
        };
        b.decoy("PAGES", &v);
    }

    /// A year on its own (allowed by Safe Harbor).
    pub fn year_alone(&mut self, b: &mut Builder) {
        let y = self.rng.range(1960, 2026).to_string();
        let lead = *self.pick(&["since ", "in ", "diagnosed ", "(", "last seen "]);
        b.t(lead).decoy("YEAR", &y);
        if lead == "(" {
            b.t(")");
        }
    }

    /// An age of 89 or less (not an identifier).
    pub fn age_under_90(&mut self, b: &mut Builder) {
        let a = self.rng.range(1, 89).to_string();
        match self.rng.below(3) {
            0 => b.t("a ").decoy("AGE_UNDER_90", &a).t("-year-old"),
            1 => b.t("age ").decoy("AGE_UNDER_90", &a),
            _ => b.decoy("AGE_UNDER_90", &a).t(" y/o"),
        };
    }

    /// An organisation's tax id (EIN), which identifies no patient.
    pub fn ein(&mut self, b: &mut Builder) {
        let v = self.own(|r| format!("{}-{}", r.digits(2), r.digits(7)));
        b.t("Tax ID ").decoy("EIN", &v);
    }

    /// A platform timestamp (the fax platform's own clock, not a patient date).
    pub fn platform_ts(&mut self, b: &mut Builder) {
        let d = self.date(2025, 2026);
        let (h, m, s) = (self.rng.below(24), self.rng.below(60), self.rng.below(60));
        let v = match self.rng.below(3) {
            0 => format!("{}-{:02}-{:02}T{h:02}:{m:02}:{s:02}Z", d.y, d.m, d.d),
            1 => format!(
                "{}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
                d.y,
                d.m,
                d.d,
                self.rng.below(1000)
            ),
            _ => format!(
                "{}-{:02}-{:02} {h:02}:{m:02}:{s:02},{:03}",
                d.y,
                d.m,
                d.d,
                self.rng.below(1000)
            ),
        };
        b.decoy("PLATFORM_TS", &v);
    }

    /// A fax job id of the platform.
    pub fn job_id(&mut self, b: &mut Builder) {
        let v = match self.rng.below(3) {
            0 => format!("fx_{:016x}", self.rng.next_u64()),
            1 => format!("job-{}", self.rng.digits(9)),
            _ => format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                self.rng.below(1 << 31),
                self.rng.below(1 << 16),
                self.rng.below(1 << 12),
                self.rng.below(1 << 12),
                self.rng.next_u64() & 0xffff_ffff_ffff
            ),
        };
        b.decoy("JOB_ID", &v);
    }

    /// A time of day.
    pub fn time_of_day(&mut self, b: &mut Builder) {
        let v = match self.rng.below(3) {
            0 => format!(
                "{}:{:02} {}",
                self.rng.range(1, 12),
                self.rng.below(60),
                if self.chance(0.5) { "AM" } else { "PM" }
            ),
            1 => format!("{:02}:{:02}", self.rng.below(24), self.rng.below(60)),
            _ => format!("{:02}{:02} hrs", self.rng.below(24), self.rng.below(60)),
        };
        b.decoy("TIME", &v);
    }
}
