//! Words for a POSIX shell: the report states the command that made it,
//! Slurm job scripts name paths. One quoting rule for both.

/// `word` single-quoted, its own single quotes escaped (`'\''`).
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// `word` as it can be typed: unchanged when it is plain, else quoted.
pub fn word(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+".contains(c));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        quote(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_and_others_are_quoted_so_a_shell_reads_them_back() {
        assert_eq!(word("results/weibo"), "results/weibo");
        assert_eq!(word("a b"), "'a b'");
        assert_eq!(word(""), "''");
        assert_eq!(word("it's"), r"'it'\''s'");
        assert_eq!(quote("cuda"), "'cuda'");
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf %s {}", word("it's a $HOME"))])
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "it's a $HOME");
    }
}
