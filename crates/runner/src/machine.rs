//! The machine a run was trained on: CPU model, the instruction-set flags
//! that choose libtorch's (MKL's, oneDNN's) kernels, the libtorch version,
//! the thread count and the device. Kernels differ between CPUs in their
//! summation order, so two machines can give one run id different numbers in
//! the last digits, which training then amplifies; a run says where it came from.

use serde::{Deserialize, Serialize};

/// The flags that select a kernel path in MKL or oneDNN (or bf16 at all).
const KERNEL_FLAGS: [&str; 14] = [
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// `/proc/cpuinfo`'s model name, e.g. `AMD EPYC` or `Intel(R) Xeon(R) …`.
    pub cpu: String,
    /// Of [`KERNEL_FLAGS`], those the CPU has.
    pub flags: Vec<String>,
    /// The libtorch the binary was built against.
    pub libtorch: String,
    pub threads: usize,
    pub device: String,
}

impl Machine {
    /// This machine, training with `threads` libtorch threads on `device`.
    pub fn here(threads: usize, device: &str) -> Self {
        let all = atner::precision::cpu_flags();
        Self {
            cpu: cpu_model(),
            flags: KERNEL_FLAGS
                .iter()
                .filter(|f| all.iter().any(|a| a == *f))
                .map(|f| f.to_string())
                .collect(),
            libtorch: env!("ATNER_LIBTORCH_VERSION").to_string(),
            threads,
            device: device.to_string(),
        }
    }

    /// One line for reports: `AMD EPYC (avx512_bf16, …), libtorch 2.13.0, 1 thread`.
    pub fn label(&self) -> String {
        let threads = match self.threads {
            1 => "1 thread".to_string(),
            n => format!("{n} threads"),
        };
        format!(
            "{} ({}), libtorch {}, {threads}, {}",
            self.cpu,
            self.flags.join(" "),
            self.libtorch,
            self.device
        )
    }
}

fn cpu_model() -> String {
    let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_string(), |(_, m)| m.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_is_named_with_its_kernel_flags_only() {
        let machine = Machine::here(2, "cpu");
        assert!(!machine.cpu.is_empty());
        assert!(machine
            .flags
            .iter()
            .all(|f| KERNEL_FLAGS.contains(&f.as_str())));
        assert_ne!(
            machine.libtorch, "unknown",
            "the build script reads libtorch's version"
        );
        assert!(machine.label().contains("2 threads"), "{}", machine.label());
    }
}
