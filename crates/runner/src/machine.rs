//! The machine a run was trained on: CPU model, the instruction-set flags
//! that choose libtorch's (MKL's, oneDNN's) kernels, the libtorch version,
//! the thread count and the device. Kernels differ between CPUs in their
//! summation order, so two machines can give one run id different numbers in
//! the last digits, which training then amplifies; a run says where it came from.
//! The environment variables that pin a kernel path are part of it: on one
//! CPU they move the fingerprint's weight movements by up to 7e-4
//! (`MKL_CBWR=COMPATIBLE`; BENCHMARKS.md, "The numerical fingerprint").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Environment variables that choose among libtorch's, MKL's or oneDNN's
/// kernel paths, and so can change a run's numbers in the last digits.
const KERNEL_VARIABLES: [&str; 4] = [
    "ATEN_CPU_CAPABILITY",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "ONEDNN_MAX_CPU_ISA",
];

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
    /// Of [`KERNEL_VARIABLES`], those set, with their values; empty (and
    /// left out of the JSON) when none was, as for every run made before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pins: BTreeMap<String, String>,
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
            pins: kernel_pins(|name| std::env::var(name).ok()),
        }
    }

    /// One line for reports: `AMD EPYC (avx512_bf16, …), libtorch 2.13.0, 1 thread`.
    pub fn label(&self) -> String {
        let threads = match self.threads {
            1 => "1 thread".to_string(),
            n => format!("{n} threads"),
        };
        let pins: String = self
            .pins
            .iter()
            .map(|(name, value)| format!(", {name}={value}"))
            .collect();
        format!(
            "{} ({}), libtorch {}, {threads}, {}{pins}",
            self.cpu,
            self.flags.join(" "),
            self.libtorch,
            self.device
        )
    }
}

/// The [`KERNEL_VARIABLES`] that `read` finds set (to anything but nothing).
fn kernel_pins(read: impl Fn(&str) -> Option<String>) -> BTreeMap<String, String> {
    KERNEL_VARIABLES
        .iter()
        .filter_map(|name| read(name).map(|value| (name.to_string(), value)))
        .filter(|(_, value)| !value.is_empty())
        .collect()
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

    #[test]
    fn kernel_pins_are_recorded_and_named_in_the_label() {
        let env = |name: &str| match name {
            "MKL_CBWR" => Some("AVX2".to_string()),
            "ONEDNN_MAX_CPU_ISA" => Some(String::new()),
            "OMP_NUM_THREADS" => Some("1".to_string()),
            _ => None,
        };
        let pins = kernel_pins(env);
        assert_eq!(
            pins.into_iter().collect::<Vec<_>>(),
            [("MKL_CBWR".to_string(), "AVX2".to_string())]
        );
        let mut machine = Machine::here(1, "cpu");
        machine.pins = kernel_pins(env);
        assert!(
            machine.label().ends_with(", cpu, MKL_CBWR=AVX2"),
            "{}",
            machine.label()
        );
    }

    #[test]
    fn a_machine_without_pins_reads_and_writes_as_before() {
        let before =
            r#"{"cpu":"AMD EPYC","flags":["avx2"],"libtorch":"2.13.0","threads":1,"device":"cpu"}"#;
        let machine: Machine = serde_json::from_str(before).unwrap();
        assert!(machine.pins.is_empty());
        assert_eq!(serde_json::to_string(&machine).unwrap(), before);
    }
}
