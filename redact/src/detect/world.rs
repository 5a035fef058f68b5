//! Places outside the US by the shape of an international address: a country's name closes
//! it, so the words before it are a city, a postcode and a street, whatever the city.
//!
//! - `my brother in Trani (Italy)`: the capitalised words before `(Country)` are a city.
//! - `207 Marysville Road, 64-205 Landsberg, Germany`, `13 Rue Bechtelar, VQ9 9SM Jakar,
//!   Bhutan`, `Poplarstr. 1, FW17 6JH Padua, Italy`: before `, Country` the city, before it a
//!   postcode (tokens with a digit), before that, after a comma, the street (words and a
//!   house number).
//!
//! The name pass finds the country words (one bit of its word table,
//! [`super::names::COUNTRY`]), so this module reads only around them.

use crate::{PhiKind, Span};

/// Countries in English, lower case; names of more than one word by their last word
/// (`Kingdom`, `Zealand`, `Africa`, `Korea`, `Lanka`, `Rica`, `Arabia`, `Emirates`), which
/// only counts as a country where a word before completes it (see [`country_start`]).
pub(super) const COUNTRIES: &[&str] = &[
    "afghanistan",
    "albania",
    "algeria",
    "andorra",
    "angola",
    "argentina",
    "armenia",
    "australia",
    "austria",
    "azerbaijan",
    "bahamas",
    "bahrain",
    "bangladesh",
    "barbados",
    "belarus",
    "belgium",
    "belize",
    "benin",
    "bhutan",
    "bolivia",
    "bosnia",
    "botswana",
    "brazil",
    "brunei",
    "bulgaria",
    "burundi",
    "cambodia",
    "cameroon",
    "canada",
    "chile",
    "china",
    "colombia",
    "croatia",
    "cuba",
    "cyprus",
    "czechia",
    "denmark",
    "djibouti",
    "dominica",
    "ecuador",
    "egypt",
    "eritrea",
    "estonia",
    "eswatini",
    "ethiopia",
    "fiji",
    "finland",
    "france",
    "gabon",
    "gambia",
    "georgia",
    "germany",
    "ghana",
    "greece",
    "grenada",
    "guatemala",
    "guinea",
    "guyana",
    "haiti",
    "honduras",
    "hungary",
    "iceland",
    "india",
    "indonesia",
    "iran",
    "iraq",
    "ireland",
    "israel",
    "italy",
    "jamaica",
    "japan",
    "kazakhstan",
    "kenya",
    "kiribati",
    "kosovo",
    "kuwait",
    "kyrgyzstan",
    "laos",
    "latvia",
    "lebanon",
    "lesotho",
    "liberia",
    "libya",
    "liechtenstein",
    "lithuania",
    "luxembourg",
    "madagascar",
    "malawi",
    "malaysia",
    "maldives",
    "mali",
    "malta",
    "mauritania",
    "mauritius",
    "mexico",
    "micronesia",
    "moldova",
    "monaco",
    "mongolia",
    "montenegro",
    "morocco",
    "mozambique",
    "myanmar",
    "namibia",
    "nauru",
    "nepal",
    "netherlands",
    "nicaragua",
    "niger",
    "nigeria",
    "norway",
    "oman",
    "pakistan",
    "palau",
    "palestine",
    "panama",
    "paraguay",
    "peru",
    "philippines",
    "poland",
    "portugal",
    "qatar",
    "romania",
    "russia",
    "rwanda",
    "samoa",
    "senegal",
    "serbia",
    "seychelles",
    "singapore",
    "slovakia",
    "slovenia",
    "somalia",
    "spain",
    "sudan",
    "suriname",
    "sweden",
    "switzerland",
    "syria",
    "taiwan",
    "tajikistan",
    "tanzania",
    "thailand",
    "togo",
    "tonga",
    "tunisia",
    "turkey",
    "turkmenistan",
    "tuvalu",
    "uganda",
    "ukraine",
    "uruguay",
    "uzbekistan",
    "vanuatu",
    "venezuela",
    "vietnam",
    "yemen",
    "zambia",
    "zimbabwe",
    "england",
    "scotland",
    "wales",
    "uk",
    "usa",
    "kingdom",
    "zealand",
    "africa",
    "korea",
    "lanka",
    "rica",
    "arabia",
    "emirates",
];

/// Where the country whose last word is `text[s..e]` starts: the word before completes a
/// name of more words (`United Kingdom`, `New Zealand`, `South Africa`); `None` for such a
/// last word alone.
fn country_start(text: &str, s: usize, e: usize) -> Option<usize> {
    let word = &text[s..e];
    let multi = [
        "Kingdom", "Zealand", "Africa", "Korea", "Lanka", "Rica", "Arabia", "Emirates",
    ];
    if !multi.contains(&word) {
        return Some(s);
    }
    let before = text[..s].strip_suffix(' ')?;
    let p = before
        .rfind(|c: char| !c.is_alphabetic())
        .map_or(0, |p| p + 1);
    matches!(
        &before[p..],
        "United" | "New" | "South" | "North" | "Sri" | "Costa" | "Saudi" | "Arab"
    )
    .then_some(p)
}

/// Whether `w` is a capitalised word of a place's name, not itself a country (a list of
/// countries is no address).
fn place_word(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next().is_some_and(char::is_uppercase)
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.'))
        && w.chars().any(char::is_lowercase)
        && !COUNTRIES.iter().any(|c| c.eq_ignore_ascii_case(w))
}

/// The start of up to `max` words ending at `end` that `ok` accepts, single spaces between.
fn words_back(text: &str, end: usize, max: usize, ok: impl Fn(&str) -> bool) -> Option<usize> {
    let mut start = None;
    let mut at = end;
    for _ in 0..max {
        let s = text[..at]
            .rfind([' ', '\t', '\n', ',', '('])
            .map_or(0, |p| p + 1);
        if s == at || !ok(&text[s..at]) {
            break;
        }
        start = Some(s);
        if s == 0 || !text[..s].ends_with(' ') || text[..s - 1].ends_with([' ', ',']) {
            break;
        }
        at = s - 1;
    }
    start
}

/// Appends the city, postcode and street before the country word `text[s..e]`.
pub(super) fn around_country(text: &str, s: usize, e: usize, spans: &mut Vec<Span>) {
    let Some(cs) = country_start(text, s, e) else {
        return;
    };
    let closes = |rest: &str| rest.is_empty() || rest.starts_with(['.', ',', ';', '\n', '\r', ' ']);
    let head = &text[..cs];
    if let Some(h) = head.strip_suffix('(')
        && text[e..].starts_with(')')
    {
        // `Trani (Italy)`.
        let h = h.strip_suffix(' ').unwrap_or(h);
        if let Some(city) = words_back(text, h.len(), 3, place_word) {
            spans.push(Span::new(city, h.len(), PhiKind::Address));
        }
        return;
    }
    let Some(h) = head.strip_suffix(", ") else {
        return;
    };
    if !closes(&text[e..]) {
        return;
    }
    let Some(city) = words_back(text, h.len(), 3, place_word) else {
        return;
    };
    spans.push(Span::new(city, h.len(), PhiKind::Address));
    // A postcode before the city: one or two tokens with a digit (`64-205`, `VQ9 9SM`).
    let postcode_token = |t: &str| {
        (2..=8).contains(&t.len())
            && t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && t.bytes().any(|c| c.is_ascii_digit())
            && !t.bytes().any(|c| c.is_ascii_lowercase())
    };
    let Some(pc) = text[..city]
        .strip_suffix(' ')
        .and_then(|p| words_back(text, p.len(), 2, postcode_token))
    else {
        return;
    };
    spans.push(Span::new(pc, city - 1, PhiKind::Zip));
    // The street before the postcode, after a comma: words and a house number.
    let Some(st_end) = text[..pc].strip_suffix(", ").map(str::len) else {
        return;
    };
    let street_token = |t: &str| {
        t.len() <= 24
            && (t.bytes().all(|c| c.is_ascii_digit())
                || t.starts_with(|c: char| c.is_ascii_digit() || c.is_uppercase())
                    && t.chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '\'')))
    };
    if let Some(st) = words_back(text, st_end, 5, street_token)
        && text[st..st_end].bytes().any(|c| c.is_ascii_digit())
    {
        spans.push(Span::new(st, st_end, PhiKind::Address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, country: &str) -> Vec<String> {
        let s = text.find(country).expect("country in text");
        let mut spans = Vec::new();
        around_country(text, s, s + country.len(), &mut spans);
        spans
            .iter()
            .map(|sp| text[sp.start..sp.end].to_string())
            .collect()
    }

    #[test]
    fn a_country_closing_an_address_makes_its_city_postcode_and_street() {
        assert_eq!(
            found("My brother in Trani (Italy) gets copies", "Italy"),
            ["Trani"]
        );
        assert_eq!(
            found(
                "gets copies at 13 Rue Bechtelar, VQ9 9SM Jakar, Bhutan. Her",
                "Bhutan"
            ),
            ["Jakar", "VQ9 9SM", "13 Rue Bechtelar"]
        );
        assert_eq!(
            found("copies at Poplarstr. 1, FW17 6JH Padua, Italy.", "Italy"),
            ["Padua", "FW17 6JH", "Poplarstr. 1"]
        );
        assert_eq!(
            found("lives in Wellington, New Zealand now", "Zealand"),
            ["Wellington"]
        );
    }

    #[test]
    fn a_country_in_prose_makes_nothing_else_a_place() {
        assert!(found("She was born in Italy, and moved", "Italy").is_empty());
        assert!(found("Travel history: Kenya, Uganda.", "Uganda").is_empty());
        assert!(found("Zealand", "Zealand").is_empty());
    }
}
