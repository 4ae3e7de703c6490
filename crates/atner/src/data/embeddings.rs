//! Pre-trained character vectors (paper §3.1, §4.2) in the three common
//! formats ([`VectorFormat`]): word2vec text, word2vec binary and GloVe.
//!
//! Text: an optional `N D` header line (word2vec; GloVe has none), then
//! `TOKEN v1 … vD` per line; trailing spaces are allowed (the default 50-d
//! file has them) and `.xz`/`.gz` are read transparently. The dimension
//! follows the file: the header's, or else the first vector's. The header's
//! count is not trusted (the GloVe file's is off by one), every line's
//! dimension is. Binary: an `N D` header line, then N records of the token,
//! a space, D little-endian f32 and an optional newline.

use std::collections::HashMap;
use std::path::Path;

use super::source::{self, numbered_lines};
use super::DataError;

/// Token vectors, row-major, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    dim: usize,
    tokens: Vec<String>,
    values: Vec<f32>,
    index: HashMap<String, usize>,
}

impl Embeddings {
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Tokens in file order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The vector of `token`, if the file has one.
    pub fn get(&self, token: &str) -> Option<&[f32]> {
        let row = *self.index.get(token)?;
        Some(&self.values[row * self.dim..(row + 1) * self.dim])
    }

    fn push(
        &mut self,
        path: &Path,
        line: usize,
        token: &str,
        values: Vec<f32>,
    ) -> Result<(), DataError> {
        if values.len() != self.dim {
            let message = format!("expected {} values, found {}", self.dim, values.len());
            return Err(DataError::malformed(path, line, message));
        }
        if self
            .index
            .insert(token.to_string(), self.tokens.len())
            .is_some()
        {
            return Err(DataError::malformed(
                path,
                line,
                format!("duplicate token `{token}`"),
            ));
        }
        self.tokens.push(token.to_string());
        self.values.extend(values);
        Ok(())
    }
}

/// How a vectors file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VectorFormat {
    /// word2vec text, with or without its `N D` header line.
    Word2vec,
    /// word2vec binary (`-binary 1`): header line, then raw little-endian f32.
    Word2vecBinary,
    /// GloVe text: no header, every line a vector.
    Glove,
}

/// Reads a vectors file in `format`.
pub fn read_vectors(path: &Path, format: VectorFormat) -> Result<Embeddings, DataError> {
    match format {
        VectorFormat::Word2vec => read_text_vectors(path, true),
        VectorFormat::Word2vecBinary => read_word2vec_binary(path),
        VectorFormat::Glove => read_text_vectors(path, false),
    }
}

/// Reads a word2vec text file.
pub fn read_word2vec(path: &Path) -> Result<Embeddings, DataError> {
    read_text_vectors(path, true)
}

/// Text vectors; with `header_allowed`, a first line `N D` is the header.
fn read_text_vectors(path: &Path, header_allowed: bool) -> Result<Embeddings, DataError> {
    let text = source::read_text(path)?;
    let mut lines = numbered_lines(&text)
        .map(|(n, line)| (n, line.trim_end_matches([' ', '\t'])))
        .filter(|(_, line)| !line.is_empty())
        .peekable();
    let header = lines
        .peek()
        .filter(|_| header_allowed)
        .and_then(|&(n, line)| Some((n, parse_header(line)?)));
    if header.is_some() {
        lines.next();
    }
    let mut embeddings: Option<Embeddings> = header.map(|(_, (_, dim))| empty(dim));
    for (line, text) in lines {
        let (token, values) =
            parse_vector(text).map_err(|m| DataError::malformed(path, line, m))?;
        if let Some((at, (_, dim))) = header.filter(|&(_, (_, dim))| dim != values.len()) {
            let message = format!(
                "expected {dim} values (the header on line {at} says so), found {}",
                values.len()
            );
            return Err(DataError::malformed(path, line, message));
        }
        let target = embeddings.get_or_insert_with(|| empty(values.len()));
        target.push(path, line, token, values)?;
    }
    non_empty(path, embeddings)
}

fn non_empty(path: &Path, embeddings: Option<Embeddings>) -> Result<Embeddings, DataError> {
    match embeddings {
        Some(embeddings) if !embeddings.is_empty() => Ok(embeddings),
        _ => Err(DataError::invalid(path, "no vectors")),
    }
}

/// Reads a word2vec binary file; errors name the record (binary has no lines).
pub fn read_word2vec_binary(path: &Path) -> Result<Embeddings, DataError> {
    let bytes = source::read_bytes(path)?;
    let end = bytes.iter().position(|&b| b == b'\n');
    let header = end
        .and_then(|end| std::str::from_utf8(&bytes[..end]).ok())
        .and_then(|line| parse_header(line.trim_end_matches('\r')));
    let (Some(end), Some((count, dim))) = (end, header) else {
        return Err(DataError::malformed(
            path,
            1,
            "expected a `COUNT DIM` header line",
        ));
    };
    let mut embeddings = empty(dim);
    let mut rest = &bytes[end + 1..];
    for record in 1..=count {
        let (token, values, tail) = binary_record(rest, dim)
            .map_err(|m| DataError::invalid(path, format!("vector {record} of {count}: {m}")))?;
        embeddings.push(path, 1, token, values)?;
        rest = tail;
    }
    if !rest.iter().all(u8::is_ascii_whitespace) {
        let message = format!("bytes left after the {count} vectors the header announces");
        return Err(DataError::invalid(path, message));
    }
    non_empty(path, Some(embeddings))
}

/// One binary record: the token up to a space, then `dim` f32; the newline
/// some writers put after it is skipped.
fn binary_record(bytes: &[u8], dim: usize) -> Result<(&str, Vec<f32>, &[u8]), String> {
    let bytes = bytes.strip_prefix(b"\n").unwrap_or(bytes);
    let space = bytes
        .iter()
        .position(|&b| b == b' ')
        .ok_or("the file ends inside it")?;
    let token = std::str::from_utf8(&bytes[..space]).map_err(|_| "its token is not UTF-8")?;
    if token.is_empty() {
        return Err("empty token".into());
    }
    let data = bytes
        .get(space + 1..space + 1 + 4 * dim)
        .ok_or("the file ends inside it")?;
    let values = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok((token, values, &bytes[space + 1 + 4 * dim..]))
}

fn empty(dim: usize) -> Embeddings {
    Embeddings {
        dim,
        tokens: Vec::new(),
        values: Vec::new(),
        index: HashMap::new(),
    }
}

/// The count and dimension of an `N D` header line, if this line is one.
fn parse_header(line: &str) -> Option<(usize, usize)> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    let [count, dim] = fields[..] else {
        return None;
    };
    let count = count.parse::<usize>().ok()?;
    Some((count, dim.parse::<usize>().ok().filter(|&dim| dim > 0)?))
}

fn parse_vector(line: &str) -> Result<(&str, Vec<f32>), String> {
    let Some((token, rest)) = line.split_once(' ') else {
        return Err("expected `TOKEN v1 … vD`, found a single field".to_string());
    };
    if token.is_empty() {
        return Err("empty token".to_string());
    }
    let values = rest
        .split_ascii_whitespace()
        .map(|v| {
            v.parse::<f32>()
                .map_err(|_| format!("`{v}` is not a number"))
        })
        .collect::<Result<Vec<f32>, String>>()?;
    Ok((token, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vec.txt");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_header_and_trailing_spaces() {
        let (_dir, path) = write("2 3\n中 0.1 0.2 0.3 \n</s> 1 2 3 \n");
        let emb = read_word2vec(&path).unwrap();
        assert_eq!((emb.len(), emb.dim()), (2, 3));
        assert_eq!(emb.get("中"), Some(&[0.1, 0.2, 0.3][..]));
        assert_eq!(emb.get("国"), None);
        assert_eq!(emb.tokens(), ["中", "</s>"]);
    }

    #[test]
    fn header_is_optional_and_dimension_follows_first_line() {
        let (_dir, path) = write("a 1 2\nb 3 4\n");
        let emb = read_word2vec(&path).unwrap();
        assert_eq!((emb.len(), emb.dim()), (2, 2));
        assert_eq!(emb.get("b"), Some(&[3.0, 4.0][..]));
    }

    #[test]
    fn header_count_is_not_trusted() {
        let (_dir, path) = write("1 2\na 1 2\n<unk> 0 0\n");
        assert_eq!(read_word2vec(&path).unwrap().len(), 2);
    }

    #[test]
    fn wrong_dimension_is_an_error_with_line() {
        let (_dir, path) = write("2 3\na 1 2 3\nb 1 2\n");
        let err = read_word2vec(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("vec.txt:3: expected 3 values (the header on line 1 says so), found 2"),
            "{err}"
        );
    }

    #[test]
    fn non_number_is_an_error_with_line() {
        let (_dir, path) = write("a 1 x\n");
        let err = read_word2vec(&path).unwrap_err();
        assert!(err.to_string().contains(":1: `x` is not a number"), "{err}");
    }

    #[test]
    fn duplicate_token_is_an_error() {
        let (_dir, path) = write("a 1\na 2\n");
        assert!(read_word2vec(&path)
            .unwrap_err()
            .to_string()
            .contains(":2: duplicate"));
    }

    #[test]
    fn empty_file_is_an_error() {
        let (_dir, path) = write("0 50\n");
        assert!(read_word2vec(&path)
            .unwrap_err()
            .to_string()
            .ends_with("no vectors"));
    }

    /// The vectors of `text` written in word2vec binary format.
    fn binary(text: &str, newline_after: bool) -> Vec<u8> {
        let emb = read_word2vec(&write(text).1).unwrap();
        let mut bytes = format!("{} {}\n", emb.len(), emb.dim()).into_bytes();
        for token in emb.tokens() {
            bytes.extend_from_slice(token.as_bytes());
            bytes.push(b' ');
            for v in emb.get(token).unwrap() {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            if newline_after {
                bytes.push(b'\n');
            }
        }
        bytes
    }

    #[test]
    fn every_format_reads_the_same_vectors() {
        let text = "中 0.5 -1.25 3\n国 1e-3 0 -0\n";
        let expected = read_word2vec(&write(text).1).unwrap();
        let (_d, headed) = write(&format!("2 3\n{text}"));
        assert_eq!(
            read_vectors(&headed, VectorFormat::Word2vec).unwrap(),
            expected
        );
        let (_d, glove) = write(text);
        assert_eq!(read_vectors(&glove, VectorFormat::Glove).unwrap(), expected);
        for newline_after in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("vec.bin");
            std::fs::write(&path, binary(text, newline_after)).unwrap();
            let read = read_vectors(&path, VectorFormat::Word2vecBinary).unwrap();
            assert_eq!(read, expected);
        }
    }

    #[test]
    fn a_glove_file_has_no_header() {
        let (_dir, path) = write("2 3\na 1 2 3\n");
        let err = read_vectors(&path, VectorFormat::Glove)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("vec.txt:2: expected 1 values, found 3"),
            "{err}"
        );
    }

    #[test]
    fn a_header_that_disagrees_with_the_vectors_is_named() {
        let (_dir, path) = write("2 4\na 1 2 3\n");
        let err = read_word2vec(&path).unwrap_err().to_string();
        assert!(
            err.contains("vec.txt:2: expected 4 values (the header on line 1 says so), found 3"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_binary_file_names_the_record() {
        let mut bytes = binary("a 1 2\nb 3 4\n", true);
        bytes.truncate(bytes.len() - 3);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vec.bin");
        std::fs::write(&path, bytes).unwrap();
        let err = read_word2vec_binary(&path).unwrap_err().to_string();
        assert!(
            err.contains("vec.bin: vector 2 of 2: the file ends inside it"),
            "{err}"
        );
        std::fs::write(&path, b"a 1 2\n").unwrap();
        let err = read_word2vec_binary(&path).unwrap_err().to_string();
        assert!(
            err.contains("vec.bin:1: expected a `COUNT DIM` header line"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_is_an_error() {
        assert!(read_word2vec(Path::new("/nonexistent/char_vec.txt.xz")).is_err());
    }
}
