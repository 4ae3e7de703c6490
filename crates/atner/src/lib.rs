//! Adversarial transfer learning for Chinese NER with self-attention
//! (Cao et al., EMNLP 2018), on libtorch through `tch`.
//!
//! Modules, in the order of the paper:
//! - [`data`]: corpora (WeiboNER, SighanNER, CWS), character vocabulary and
//!   pre-trained embeddings (§4.1, Table 1);
//! - [`embedding`]: the character lookup shared by both tasks (§3.1);
//! - [`bilstm`]: private and shared BiLSTM feature extractors (§3.2, eq. 1–5);
//! - [`attention`]: multi-head self-attention (§3.3, eq. 6–8);
//! - [`crf`]: the task-specific linear-chain CRF (§3.4, eq. 9–14);
//! - [`adversarial`]: gradient reversal and the task discriminator (§3.5, eq. 15–17);
//! - [`model`]: the five variants of Table 5 as one model with switched parts (eq. 18–19);
//! - [`train`]: alternating-task training with early stopping on NER dev F1 (§3.6, §4.2);
//! - [`encode`]: sentences as character and tag ids;
//! - [`metrics`]: conlleval-exact entity scoring;
//! - [`config`]: hyper-parameters whose defaults are the paper's;
//! - [`precision`]: fp32 or bf16 mixed-precision arithmetic;
//! - [`fingerprint`]: the model code's numbers on a fixed synthetic corpus,
//!   which guard stored runs against code that computes differently;
//! - [`killpoint`]: named crash points and perturbable constants for tests.
//!
//! The crate never prints; training reports progress through a callback.

pub mod adversarial;
pub mod attention;
pub mod bilstm;
pub mod config;
pub mod crf;
pub mod data;
pub mod embedding;
pub mod encode;
pub mod fingerprint;
pub mod killpoint;
pub mod metrics;
pub mod model;
pub mod precision;
pub mod probe;
pub mod train;
