//! The character embedding shared by NER and CWS sentences (§3.1).
//!
//! Rows start from pre-trained vectors when given and are fine-tuned; the
//! dimension d_e follows the pre-trained file (50 for the default vectors).

use tch::{nn, Tensor};

/// One lookup table for both tasks.
#[derive(Debug)]
pub struct CharEmbedding {
    table: Tensor,
}

impl CharEmbedding {
    /// A `vocab × dim` table; `init` (row-major, `vocab·dim` values) seeds it when given.
    pub fn new(vs: &nn::Path, vocab: i64, dim: i64, init: Option<&[f32]>) -> Self {
        let table = match init {
            Some(values) => {
                let values = Tensor::from_slice(values).view([vocab, dim]);
                vs.var_copy("weight", &values)
            }
            None => vs.var("weight", &[vocab, dim], uniform(dim)),
        };
        Self { table }
    }

    pub fn dim(&self) -> i64 {
        self.table.size()[1]
    }

    /// Character ids `[batch, seq]` to vectors `[batch, seq, dim]`.
    pub fn forward(&self, ids: &Tensor) -> Tensor {
        Tensor::embedding(&self.table, ids, -1, false, false)
    }
}

/// Uniform in ±√(3/dim), the variance of unit-variance pre-trained vectors' components.
fn uniform(dim: i64) -> nn::Init {
    let bound = (3.0 / dim as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn pretrained_rows_are_looked_up() {
        let vs = nn::VarStore::new(Device::Cpu);
        let init: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let emb = CharEmbedding::new(&vs.root(), 4, 3, Some(&init));
        let ids = Tensor::from_slice(&[2i64, 0]).view([1, 2]);
        let out = emb.forward(&ids);
        assert_eq!(out.size(), [1, 2, 3]);
        let expected = Tensor::from_slice(&[6f32, 7., 8., 0., 1., 2.]).view([1, 2, 3]);
        assert!(out.allclose(&expected, 0.0, 0.0, false));
        assert_eq!(out.kind(), Kind::Float);
    }
}
