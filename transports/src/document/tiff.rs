//! Ghostscript writing a multi-page TIFF to a stream cannot go back to link each page's
//! directory to the next: [`join_pages`] checks the stream and links them, making the one
//! multi-page TIFF fax transports take. The
//! input comes out of the converter jail, so it is parsed as untrusted: every offset and
//! length is bounds-checked, and page and entry counts are limited.

/// Most pages joined.
pub const MAX_PAGES: usize = 1000;
/// Most entries in one page's directory.
const MAX_ENTRIES: usize = 64;

const STRIP_OFFSETS: u16 = 273;
const STRIP_BYTE_COUNTS: u16 = 279;

fn type_size(kind: u16) -> Option<usize> {
    Some(match kind {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 => 4,
        5 | 10 | 12 => 8,
        _ => return None,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&self, at: usize, len: usize) -> Result<&[u8], String> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| "an offset points outside the file".to_owned())
    }
    fn u16(&self, at: usize) -> Result<u16, String> {
        let b = self.bytes(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, String> {
        let b = self.bytes(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// The values of a SHORT or LONG field.
    fn numbers(&self, kind: u16, at: usize, count: usize) -> Result<Vec<usize>, String> {
        (0..count)
            .map(|i| match kind {
                3 => self.u16(at + 2 * i).map(usize::from),
                4 => self.u32(at + 4 * i).map(|v| v as usize),
                _ => Err("strip fields must be SHORT or LONG".into()),
            })
            .collect()
    }
}

/// One page directory: where it is, where its link to the next one is, and where the page
/// (directory, values and strips) ends.
struct Directory {
    link_at: usize,
    next: usize,
    end: usize,
}

fn directory(r: &Reader<'_>, at: usize) -> Result<Directory, String> {
    let count = r.u16(at)? as usize;
    if count == 0 || count > MAX_ENTRIES {
        return Err("a page directory with no or too many entries".into());
    }
    let link_at = at + 2 + count * 12;
    let mut end = link_at + 4;
    let (mut offsets, mut lengths) = (None, None);
    for i in 0..count {
        let entry = at + 2 + i * 12;
        let (tag, kind, n) = (r.u16(entry)?, r.u16(entry + 2)?, r.u32(entry + 4)? as usize);
        let size = type_size(kind).ok_or("an unknown field type")?;
        let len = size
            .checked_mul(n)
            .filter(|l| *l <= 1 << 20)
            .ok_or("a field too long")?;
        let value_at = if len <= 4 {
            entry + 8
        } else {
            let offset = r.u32(entry + 8)? as usize;
            r.bytes(offset, len)?;
            end = end.max(offset + len);
            offset
        };
        match tag {
            STRIP_OFFSETS => offsets = Some(r.numbers(kind, value_at, n)?),
            STRIP_BYTE_COUNTS => lengths = Some(r.numbers(kind, value_at, n)?),
            _ => {}
        }
    }
    let (offsets, lengths) = offsets.zip(lengths).ok_or("a page without strips")?;
    if offsets.len() != lengths.len() || offsets.is_empty() {
        return Err("strip offsets and counts disagree".into());
    }
    for (offset, len) in offsets.iter().zip(&lengths) {
        r.bytes(*offset, *len)?;
        end = end.max(offset + len);
    }
    Ok(Directory {
        link_at,
        next: r.u32(link_at)? as usize,
        end,
    })
}

/// Makes one multi-page TIFF of the stream Ghostscript writes when its output cannot seek:
/// a header, then each page's directory, values and strips in turn, with every directory's
/// link to the next left 0. Offsets are already absolute, so checking every one and linking
/// the directories is all it takes.
pub fn join_pages(stream: &[u8]) -> Result<Vec<u8>, String> {
    let r = Reader(stream);
    if r.bytes(0, 4)? != b"II*\0" {
        return Err("not a little-endian TIFF".into());
    }
    let mut at = r.u32(4)? as usize;
    let mut links = Vec::new();
    let mut end = 8;
    loop {
        if links.len() >= MAX_PAGES {
            return Err(format!("more than {MAX_PAGES} pages"));
        }
        let page = directory(&r, at)?;
        links.push((page.link_at, at));
        end = end.max(page.end);
        if page.next != 0 {
            if page.next <= at {
                return Err("a page directory links backwards".into());
            }
            at = page.next;
            continue;
        }
        // The next page, if any, starts where this one ends (word-aligned).
        let next = end + end % 2;
        if next >= stream.len() || stream[end..].iter().all(|b| *b == 0) {
            break;
        }
        at = next;
    }
    let mut out = stream[..end.min(stream.len())].to_vec();
    for pair in links.windows(2) {
        let (link_at, next_ifd) = (pair[0].0, pair[1].1);
        let value = u32::try_from(next_ifd).map_err(|_| "offset over 4 GiB")?;
        out[link_at..link_at + 4].copy_from_slice(&value.to_le_bytes());
    }
    Ok(out)
}

/// The number of pages (linked directories) in a TIFF, or `None` when it is malformed.
pub fn page_count(tiff: &[u8]) -> Option<usize> {
    let r = Reader(tiff);
    if r.bytes(0, 4).ok()? != b"II*\0" {
        return None;
    }
    let mut at = r.u32(4).ok()? as usize;
    let mut pages = 0;
    while at != 0 {
        pages += 1;
        if pages > MAX_PAGES {
            return None;
        }
        at = directory(&r, at).ok()?.next;
    }
    Some(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_u16(out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends one page (directory then strip) the way a streaming writer does: absolute
    /// offsets, the link to the next directory left 0.
    fn push_page(out: &mut Vec<u8>, strip: &[u8]) {
        let ifd = out.len() as u32;
        let strip_at = ifd + 2 + 5 * 12 + 4;
        put_u16(out, 5);
        for (tag, kind, value) in [
            (256u16, 4u16, 1728u32),
            (257, 4, 10),
            (259, 3, 4),
            (STRIP_OFFSETS, 4, strip_at),
            (STRIP_BYTE_COUNTS, 4, strip.len() as u32),
        ] {
            put_u16(out, tag);
            put_u16(out, kind);
            put_u32(out, 1);
            put_u32(out, value);
        }
        put_u32(out, 0);
        out.extend_from_slice(strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }
    }

    fn stream(strips: &[&[u8]]) -> Vec<u8> {
        let mut out = b"II*\0".to_vec();
        put_u32(&mut out, 8);
        for strip in strips {
            push_page(&mut out, strip);
        }
        out
    }

    #[test]
    fn a_streamed_multi_page_tiff_gets_its_pages_linked() {
        let raw = stream(&[b"AAAA", b"BBB", b"CC"]);
        assert_eq!(page_count(&raw), Some(1), "a stream links no pages");
        let joined = join_pages(&raw).expect("joined");
        assert_eq!(page_count(&joined), Some(3));
        assert_eq!(joined.len(), raw.len());
    }

    #[test]
    fn offsets_outside_the_file_and_trailing_garbage_are_refused() {
        let mut bad = stream(&[b"AAAA"]);
        let strip_offset_value = 8 + 2 + 3 * 12 + 8;
        bad[strip_offset_value..strip_offset_value + 4].copy_from_slice(&9999u32.to_le_bytes());
        assert!(join_pages(&bad).is_err());
        let mut trailing = stream(&[b"AAAA"]);
        trailing.extend_from_slice(b"#!/bin/sh evil");
        assert!(join_pages(&trailing).is_err());
        assert!(join_pages(b"").is_err());
        assert!(join_pages(b"MM\0*\0\0\0\x08").is_err());
    }
}
