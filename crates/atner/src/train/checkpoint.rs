//! A run's complete training state in one file: weights, best-dev weights, Adam's
//! moments and the epoch records. Written to a temporary name and renamed, so a
//! killed process leaves either the previous checkpoint or the new one.

use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};

use super::{sorted_variables, TrainState, Trainer};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {source}")]
    Torch {
        path: PathBuf,
        source: tch::TchError,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Trainer<'_> {
    /// Saves everything needed to continue exactly where training stands.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), CheckpointError> {
        let state = serde_json::to_vec(&self.state).map_err(|e| invalid(path, e.to_string()))?;
        let mut named: Vec<(String, Tensor)> = Vec::new();
        for (name, t) in sorted_variables(&self.vs) {
            named.push((format!("model.{name}"), t));
        }
        for (name, t) in &self.best_weights {
            named.push((format!("best.{name}"), t.shallow_clone()));
        }
        for (i, (name, _)) in self.adam.params.iter().enumerate() {
            named.push((format!("adam_m.{name}"), self.adam.m[i].shallow_clone()));
            named.push((format!("adam_v.{name}"), self.adam.v[i].shallow_clone()));
        }
        named.push(("adam_step".into(), Tensor::from(self.adam.step)));
        named.push(("state".into(), Tensor::from_slice(&state)));
        let partial = path.with_extension("partial");
        Tensor::save_multi(&named, &partial).map_err(|source| torch(path, source))?;
        crate::killpoint::reached("checkpoint-rename");
        std::fs::rename(&partial, path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Restores a checkpoint written by [`Self::save_checkpoint`] for the same configuration.
    pub fn load_checkpoint(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let loaded =
            Tensor::load_multi_with_device(path, self.vs.device()).map_err(|s| torch(path, s))?;
        let find = |key: &str| {
            loaded
                .iter()
                .find(|(n, _)| n == key)
                .map(|(_, t)| t.shallow_clone())
                .ok_or_else(|| {
                    invalid(
                        path,
                        format!("no tensor {key:?}: not a checkpoint of this model"),
                    )
                })
        };
        let state_bytes = Vec::<u8>::try_from(&find("state")?.to_kind(Kind::Uint8))
            .map_err(|e| invalid(path, e.to_string()))?;
        let state: TrainState = serde_json::from_slice(&state_bytes)
            .map_err(|e| invalid(path, format!("state: {e}")))?;
        let mut best = Vec::new();
        tch::no_grad(|| -> Result<(), CheckpointError> {
            for (i, (name, param)) in self.adam.params.iter().enumerate() {
                copy_into(param, &find(&format!("model.{name}"))?, path, name)?;
                copy_into(
                    &self.adam.m[i],
                    &find(&format!("adam_m.{name}"))?,
                    path,
                    name,
                )?;
                copy_into(
                    &self.adam.v[i],
                    &find(&format!("adam_v.{name}"))?,
                    path,
                    name,
                )?;
                if state.best_epoch.is_some() {
                    best.push((name.clone(), find(&format!("best.{name}"))?));
                }
            }
            Ok(())
        })?;
        self.adam.step = find("adam_step")?.int64_value(&[]);
        self.best_weights = best;
        self.state = state;
        Ok(())
    }

    /// Saves the best-dev weights alone (a `VarStore` file), for prediction.
    pub fn save_best_weights(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let current: Vec<(String, Tensor)> = sorted_variables(&self.vs)
            .into_iter()
            .map(|(n, t)| (n, t.detach().copy()))
            .collect();
        self.restore_best();
        let saved = self.vs.save(path).map_err(|s| torch(path, s));
        let variables = self.vs.variables();
        tch::no_grad(|| {
            for (name, t) in &current {
                variables[name].shallow_clone().copy_(t);
            }
        });
        saved
    }
}

fn copy_into(dst: &Tensor, src: &Tensor, path: &Path, name: &str) -> Result<(), CheckpointError> {
    if dst.size() != src.size() {
        let message = format!(
            "{name}: shape {:?} in the checkpoint, {:?} in the model",
            src.size(),
            dst.size()
        );
        return Err(invalid(path, message));
    }
    dst.shallow_clone().copy_(src);
    Ok(())
}

fn torch(path: &Path, source: tch::TchError) -> CheckpointError {
    CheckpointError::Torch {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, message: String) -> CheckpointError {
    CheckpointError::Invalid {
        path: path.to_path_buf(),
        message,
    }
}
