//! What the knobs take: one type per parameter, used as the payload of a [`Tuning`] value
//! and, as written, as the key of `fluxgen.yaml`'s `tuning` (the schema comes from these
//! types). Container resources ([`Resources`](crate::Resources)) are shared with the release
//! facts, so they live with the objects.
//!
//! [`Tuning`]: super::Tuning

use serde::{Deserialize, Serialize};

use crate::objects::Duration;

/// `--kube-api-qps` and `--kube-api-burst`: client-side limits towards the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KubeApiLimits {
    /// Sustained queries per second.
    #[cfg_attr(feature = "generator", schemars(range(min = 1)))]
    pub qps: u32,
    /// Burst.
    #[cfg_attr(feature = "generator", schemars(range(min = 1)))]
    pub burst: u32,
}

/// source-controller's Helm index cache.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmCache {
    /// Maximum number of cached indexes.
    #[cfg_attr(feature = "generator", schemars(range(min = 1)))]
    pub max_size: u32,
    /// How long an index stays cached.
    pub ttl: Duration,
    /// How often expired entries are purged.
    pub purge_interval: Duration,
}

/// helm-controller's near-OOM detection (also turns the `OOMWatch` feature gate on).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OomWatch {
    /// Percentage of the memory limit that counts as near OOM.
    #[cfg_attr(feature = "generator", schemars(range(min = 1, max = 100)))]
    pub memory_threshold: u8,
    /// How often memory is checked.
    pub interval: Duration,
}
