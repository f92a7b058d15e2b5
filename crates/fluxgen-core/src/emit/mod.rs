//! From a cluster's settings to the exact bytes of its files, and from there to a stream or a
//! directory.
//!
//! [`plan`] is pure: a [`Tree`] maps each path (relative to the cluster's `path`) to its bytes.
//! Streaming, [`write`](crate::write) and `check` are thin layers over it.

#[cfg(feature = "generator")]
mod apps;
mod check;
mod lock;
#[cfg(feature = "generator")]
mod memo;
mod staging;
mod tree;
mod write;

#[cfg(feature = "migration")]
pub(crate) use apps::plan_unchecked;
#[cfg(feature = "generator")]
pub(crate) use apps::{components, controller_patches};
#[cfg(feature = "generator")]
pub use apps::{plan, plan_all};
#[cfg(feature = "generator")]
pub use check::check_clusters;
pub use check::{Drift, DriftKind, check};
pub use staging::Durability;
pub(crate) use tree::{APP_DIRS, MARKER_LINE};
pub use tree::{GENERATED_MARKER, IndexFile, Tree, is_generated};
#[cfg(feature = "generator")]
pub(crate) use write::check_relative_path;
pub use write::{WriteReport, tree_dir, write, write_with};
#[cfg(feature = "generator")]
pub use write::{write_clusters, write_clusters_with};
