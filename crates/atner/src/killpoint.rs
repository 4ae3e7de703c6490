//! Named points where a test can have the process killed, to prove that a crash
//! there loses nothing: `ATNER_KILL_AT=<point>:<n>` sends SIGKILL to the whole
//! process group (a sweep and its training processes, as a scheduler or the
//! OOM killer would) the `n`-th time this process reaches `<point>`.
//!
//! Unset, a point costs one environment lookup, made once per process. A
//! SIGKILL, not a panic, because a panic unwinds and runs destructors: the
//! point is to prove that no clean-up is needed.
//!
//! Compiled in only with the `killpoint` feature, which the runner's tests
//! turn on (a dev-dependency feature): a user's build has no kill switch.

#[cfg(feature = "killpoint")]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(feature = "killpoint")]
use std::sync::OnceLock;

/// The environment variable that arms a point.
pub const ENV: &str = "ATNER_KILL_AT";

/// Every point, in the order a run reaches them.
pub const POINTS: [&str; 4] = [
    "train-batch",
    "checkpoint-rename",
    "run-finish",
    "table-rename",
];

#[cfg(feature = "killpoint")]
struct Armed {
    point: String,
    nth: usize,
    seen: AtomicUsize,
}

#[cfg(feature = "killpoint")]
fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(ENV).ok()?;
            let (point, nth) = value.split_once(':').unwrap_or((&value, "1"));
            Some(Armed {
                point: point.to_string(),
                nth: nth.parse().ok()?,
                seen: AtomicUsize::new(0),
            })
        })
        .as_ref()
}

#[cfg(feature = "killpoint")]
thread_local! {
    static UNARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with every point of this thread disarmed and uncounted: the
/// fingerprint trains on synthetic data before a run, and its batches are
/// not the run's (a test's `train-batch:6` means the run's sixth batch).
pub fn unarmed<T>(f: impl FnOnce() -> T) -> T {
    #[cfg(feature = "killpoint")]
    {
        let before = UNARMED.with(|u| u.replace(true));
        let out = f();
        UNARMED.with(|u| u.set(before));
        out
    }
    #[cfg(not(feature = "killpoint"))]
    f()
}

/// Kills the process group if `point` is armed and this is its `n`-th visit.
#[cfg(feature = "killpoint")]
pub fn reached(point: &str) {
    debug_assert!(POINTS.contains(&point), "unknown kill point {point}");
    if UNARMED.with(|u| u.get()) {
        return;
    }
    let Some(armed) = armed().filter(|a| a.point == point) else {
        return;
    };
    if armed.seen.fetch_add(1, Ordering::SeqCst) + 1 == armed.nth {
        // SAFETY: kill(2) with pid 0 signals this process's group; it takes
        // no pointers.
        unsafe {
            libc::kill(0, libc::SIGKILL);
        }
    }
}

/// Without the `killpoint` feature a point does nothing.
#[cfg(not(feature = "killpoint"))]
#[inline(always)]
pub fn reached(point: &str) {
    debug_assert!(POINTS.contains(&point), "unknown kill point {point}");
}

/// The environment variable that perturbs a numeric constant, for the tests
/// that prove the fingerprint ([`crate::fingerprint`]) catches a change to
/// the numbers without rebuilding: `ATNER_TEST_PERTURB=adam.beta1`.
pub const PERTURB_ENV: &str = "ATNER_TEST_PERTURB";

/// The constants a test can perturb.
pub const PERTURBABLE: [&str; 1] = ["adam.beta1"];

/// `value`, or `value + 0.02` when a test has perturbed the constant `name`.
#[cfg(feature = "killpoint")]
pub fn constant(name: &str, value: f64) -> f64 {
    debug_assert!(PERTURBABLE.contains(&name), "unknown constant {name}");
    static PERTURBED: OnceLock<Option<String>> = OnceLock::new();
    let perturbed = PERTURBED.get_or_init(|| std::env::var(PERTURB_ENV).ok());
    if perturbed.as_deref() == Some(name) {
        value + 0.02
    } else {
        value
    }
}

/// Without the `killpoint` feature a constant is what the code says.
#[cfg(not(feature = "killpoint"))]
#[inline(always)]
pub fn constant(name: &str, value: f64) -> f64 {
    debug_assert!(PERTURBABLE.contains(&name), "unknown constant {name}");
    value
}
