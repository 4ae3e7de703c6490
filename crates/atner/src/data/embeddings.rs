//! Pre-trained character vectors in word2vec text format (paper §3.1, §4.2).
//!
//! An optional `N D` header line, then `TOKEN v1 … vD` per line; trailing
//! spaces are allowed (the default 50-d file has them) and `.xz` is read
//! transparently. The dimension follows the file: the header's, or else the
//! first vector's. The header's count is not trusted (the GloVe file's is off
//! by one), every line's dimension is.

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

/// Reads a word2vec text file.
pub fn read_word2vec(path: &Path) -> Result<Embeddings, DataError> {
    let decoded = source::read_text(path)?;
    let mut lines = numbered_lines(&decoded.text)
        .map(|(n, line)| (n, line.trim_end_matches([' ', '\t'])))
        .filter(|(_, line)| !line.is_empty())
        .peekable();
    let header = lines.peek().and_then(|(_, line)| parse_header(line));
    if header.is_some() {
        lines.next();
    }
    let mut embeddings: Option<Embeddings> = header.map(empty);
    for (line, text) in lines {
        let (token, values) =
            parse_vector(text).map_err(|m| DataError::malformed(path, line, m))?;
        let target = embeddings.get_or_insert_with(|| empty(values.len()));
        target.push(path, line, token, values)?;
    }
    match embeddings {
        Some(embeddings) if !embeddings.is_empty() => Ok(embeddings),
        _ => Err(DataError::invalid(path, "no vectors")),
    }
}

fn empty(dim: usize) -> Embeddings {
    Embeddings {
        dim,
        tokens: Vec::new(),
        values: Vec::new(),
        index: HashMap::new(),
    }
}

/// The dimension from an `N D` header line, if this line is one.
fn parse_header(line: &str) -> Option<usize> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    let [count, dim] = fields[..] else {
        return None;
    };
    count.parse::<usize>().ok()?;
    dim.parse::<usize>().ok().filter(|&dim| dim > 0)
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
                .contains("vec.txt:3: expected 3 values, found 2"),
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

    #[test]
    fn missing_file_is_an_error() {
        assert!(read_word2vec(Path::new("/nonexistent/char_vec.txt.xz")).is_err());
    }
}
