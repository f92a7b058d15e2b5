//! Container resources: CPU and memory [`Quantity`]s as limits and requests. One type for
//! the release facts (what each controller's Deployment declares), the `resources` and
//! `memoryLimit` tuning knobs and their `fluxgen.yaml` keys.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Kubernetes quantity such as `512Mi`, `2Gi` or `500m`, kept as written.
///
/// ```
/// let memory = fluxgen_core::objects::Quantity::from("2Gi");
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

#[cfg(feature = "generator")]
impl schemars::JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity such as 512Mi, 2Gi or 500m.",
            "type": "string",
            "pattern": crate::patterns::QUANTITY.regex,
        })
    }
}

/// CPU and memory amounts (Kubernetes quantities); either may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
    #[cfg(feature = "generator")]
    pub(crate) fn overlaps(&self, other: &Self) -> bool {
        (self.cpu.is_some() && other.cpu.is_some()) || (self.memory.is_some() && other.memory.is_some())
    }
}

/// A container's limits and requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
