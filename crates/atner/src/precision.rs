//! Mixed-precision training: the arithmetic of the embedding output, the
//! BiLSTMs and the linear layers (the attention's projections among them) in
//! bfloat16, with fp32 master weights, an fp32 optimiser, and the attention
//! core, layer norm, CRF and losses in fp32.
//!
//! Why: on a CPU with native bf16 instructions (avx512_bf16 or AMX), matrix
//! products run 2.8× and oneDNN's BiLSTM 1.5× faster in bf16 than in fp32, and
//! they are most of a training step: the full model trains 1.4× faster at batch
//! 64, though no faster at batch 20, where the casts eat the gain
//! (BENCHMARKS.md). bf16 keeps fp32's exponent range, so no loss scaling is
//! needed, but only 8 bits of mantissa: what sums many terms or turns scores
//! into probabilities (the CRF's forward–backward and Viterbi, the
//! cross-entropy, layer norm, the attention's softmax, Adam) stays fp32.
//!
//! How: weights live in fp32 in the `VarStore`; each layer casts them to the
//! compute kind as it uses them ([`cast`]). A cast is differentiable, so the
//! gradient reaching a master weight is fp32, and checkpoints are fp32 whatever
//! the precision they were trained in.

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

/// The arithmetic a run trains and predicts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Everything in fp32.
    #[default]
    Fp32,
    /// bf16 compute with fp32 weights, optimiser, CRF and losses.
    Bf16,
}

impl Precision {
    /// The tensor kind of activations (the CRF and the losses are fp32 either way).
    pub fn kind(self) -> Kind {
        match self {
            Precision::Fp32 => Kind::Float,
            Precision::Bf16 => Kind::BFloat16,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Bf16 => "bf16",
        }
    }

    /// Whether `device` runs this precision at full speed; `Err` says why not.
    ///
    /// On the CPU, bf16 without avx512_bf16 or AMX is emulated and slower than
    /// fp32, so it is refused rather than silently made slow. CUDA devices are
    /// accepted: libtorch runs bf16 on every GPU it supports.
    pub fn check(self, device: Device) -> Result<(), String> {
        self.check_with(device, &cpu_flags())
    }

    /// [`Self::check`] for a CPU with these flags.
    fn check_with(self, device: Device, flags: &[String]) -> Result<(), String> {
        if self == Precision::Fp32 || device != Device::Cpu {
            return Ok(());
        }
        if flags.iter().any(|f| FAST_BF16_FLAGS.contains(&f.as_str())) {
            return Ok(());
        }
        Err(format!(
            "bf16 needs a CPU with native bfloat16 arithmetic (one of the flags {}); \
             this one has none, so bf16 would be slower than fp32",
            FAST_BF16_FLAGS.join(", ")
        ))
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// CPU flags (Linux `/proc/cpuinfo`) that mean native bf16 dot products.
const FAST_BF16_FLAGS: [&str; 2] = ["avx512_bf16", "amx_bf16"];

/// The flags of the first CPU in `/proc/cpuinfo`; empty where there is none.
pub fn cpu_flags() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, flags)| flags.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// `t` in `kind`: a differentiable cast, free when `t` already has that kind.
pub fn cast(t: &Tensor, kind: Kind) -> Tensor {
    if t.kind() == kind {
        t.shallow_clone()
    } else {
        t.to_kind(kind)
    }
}

/// `xs · Wᵀ + b` in the kind of `xs`, the fp32 weights cast to it.
pub fn linear(layer: &tch::nn::Linear, xs: &Tensor) -> Tensor {
    let kind = xs.kind();
    let bias = layer.bs.as_ref().map(|b| cast(b, kind));
    xs.linear(&cast(&layer.ws, kind), bias.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    #[test]
    fn cast_keeps_the_gradient_fp32() {
        let w = Tensor::from_slice(&[0.5f32, -1.25]).set_requires_grad(true);
        let y = cast(&w, Kind::BFloat16) * 3.0;
        assert_eq!(y.kind(), Kind::BFloat16);
        y.sum(Kind::Float).backward();
        assert_eq!(w.grad().kind(), Kind::Float);
        assert!(w
            .grad()
            .allclose(&Tensor::from_slice(&[3f32, 3.]), 0.0, 0.0, false));
    }

    #[test]
    fn linear_computes_in_the_input_kind_and_matches_fp32() {
        tch::manual_seed(2);
        let vs = nn::VarStore::new(Device::Cpu);
        let layer = nn::linear(vs.root() / "l", 16, 4, Default::default());
        let xs = Tensor::randn([3, 16], (Kind::Float, Device::Cpu));
        let full = linear(&layer, &xs);
        let half = linear(&layer, &xs.to_kind(Kind::BFloat16));
        assert_eq!(half.kind(), Kind::BFloat16);
        // bf16 keeps 8 bits of mantissa: relative error about 2⁻⁸ per term.
        let gap = (half.to_kind(Kind::Float) - &full).abs().max();
        assert!(gap.double_value(&[]) < 0.05, "{gap:?}");
    }

    fn flags(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn bf16_needs_native_bf16_on_the_cpu() {
        let icelake = flags("fpu sse2 avx2 avx512f avx512bw avx512_vnni");
        let epyc = flags("fpu avx2 avx512f avx512_bf16 avx512_vnni");
        let sapphire = flags("fpu avx512f amx_bf16 amx_tile amx_int8");
        let why = Precision::Bf16
            .check_with(Device::Cpu, &icelake)
            .expect_err("no native bf16");
        assert!(
            why.contains("avx512_bf16") && why.contains("amx_bf16"),
            "{why}"
        );
        assert!(Precision::Bf16.check_with(Device::Cpu, &epyc).is_ok());
        assert!(Precision::Bf16.check_with(Device::Cpu, &sapphire).is_ok());
        assert!(Precision::Fp32.check_with(Device::Cpu, &icelake).is_ok());
        assert!(Precision::Bf16
            .check_with(Device::Cuda(0), &icelake)
            .is_ok());
    }

    #[test]
    fn this_machine_is_read_from_proc_cpuinfo() {
        let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        if text.lines().any(|l| l.starts_with("flags")) {
            assert!(cpu_flags().len() > 1, "flags were not parsed");
        }
    }
}
