//! The streaming count: conlleval's main loop, one token at a time.
//!
//! A phrase is counted where `startOfChunk` holds (gold and predicted apart);
//! a correct phrase is tracked with conlleval's `inCorrect` flag: raised when
//! gold and prediction start a chunk together with the same type, dropped when
//! only one of them ends or the current types differ, and counted when both end
//! together with the same previous type (or when the input ends while raised).
//! A sentence boundary is conlleval's `-X- O O` line: an outside token that is
//! not counted as a token.

use super::tag::{end_of_chunk, start_of_chunk, Tag};
use super::{MetricsError, Scheme, Scores};

/// conlleval's state between two tokens.
#[derive(Clone, Debug)]
pub struct Counter {
    scheme: Scheme,
    scores: Scores,
    in_correct: bool,
    last_gold: OwnedTag,
    last_pred: OwnedTag,
    sentence: usize,
    token: usize,
}

impl Counter {
    pub fn new(scheme: Scheme) -> Self {
        Counter {
            scheme,
            scores: Scores::default(),
            in_correct: false,
            last_gold: OwnedTag::outside(),
            last_pred: OwnedTag::outside(),
            sentence: 0,
            token: 0,
        }
    }

    /// One token, given its gold and predicted tags.
    ///
    /// Errors only under [`Scheme::StrictIob2`], on a tag that is not IOB2; the
    /// counts are then left as they were before the call.
    pub fn push(&mut self, gold: &str, pred: &str) -> Result<(), MetricsError> {
        let g = self.read(gold, self.last_gold.as_tag())?;
        let p = self.read(pred, self.last_pred.as_tag())?;
        if Tag::conlleval(gold) == Tag::conlleval(pred) {
            self.scores.correct_tokens += 1;
        }
        self.scores.tokens += 1;
        self.token += 1;
        self.step(g, p);
        Ok(())
    }

    /// A sentence boundary (a blank line): flushes the chunks open at it.
    pub fn boundary(&mut self) {
        self.step(Tag::OUTSIDE, Tag::OUTSIDE);
        if self.token > 0 {
            self.sentence += 1;
            self.token = 0;
        }
    }

    /// The counts, after counting a correct chunk still open at the end.
    pub fn finish(mut self) -> Scores {
        if self.in_correct {
            self.scores.overall.correct += 1;
            self.scores.entry(&self.last_gold.kind).correct += 1;
        }
        self.scores
    }

    fn read<'a>(&self, tag: &'a str, prev: Tag<'_>) -> Result<Tag<'a>, MetricsError> {
        self.scheme
            .read(tag, prev)
            .ok_or_else(|| MetricsError::NotIob2 {
                sentence: self.sentence,
                token: self.token,
                tag: tag.to_owned(),
            })
    }

    /// conlleval's loop body for one line, from `if ($inCorrect)` on.
    fn step(&mut self, g: Tag<'_>, p: Tag<'_>) {
        let (last_g, last_p) = (self.last_gold.as_tag(), self.last_pred.as_tag());
        if self.in_correct {
            let (g_ends, p_ends) = (end_of_chunk(last_g, g), end_of_chunk(last_p, p));
            if g_ends && p_ends && last_p.kind == last_g.kind {
                self.in_correct = false;
                self.scores.overall.correct += 1;
                self.scores.entry(last_g.kind).correct += 1;
            } else if g_ends != p_ends || p.kind != g.kind {
                self.in_correct = false;
            }
        }
        let (g_starts, p_starts) = (start_of_chunk(last_g, g), start_of_chunk(last_p, p));
        if g_starts && p_starts && p.kind == g.kind {
            self.in_correct = true;
        }
        if g_starts {
            self.scores.overall.gold += 1;
            self.scores.entry(g.kind).gold += 1;
        }
        if p_starts {
            self.scores.overall.guessed += 1;
            self.scores.entry(p.kind).guessed += 1;
        }
        self.last_gold.set(g);
        self.last_pred.set(p);
    }
}

/// The previous tag, kept between calls.
#[derive(Clone, Debug)]
struct OwnedTag {
    prefix: String,
    kind: String,
}

impl OwnedTag {
    fn outside() -> Self {
        OwnedTag {
            prefix: Tag::OUTSIDE.prefix.to_owned(),
            kind: Tag::OUTSIDE.kind.to_owned(),
        }
    }

    fn as_tag(&self) -> Tag<'_> {
        Tag {
            prefix: &self.prefix,
            kind: &self.kind,
        }
    }

    fn set(&mut self, tag: Tag<'_>) {
        tag.prefix.clone_into(&mut self.prefix);
        tag.kind.clone_into(&mut self.kind);
    }
}
