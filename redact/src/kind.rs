//! The kinds of identifier the redactor removes: the HIPAA Safe Harbor list, as it appears in
//! fax text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One kind of protected identifier. Its [`label`](PhiKind::label) is what replaces a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhiKind {
    /// A person's name (patient, relative, clinician).
    Name,
    /// A date other than a year alone (birth, admission, service, …).
    Date,
    /// A telephone number.
    Phone,
    /// A fax number.
    Fax,
    /// An email address.
    Email,
    /// A US Social Security number.
    Ssn,
    /// A medical record number.
    Mrn,
    /// A health plan member, subscriber, policy or group number.
    HealthPlan,
    /// An account number (billing account, card-like numbers).
    Account,
    /// A certificate or license number: DEA, NPI, state license.
    License,
    /// A street address or a city.
    Address,
    /// A ZIP code.
    Zip,
    /// A web address.
    Url,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A vehicle identifier: VIN or licence plate.
    Vehicle,
    /// A device identifier or serial number (UDI, S/N).
    Device,
    /// Any other unique identifying number that carried an identifier cue.
    Id,
    /// An age over 89 (Safe Harbor: ages over 89 and every date element that tells one).
    Age,
}

impl PhiKind {
    /// Every kind, in label order.
    pub const ALL: [PhiKind; 18] = [
        PhiKind::Name,
        PhiKind::Date,
        PhiKind::Phone,
        PhiKind::Fax,
        PhiKind::Email,
        PhiKind::Ssn,
        PhiKind::Mrn,
        PhiKind::HealthPlan,
        PhiKind::Account,
        PhiKind::License,
        PhiKind::Address,
        PhiKind::Zip,
        PhiKind::Url,
        PhiKind::Ip,
        PhiKind::Vehicle,
        PhiKind::Device,
        PhiKind::Id,
        PhiKind::Age,
    ];

    /// The upper-case name used in `[LABEL]` replacements, tokens and JSON.
    pub fn label(self) -> &'static str {
        match self {
            PhiKind::Name => "NAME",
            PhiKind::Date => "DATE",
            PhiKind::Phone => "PHONE",
            PhiKind::Fax => "FAX",
            PhiKind::Email => "EMAIL",
            PhiKind::Ssn => "SSN",
            PhiKind::Mrn => "MRN",
            PhiKind::HealthPlan => "HEALTH_PLAN",
            PhiKind::Account => "ACCOUNT",
            PhiKind::License => "LICENSE",
            PhiKind::Address => "ADDRESS",
            PhiKind::Zip => "ZIP",
            PhiKind::Url => "URL",
            PhiKind::Ip => "IP",
            PhiKind::Vehicle => "VEHICLE",
            PhiKind::Device => "DEVICE",
            PhiKind::Id => "ID",
            PhiKind::Age => "AGE",
        }
    }

    /// The replacement text for a span of this kind: `[LABEL]`.
    pub fn placeholder(self) -> &'static str {
        match self {
            PhiKind::Name => "[NAME]",
            PhiKind::Date => "[DATE]",
            PhiKind::Phone => "[PHONE]",
            PhiKind::Fax => "[FAX]",
            PhiKind::Email => "[EMAIL]",
            PhiKind::Ssn => "[SSN]",
            PhiKind::Mrn => "[MRN]",
            PhiKind::HealthPlan => "[HEALTH_PLAN]",
            PhiKind::Account => "[ACCOUNT]",
            PhiKind::License => "[LICENSE]",
            PhiKind::Address => "[ADDRESS]",
            PhiKind::Zip => "[ZIP]",
            PhiKind::Url => "[URL]",
            PhiKind::Ip => "[IP]",
            PhiKind::Vehicle => "[VEHICLE]",
            PhiKind::Device => "[DEVICE]",
            PhiKind::Id => "[ID]",
            PhiKind::Age => "[AGE]",
        }
    }
}

impl fmt::Display for PhiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A label that names no [`PhiKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown PHI kind `{0}` (expected one of NAME, DATE, PHONE, FAX, EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, LICENSE, ADDRESS, ZIP, URL, IP, VEHICLE, DEVICE, ID, AGE)"
)]
pub struct UnknownKind(pub String);

impl FromStr for PhiKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhiKind::ALL
            .into_iter()
            .find(|k| k.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKind(s.chars().take(32).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_parses_back_and_placeholders_wrap_labels() {
        for kind in PhiKind::ALL {
            assert_eq!(kind.label().parse::<PhiKind>(), Ok(kind));
            assert_eq!(kind.placeholder(), format!("[{}]", kind.label()));
        }
        assert!("PATIENT".parse::<PhiKind>().is_err());
    }
}
