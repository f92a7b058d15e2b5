//! Controller tuning as values: each knob knows the controllers it applies to and lowers to
//! FluxInstance `spec.kustomize.patches` entries.
//!
//! Tunings compose: any order gives the same patches; the same flag set to two values on one
//! controller is an error naming both tunings (the operator would silently keep the last);
//! feature gates of one controller merge into one `--feature-gates` argument; entries with the
//! same target merge, so the YAML stays as short as hand-written.

mod knob;
mod lower;
mod parameters;
mod preset;

pub use crate::resources::{Quantity, ResourceAmounts, Resources};
pub use knob::{LogLevel, SubstituteFrom, SubstituteKind, SyncKustomizationTuning, Tuning};
#[cfg(feature = "generator")]
pub(crate) use lower::check as check_tunings;
pub use lower::{Setting, TuningError, lower, settings_of};
pub use parameters::{HelmCache, KubeApiLimits, OomWatch};
pub use preset::{PRESETS, preset};
