//! Raw bytes and text of a data file: transparent `.xz` and `.gz`
//! decompression, strict UTF-8 text, and a lenient decoder for WeiboNER.
//!
//! The original WeiboNER release stores emoji as CESU-8 surrogate pairs
//! (`ED A0..AF xx ED B0..BF xx`), which strict UTF-8 rejects. The decoder
//! turns each such pair into the real supplementary character and counts the
//! repairs, so that a reader can report them; any other invalid byte sequence
//! is an error naming the file and the 1-based line.

use std::io::Read;
use std::path::Path;

use super::DataError;

/// Decoded text and how many CESU-8 surrogate pairs were repaired on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub repairs: usize,
}

/// Reads a file's bytes, decompressing it when its name ends in `.xz` or `.gz`.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut bytes = Vec::new();
    let result = match path.extension().and_then(|ext| ext.to_str()) {
        Some("xz") => xz2::read::XzDecoder::new(file).read_to_end(&mut bytes),
        Some("gz") => flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes),
        _ => std::io::BufReader::new(file).read_to_end(&mut bytes),
    };
    result.map_err(|e| DataError::io(path, e))?;
    Ok(bytes)
}

/// Reads a whole file (`.xz`, `.gz` transparently) as strict UTF-8; a
/// leading BOM is dropped. Any invalid sequence, a CESU-8 pair included, is
/// an error naming the line: only the WeiboNER reader repairs CESU-8.
pub fn read_text(path: &Path) -> Result<String, DataError> {
    let bytes = read_bytes(path)?;
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let bytes = err.as_bytes();
            let valid = err.utf8_error().valid_up_to();
            let line = 1 + count_newlines(&bytes[..valid]);
            return Err(invalid_utf8(path, line, &bytes[valid..]));
        }
    };
    if text.starts_with('\u{feff}') {
        text.replace_range(..'\u{feff}'.len_utf8(), "");
    }
    Ok(text)
}

/// Decodes a whole file's bytes; `path` only names the file in errors.
pub fn decode_lenient(path: &Path, bytes: &[u8]) -> Result<Decoded, DataError> {
    decode_at(path, 1, bytes)
}

/// Decodes a fragment that starts on line `first_line` of `path`, so that an
/// error inside it still names the right line.
pub fn decode_at(path: &Path, first_line: usize, bytes: &[u8]) -> Result<Decoded, DataError> {
    let mut text = String::with_capacity(bytes.len());
    let mut repairs = 0;
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return Ok(Decoded { text, repairs });
            }
            Err(err) => {
                let (valid, bad) = rest.split_at(err.valid_up_to());
                text.push_str(std::str::from_utf8(valid).expect("prefix checked by from_utf8"));
                let Some(c) = cesu8_pair(bad) else {
                    let offset = bytes.len() - bad.len();
                    let line = first_line + count_newlines(&bytes[..offset]);
                    return Err(invalid_utf8(path, line, bad));
                };
                text.push(c);
                repairs += 1;
                rest = &bad[6..];
            }
        }
    }
}

/// Lines of a text with their 1-based numbers, without `\n` or a trailing `\r`.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

/// Whether `bytes` is exactly one CESU-8 high surrogate (`ED A0..AF xx`).
pub fn is_high_surrogate(bytes: &[u8]) -> bool {
    matches!(bytes, [0xED, 0xA0..=0xAF, 0x80..=0xBF])
}

/// Whether `bytes` is exactly one CESU-8 low surrogate (`ED B0..BF xx`).
pub fn is_low_surrogate(bytes: &[u8]) -> bool {
    matches!(bytes, [0xED, 0xB0..=0xBF, 0x80..=0xBF])
}

/// The supplementary character encoded by a CESU-8 pair at the start of `bytes`.
fn cesu8_pair(bytes: &[u8]) -> Option<char> {
    let (high, low) = (bytes.get(..3)?, bytes.get(3..6)?);
    if !is_high_surrogate(high) || !is_low_surrogate(low) {
        return None;
    }
    let unit = |b: &[u8]| 0xD000 | (u32::from(b[1] & 0x3F) << 6) | u32::from(b[2] & 0x3F);
    let code = 0x10000 + ((unit(high) - 0xD800) << 10) + (unit(low) - 0xDC00);
    char::from_u32(code)
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn invalid_utf8(path: &Path, line: usize, bad: &[u8]) -> DataError {
    let shown: Vec<String> = bad.iter().take(6).map(|b| format!("{b:02X}")).collect();
    DataError::malformed(
        path,
        line,
        format!("invalid UTF-8 (bytes {})", shown.join(" ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// U+1F60B (😋) as CESU-8: surrogates D83D DE0B.
    const CESU8_EMOJI: [u8; 6] = [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x8B];

    #[test]
    fn decode_repairs_cesu8_pair_into_supplementary_character() {
        let mut bytes = b"a\n".to_vec();
        bytes.extend_from_slice(&CESU8_EMOJI);
        bytes.extend_from_slice("好".as_bytes());
        let decoded = decode_lenient(Path::new("x"), &bytes).unwrap();
        assert_eq!(decoded.text, "a\n\u{1F60B}好");
        assert_eq!(decoded.repairs, 1);
    }

    #[test]
    fn decode_of_valid_utf8_makes_no_repairs() {
        let decoded = decode_lenient(Path::new("x"), "中文\n".as_bytes()).unwrap();
        assert_eq!(
            decoded,
            Decoded {
                text: "中文\n".into(),
                repairs: 0
            }
        );
    }

    #[test]
    fn decode_rejects_lone_surrogate_naming_file_and_line() {
        let bytes = [b'a', b'\n', b'b', b'\n', 0xED, 0xA0, 0xBD, b'\n'];
        let err = decode_lenient(Path::new("f.txt"), &bytes).unwrap_err();
        assert!(
            err.to_string().starts_with("f.txt:3: invalid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn decode_rejects_latin1_byte_with_offset_line() {
        let err = decode_at(Path::new("f"), 10, b"ok\n\xe9t\xe9").unwrap_err();
        assert!(
            err.to_string().starts_with("f:11: invalid UTF-8 (bytes E9"),
            "{err}"
        );
    }

    #[test]
    fn read_text_decompresses_xz_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt.xz");
        let mut enc = xz2::write::XzEncoder::new(std::fs::File::create(&path).unwrap(), 6);
        enc.write_all("字\n".as_bytes()).unwrap();
        enc.finish().unwrap();
        assert_eq!(read_text(&path).unwrap(), "字\n");
    }

    #[test]
    fn read_text_decompresses_gz_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt.gz");
        let file = std::fs::File::create(&path).unwrap();
        let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        enc.write_all("字\n".as_bytes()).unwrap();
        enc.finish().unwrap();
        assert_eq!(read_text(&path).unwrap(), "字\n");
    }

    #[test]
    fn read_text_refuses_cesu8_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        let mut bytes = b"a\nb\n".to_vec();
        bytes.extend_from_slice(&CESU8_EMOJI);
        std::fs::write(&path, &bytes).unwrap();
        let err = read_text(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("a.txt:3: invalid UTF-8 (bytes ED A0 BD ED B8 8B)"),
            "{err}"
        );
    }

    #[test]
    fn read_text_drops_bom() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "\u{feff}字").unwrap();
        assert_eq!(read_text(&path).unwrap(), "字");
    }

    #[test]
    fn read_of_missing_file_names_it() {
        let err = read_bytes(Path::new("/no/such/file.conll")).unwrap_err();
        assert!(err.to_string().starts_with("/no/such/file.conll:"), "{err}");
    }

    #[test]
    fn corrupt_xz_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.xz");
        std::fs::write(&path, b"not xz at all").unwrap();
        let err = read_bytes(&path).unwrap_err();
        assert!(err.to_string().contains("bad.xz"), "{err}");
    }

    #[test]
    fn numbered_lines_strip_carriage_returns() {
        let lines: Vec<_> = numbered_lines("a\r\nb\n").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "")]);
    }
}
