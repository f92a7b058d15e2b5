//! What the knobs take: one type per parameter, used as the payload of a [`Tuning`] value
//! and, as written, as the key of `fluxgen.yaml`'s `tuning` (the schema comes from these
//! types), and for the release facts' container resources.
//!
//! [`Tuning`]: super::Tuning

use std::borrow::Cow;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Duration;

/// A Kubernetes quantity such as `512Mi`, `2Gi` or `500m`, kept as written.
///
/// ```
/// let memory = fluxgen_core::Quantity::from("2Gi");
/// assert_eq!(memory.as_str(), "2Gi");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(Cow<'static, str>);

impl Quantity {
    /// A quantity from a literal, usable in constant tables.
    pub const fn from_static(text: &'static str) -> Self {
        Self(Cow::Borrowed(text))
    }

    /// The quantity as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Quantity {
    fn from(value: &str) -> Self {
        Self(Cow::Owned(value.to_owned()))
    }
}

impl From<String> for Quantity {
    fn from(value: String) -> Self {
        Self(Cow::Owned(value))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity such as 512Mi, 2Gi or 500m.",
            "type": "string",
            "pattern": r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$",
        })
    }
}

/// CPU and memory amounts (Kubernetes quantities); either may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceAmounts {
    /// CPU, e.g. `2000m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory, e.g. `2Gi`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
}

impl ResourceAmounts {
    /// Both amounts.
    pub const fn of(cpu: &'static str, memory: &'static str) -> Self {
        Self {
            cpu: Some(Quantity::from_static(cpu)),
            memory: Some(Quantity::from_static(memory)),
        }
    }

    /// Whether neither amount is set.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }

    /// Whether both set the same resource.
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        (self.cpu.is_some() && other.cpu.is_some()) || (self.memory.is_some() && other.memory.is_some())
    }
}

/// A container's limits and requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    /// Limits.
    #[serde(skip_serializing_if = "ResourceAmounts::is_empty")]
    pub limits: ResourceAmounts,
    /// Requests.
    #[serde(skip_serializing_if = "ResourceAmounts::is_empty")]
    pub requests: ResourceAmounts,
}

impl Resources {
    /// The `resources` value of a container spec.
    ///
    /// ```
    /// use fluxgen_core::{Component, facts};
    /// let resources = facts::default_resources(Component::HelmController).to_value();
    /// assert_eq!(resources["limits"]["memory"], "1Gi");
    /// ```
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("resources serialize to JSON")
    }
}

/// `--kube-api-qps` and `--kube-api-burst`: client-side limits towards the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubeApiLimits {
    /// Sustained queries per second.
    #[schemars(range(min = 1))]
    pub qps: u32,
    /// Burst.
    #[schemars(range(min = 1))]
    pub burst: u32,
}

/// source-controller's Helm index cache.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmCache {
    /// Maximum number of cached indexes.
    #[schemars(range(min = 1))]
    pub max_size: u32,
    /// How long an index stays cached.
    pub ttl: Duration,
    /// How often expired entries are purged.
    pub purge_interval: Duration,
}

/// helm-controller's near-OOM detection (also turns the `OOMWatch` feature gate on).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OomWatch {
    /// Percentage of the memory limit that counts as near OOM.
    #[schemars(range(min = 1, max = 100))]
    pub memory_threshold: u8,
    /// How often memory is checked.
    pub interval: Duration,
}
