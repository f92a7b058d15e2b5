//! Fuzz targets for fluxgen that the stable toolchain runs.
//!
//! cargo-fuzz needs a nightly compiler, so fluxgen fuzzes with its own small driver: no
//! coverage instrumentation, but a mutator that knows YAML and fluxgen's keys, and a corpus
//! that keeps every input whose *outcome* (which errors, which objects) is new. Each target is
//! a function from bytes to an outcome signature that panics when a property breaks:
//!
//! - Config parsing ([`Target::Config`]): [`fluxgen_core::Config::from_yaml`] on any text.
//!   It never panics; a refusal lists at least one error and every error is located (line and
//!   column > 0); an accepted config plans, explains and renders every cluster without
//!   panicking, and every file it plans is YAML carrying fluxgen's marker.
//! - Tuning composition ([`Target::Tuning`]): [`fluxgen_core::lower`] on tunings built from
//!   the bytes (through `arbitrary`), with order invariance for the structured ones, then a
//!   config with random `tuning` keys and `overrides` loaded and planned.
//! - The scanner ([`Target::Scan`]): [`fluxgen_core::scan()`] (and the runbook, which reads the
//!   repository) on a temporary repository of mutated files, directories and symlinks (loops
//!   included).
//!
//! Seeds come from the tests' fixtures and from `$FLUXGEN_SHARED/refs` (read at run time,
//! never copied here). `fuzz/run.sh TARGET SECONDS` runs one target; `cargo test -p
//! fluxgen-fuzz` runs every target over the seeds plus a fixed number of mutations.

pub mod config;
pub mod mutate;
pub mod scan;
pub mod seeds;
pub mod tuning;

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;

/// A fuzz target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Config parsing and everything an accepted config feeds.
    Config,
    /// Tuning composition, and overrides through a config.
    Tuning,
    /// The repository scanner.
    Scan,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::Config, Target::Tuning, Target::Scan];

    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Config => "config",
            Target::Tuning => "tuning",
            Target::Scan => "scan",
        }
    }

    /// Runs the target on one input and returns its outcome signature; panics when a property
    /// breaks.
    pub fn run(self, data: &[u8]) -> u64 {
        match self {
            Target::Config => config::run(data),
            Target::Tuning => tuning::run(data),
            Target::Scan => scan::run(data),
        }
    }

    /// The seed inputs: the tests' fixtures, and what `$FLUXGEN_SHARED/refs` holds.
    pub fn seeds(self) -> Vec<Vec<u8>> {
        match self {
            Target::Config => seeds::config(),
            Target::Tuning => seeds::tuning(),
            Target::Scan => seeds::scan(),
        }
    }

    /// Tokens the mutator inserts.
    pub fn dictionary(self) -> Vec<Vec<u8>> {
        match self {
            Target::Config | Target::Tuning => mutate::config_dictionary(),
            Target::Scan => mutate::scan_dictionary(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| format!("unknown target `{name}`: use config, tuning or scan"))
    }
}

/// Hashes anything into an outcome signature.
pub fn signature(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Runs `body` on a thread with the main thread's stack size (8 MiB), as the `fluxgen` binary
/// runs; a panic is returned as its message.
pub fn on_main_sized_stack<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(body)
        .expect("spawn a fuzz thread")
        .join()
        .map_err(|payload| panic_message(payload.as_ref()))
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
