//! The platform's own text: log lines and JSON events, where timestamps, job ids and versions
//! are the platform's and must stay, and caller numbers, names and subjects are PHI.

use faxbot_redact::PhiKind;

use crate::doc::Builder;
use crate::ident::Gen;

fn e164(g: &mut Gen, b: &mut Builder, kind: PhiKind) {
    let v = g.own(|r| {
        format!(
            "+1{}{}{}{}{}",
            r.range(2, 9),
            r.digits(2),
            r.range(2, 9),
            r.digits(2),
            r.digits(4)
        )
    });
    b.phi(kind, "e164", &v);
}

/// Log lines of the fax platform, some of which carry PHI that leaked into messages.
pub fn log_lines(g: &mut Gen, b: &mut Builder) {
    for _ in 0..g.rng.range(4, 12) {
        g.platform_ts(b);
        let level = *g.pick(&["INFO", "WARN", "DEBUG", "ERROR"]);
        b.raw(" ").raw(level).raw(" ");
        match g.rng.below(8) {
            0 => {
                b.raw("faxbot::inbound: received job=");
                g.job_id(b);
                b.raw(" from=");
                e164(g, b, PhiKind::Fax);
                b.raw(" to=");
                e164(g, b, PhiKind::Fax);
                b.raw(" pages=");
                let n = g.rng.range(1, 30).to_string();
                b.decoy("PAGES", &n);
            }
            1 => {
                b.raw("ocr: low confidence on page 2 near \"");
                b.t("DOB ");
                let p = g.person();
                g.date_any(b, p.dob);
                b.raw("\" job=");
                g.job_id(b);
            }
            2 => {
                b.raw("delivery failed patient=\"");
                let p = g.person();
                g.name_as(b, &p, "family_comma_given_caps");
                b.raw("\" mrn=");
                g.mrn(b);
                b.raw(" remote_ip=");
                g.ip(b);
                b.raw(" attempt=3");
            }
            3 => {
                b.raw("plugin slack-notifier ");
                g.version(b);
                b.raw(" started in 42ms");
            }
            4 => {
                b.raw("http: POST /v1/faxes 201 client=");
                g.ip(b);
                b.raw(" ua=\"curl/8.5.0\" took=118ms");
            }
            5 => {
                b.raw("caller id \"");
                let p = g.person();
                g.name_as(b, &p, "caps");
                b.raw("\" number ");
                g.phone(b);
                b.raw(" matched contact");
            }
            6 => {
                b.raw("route: forwarded job=");
                g.job_id(b);
                b.raw(" to ");
                let p = g.person();
                g.email(b, &p);
            }
            _ => {
                b.raw("retrying in 30s job=");
                g.job_id(b);
                b.raw(" ");
                g.version(b);
            }
        }
        b.raw("\n");
    }
}

/// JSON events of the platform, one per line.
pub fn json_events(g: &mut Gen, b: &mut Builder) {
    for _ in 0..g.rng.range(2, 6) {
        b.raw("{\"ts\":\"");
        g.platform_ts(b);
        b.raw("\",\"event\":\"").raw(g.cue(&[
            "fax.received",
            "fax.sent",
            "fax.failed",
            "fax.routed",
        ]));
        b.raw("\",\"job_id\":\"");
        g.job_id(b);
        b.raw("\",\"from\":\"");
        e164(g, b, PhiKind::Fax);
        b.raw("\",\"to\":\"");
        e164(g, b, PhiKind::Fax);
        b.raw("\",\"pages\":");
        let n = g.rng.range(1, 30).to_string();
        b.decoy("PAGES", &n);
        if g.chance(0.6) {
            b.raw(",\"caller_name\":\"");
            let p = g.person();
            g.name_as(b, &p, "caps");
            b.raw("\"");
        }
        if g.chance(0.6) {
            b.raw(",\"subject\":\"");
            let p = g.person();
            b.t("Labs for ");
            g.name(b, &p);
            b.t(" DOB ");
            g.date_any(b, p.dob);
            b.raw("\"");
        }
        b.raw(",\"remote_ip\":\"");
        g.ip(b);
        b.raw("\",\"version\":\"");
        g.version(b);
        b.raw("\"}\n");
    }
}
