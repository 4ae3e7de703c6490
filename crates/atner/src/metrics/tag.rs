//! Tags and chunks: how a tag string splits into prefix and type, conlleval's
//! `startOfChunk`/`endOfChunk`, the strict IOB2 reading, and [`chunks`], the
//! spans one tag sequence holds.
//!
//! The two predicates are transcribed from conlleval (version 2004-01-26), rule
//! for rule, so that counting with them reproduces the Perl script exactly,
//! malformed input included.

use serde::{Deserialize, Serialize};

use super::{MetricsError, Scheme};

/// A tag as conlleval reads it: the prefix before the first `-`, the type after it.
///
/// `B-PER.NAM` is `("B", "PER.NAM")`, `B-A-B` is `("B", "A-B")`, `O` is `("O", "")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub prefix: &'a str,
    pub kind: &'a str,
}

impl<'a> Tag<'a> {
    /// The outside tag; also what conlleval feeds at a sentence boundary.
    pub const OUTSIDE: Tag<'static> = Tag {
        prefix: "O",
        kind: "",
    };

    /// conlleval's split (`/^([^-]*)-(.*)$/`), then Perl's `$type ? $type : ""`,
    /// under which the type `0` is false and so becomes the empty type.
    pub fn conlleval(tag: &'a str) -> Self {
        let (prefix, kind) = tag.split_once('-').unwrap_or((tag, ""));
        let kind = if kind == "0" { "" } else { kind };
        Tag { prefix, kind }
    }

    /// Strict IOB2: `O`, `B-T` or `I-T` with a non-empty `T`; anything else is
    /// `None`. An `I-T` that does not continue a chunk of type `T` (`prev` is
    /// the previous tag as read here) reads as outside: it starts nothing.
    pub fn strict(tag: &'a str, prev: Tag<'_>) -> Option<Self> {
        if tag == "O" {
            return Some(Tag::OUTSIDE);
        }
        let (prefix, kind) = tag.split_once('-')?;
        let continues = matches!(prev.prefix, "B" | "I") && prev.kind == kind;
        match prefix {
            _ if kind.is_empty() => None,
            "B" => Some(Tag { prefix, kind }),
            "I" if continues => Some(Tag { prefix, kind }),
            "I" => Some(Tag::OUTSIDE),
            _ => None,
        }
    }
}

impl Scheme {
    /// Reads one tag under this scheme; `prev` is the previous tag as read.
    pub(crate) fn read<'a>(self, tag: &'a str, prev: Tag<'_>) -> Option<Tag<'a>> {
        match self {
            Scheme::Conlleval => Some(Tag::conlleval(tag)),
            Scheme::StrictIob2 => Tag::strict(tag, prev),
        }
    }
}

/// conlleval's `endOfChunk`: did a chunk end between `prev` and `cur`?
pub(crate) fn end_of_chunk(prev: Tag<'_>, cur: Tag<'_>) -> bool {
    let by_prefix = matches!(
        (prev.prefix, cur.prefix),
        ("B" | "I", "B" | "O") | ("E", "E" | "I" | "O")
    );
    let by_type = prev.prefix != "O" && prev.prefix != "." && prev.kind != cur.kind;
    let bracket = matches!(prev.prefix, "[" | "]");
    by_prefix || by_type || bracket
}

/// conlleval's `startOfChunk`: did a chunk start between `prev` and `cur`?
pub(crate) fn start_of_chunk(prev: Tag<'_>, cur: Tag<'_>) -> bool {
    let by_prefix = matches!(
        (prev.prefix, cur.prefix),
        ("B" | "I" | "O", "B") | ("O", "I" | "E") | ("E", "E" | "I")
    );
    let by_type = cur.prefix != "O" && cur.prefix != "." && prev.kind != cur.kind;
    let bracket = matches!(cur.prefix, "[" | "]");
    by_prefix || by_type || bracket
}

/// One chunk: tokens `start..end` (end exclusive) of type `label`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// The chunks of one sentence's tags, in order.
///
/// A chunk starts where `startOfChunk` holds, takes the type of its first tag,
/// and runs up to the next position where `endOfChunk` holds, or to the end of
/// the sentence (conlleval's sentence boundary is an `O`). For the tags of
/// [`Scheme::StrictIob2`] and for conlleval's reading of O/B/I/E/S tags with
/// non-empty types, every start meets an end first, so chunks never overlap;
/// should malformed tags (`.`, `O-X`, type `0`) start a chunk before the
/// previous one ended, the previous one is cut there, so that there are
/// exactly as many spans as conlleval counts phrases.
///
/// Errors only under [`Scheme::StrictIob2`], on a tag that is not IOB2
/// (reported as sentence 0).
pub fn chunks<S: AsRef<str>>(tags: &[S], scheme: Scheme) -> Result<Vec<Span>, MetricsError> {
    let mut spans = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    let mut prev = Tag::OUTSIDE;
    for (i, raw) in tags.iter().enumerate() {
        let raw = raw.as_ref();
        let cur = scheme
            .read(raw, prev)
            .ok_or_else(|| MetricsError::NotIob2 {
                sentence: 0,
                token: i,
                tag: raw.to_owned(),
            })?;
        let ends = end_of_chunk(prev, cur);
        let starts = start_of_chunk(prev, cur);
        if ends || starts {
            close(&mut spans, open.take(), i);
        }
        if starts {
            open = Some((i, cur.kind));
        }
        prev = cur;
    }
    close(&mut spans, open, tags.len());
    Ok(spans)
}

fn close(spans: &mut Vec<Span>, open: Option<(usize, &str)>, end: usize) {
    if let Some((start, label)) = open {
        spans.push(Span {
            start,
            end,
            label: label.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(tags: &str, scheme: Scheme) -> Vec<(usize, usize, String)> {
        let tags: Vec<&str> = tags.split_whitespace().collect();
        let spans = chunks(&tags, scheme).expect("valid tags");
        spans
            .into_iter()
            .map(|s| (s.start, s.end, s.label))
            .collect()
    }

    fn s(start: usize, end: usize, label: &str) -> (usize, usize, String) {
        (start, end, label.to_owned())
    }

    #[test]
    fn tag_splits_at_the_first_hyphen() {
        let t = Tag::conlleval("B-GPE-LOC.NAM");
        assert_eq!((t.prefix, t.kind), ("B", "GPE-LOC.NAM"));
        let t = Tag::conlleval("O");
        assert_eq!((t.prefix, t.kind), ("O", ""));
    }

    #[test]
    fn type_zero_reads_as_empty_like_perl() {
        assert_eq!(Tag::conlleval("B-0").kind, "");
        assert_eq!(Tag::conlleval("B-00").kind, "00");
    }

    #[test]
    fn conlleval_i_after_o_or_other_type_starts_a_chunk() {
        // I-X after O starts (rule O,I); I-Y after I-X: type change ends and starts.
        let got = spans("O I-X I-X I-Y B-Y O", Scheme::Conlleval);
        assert_eq!(got, vec![s(1, 3, "X"), s(3, 4, "Y"), s(4, 5, "Y")]);
    }

    #[test]
    fn strict_ignores_i_that_continues_nothing() {
        // I-X after O and I-Y after B-X start nothing; I-Y after a stray I-Y too.
        let got = spans("O I-X B-X I-X I-Y I-Y B-Y", Scheme::StrictIob2);
        assert_eq!(got, vec![s(2, 4, "X"), s(6, 7, "Y")]);
    }

    #[test]
    fn strict_rejects_non_iob2_tags() {
        for bad in ["E-X", "S-X", "B-", "I", "X", "."] {
            let err = chunks(&["O", bad], Scheme::StrictIob2).expect_err(bad);
            assert!(
                matches!(err, MetricsError::NotIob2 { token: 1, .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn conlleval_e_tags_follow_ioe_not_iobes() {
        // (O,E) starts; (E,E) ends and starts; (B,E) and (I,E) neither; (E,B) neither.
        let got = spans("E-X E-X B-X I-X E-X B-X O", Scheme::Conlleval);
        assert_eq!(got, vec![s(0, 1, "X"), s(1, 6, "X")]);
    }

    #[test]
    fn conlleval_s_tags_only_split_on_type_change() {
        // No rule names S: only the type rule applies, so S-X S-X is one chunk.
        let got = spans("S-X S-X S-Y O S-X", Scheme::Conlleval);
        assert_eq!(got, vec![s(0, 2, "X"), s(2, 3, "Y"), s(4, 5, "X")]);
    }

    #[test]
    fn brackets_are_one_token_chunks() {
        // "[" and "]" always start and always end at the next token; the I-NP
        // after "]" matches no start rule (same type, prefix pair not listed).
        let got = spans("[-NP ]-NP I-NP", Scheme::Conlleval);
        assert_eq!(got, vec![s(0, 1, "NP"), s(1, 2, "NP")]);
    }

    #[test]
    fn chunk_at_sentence_end_is_closed() {
        let got = spans("O B-X I-X", Scheme::Conlleval);
        assert_eq!(got, vec![s(1, 3, "X")]);
    }
}
