//! Sentences as ids: characters through the vocabulary, tags through a [`TagSet`].

use serde::{Deserialize, Serialize};

/// The tags of one task, `O` (or the first tag) at id 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSet {
    tags: Vec<String>,
}

impl TagSet {
    /// The distinct tags, `O` first and the rest sorted, so ids do not depend on data order.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set: Vec<String> = tags.into_iter().map(str::to_owned).collect();
        set.sort_by(|a, b| (a != "O", a).cmp(&(b != "O", b)));
        set.dedup();
        Self { tags: set }
    }

    /// B/M/E/S, the word-segmentation tags.
    pub fn cws() -> Self {
        Self::from_tags(["B", "M", "E", "S"])
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    pub fn id(&self, tag: &str) -> Option<i64> {
        self.tags.iter().position(|t| t == tag).map(|i| i as i64)
    }

    pub fn name(&self, id: i64) -> &str {
        &self.tags[id as usize]
    }

    pub fn names(&self, ids: &[i64]) -> Vec<String> {
        ids.iter().map(|&id| self.name(id).to_owned()).collect()
    }
}

/// A sentence as character ids and tag ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub chars: Vec<i64>,
    pub tags: Vec<i64>,
}

/// Encodes sentences; a tag outside `tags` is an error naming it.
pub fn encode(
    sentences: &[crate::data::Sentence],
    char_id: impl Fn(&str) -> i64,
    tags: &TagSet,
) -> Result<Vec<Encoded>, String> {
    sentences
        .iter()
        .map(|s| {
            let tag_ids = s
                .tags
                .iter()
                .map(|t| {
                    tags.id(t)
                        .ok_or_else(|| format!("tag {t:?} is not in the tag set"))
                })
                .collect::<Result<_, _>>()?;
            Ok(Encoded {
                chars: s.tokens.iter().map(|c| char_id(c)).collect(),
                tags: tag_ids,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ids_do_not_depend_on_order() {
        let a = TagSet::from_tags(["I-PER", "O", "B-PER", "O"]);
        let b = TagSet::from_tags(["B-PER", "I-PER", "O"]);
        assert_eq!(a, b);
        assert_eq!(a.id("O"), Some(0));
        assert_eq!(a.names(&[1, 2]), ["B-PER", "I-PER"]);
    }
}
