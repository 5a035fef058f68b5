//! Plain text rendered to a PDF a fax machine prints: US Letter, Courier 10 pt, 66 lines a
//! page, long lines wrapped at 80 columns, a form feed starting a new page. Characters
//! outside Latin-1 are printed as `?` (the standard Courier font has no others).

/// Columns per line.
const COLUMNS: usize = 80;
/// Lines per page.
const LINES: usize = 66;

fn pages(text: &str) -> Vec<Vec<String>> {
    let mut pages = vec![Vec::new()];
    for (i, chunk) in text.split('\u{c}').enumerate() {
        if i > 0 {
            pages.push(Vec::new());
        }
        for line in chunk.lines() {
            let chars: Vec<char> = line.replace('\t', "    ").chars().collect();
            let pieces: Vec<String> = if chars.is_empty() {
                vec![String::new()]
            } else {
                chars.chunks(COLUMNS).map(|c| c.iter().collect()).collect()
            };
            for piece in pieces {
                if pages.last().is_some_and(|p| p.len() >= LINES) {
                    pages.push(Vec::new());
                }
                if let Some(page) = pages.last_mut() {
                    page.push(piece);
                }
            }
        }
    }
    if pages.iter().all(Vec::is_empty) {
        return vec![vec![String::new()]];
    }
    pages.retain(|p| !p.is_empty());
    pages
}

fn escape(line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for c in line.chars() {
        let byte = u8::try_from(u32::from(c)).unwrap_or(b'?');
        match byte {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(byte);
            }
            0x20..=0x7e | 0xa0..=0xff => out.push(byte),
            _ => out.push(b'?'),
        }
    }
    out
}

/// Renders `text` as a PDF.
pub fn text_to_pdf(text: &str) -> Vec<u8> {
    let pages = pages(text);
    // Objects: 1 catalog, 2 pages, 3 font, then per page a page object and its content.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 4 + 2 * i))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".to_vec(),
    );
    for (i, lines) in pages.iter().enumerate() {
        let mut content = b"BT /F1 10 Tf 11 TL 36 756 Td\n".to_vec();
        for line in lines {
            content.push(b'(');
            content.extend_from_slice(&escape(line));
            content.extend_from_slice(b") Tj T*\n");
        }
        content.extend_from_slice(b"ET");
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(&content);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(object);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The number of pages [`text_to_pdf`] makes of `text`.
pub fn page_count(text: &str) -> usize {
    pages(text).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::sniff::{Sniffed, sniff};

    #[test]
    fn text_becomes_a_pdf_with_a_page_per_66_lines_and_per_form_feed() {
        let pdf = text_to_pdf("hello (world) \\ caf\u{e9}");
        assert_eq!(sniff(&pdf), Sniffed::Pdf);
        assert!(
            pdf.windows(24)
                .any(|w| w == b"(hello \\(world\\) \\\\ caf\xe9")
        );
        let long: String = (0..70).map(|i| format!("line {i}\n")).collect();
        assert_eq!(page_count(&long), 2);
        assert_eq!(page_count("a\u{c}b"), 2);
        assert_eq!(page_count(&"x".repeat(200)), 1);
        assert_eq!(page_count(""), 1);
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let pdf = text_to_pdf("one\u{c}two");
        let find = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle);
        let after = find(b"startxref\n").expect("startxref") + b"startxref\n".len();
        let start: usize = String::from_utf8_lossy(&pdf[after..])
            .lines()
            .next()
            .and_then(|s| s.parse().ok())
            .expect("offset");
        assert!(pdf[start..].starts_with(b"xref"));
        let table = String::from_utf8_lossy(&pdf[start..]).into_owned();
        for (n, line) in table.lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            let expected = format!("{} 0 obj", n + 1);
            assert!(
                pdf[offset..].starts_with(expected.as_bytes()),
                "object {}",
                n + 1
            );
        }
    }
}
