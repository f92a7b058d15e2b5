//! From a cluster's settings to the exact bytes of its files, and from there to a stream or a
//! directory.
//!
//! [`plan`] is pure: a [`Tree`] maps each path (relative to the cluster's `path`) to its bytes.
//! Streaming, [`write`](crate::write) and `check` are thin layers over it.

mod apps;
mod check;
mod lock;
mod memo;
mod staging;
mod tree;
mod write;

pub(crate) use apps::{APP_DIRS, components, controller_patches};
pub use apps::{plan, plan_all};
pub use check::{Drift, DriftKind, check, check_clusters};
pub use staging::Durability;
#[cfg(test)]
pub(crate) use tree::MARKER_LINE;
pub use tree::{GENERATED_MARKER, IndexFile, Tree, is_generated};
pub use write::{WriteReport, tree_dir, write, write_clusters, write_clusters_with, write_with};
