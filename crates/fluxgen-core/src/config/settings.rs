//! The typed settings of one cluster, after its entry is merged over `defaults`.
//!
//! Every type here derives `Deserialize` (the loader's last step) and `JsonSchema` (what
//! `fluxgen schema` prints and what the loader validates against, reporting every error).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tuning::TuningSettings;
use crate::instance::{ClusterSettings, CommonMetadata, Distribution, Sharding, Storage};
pub use crate::instance::{ClusterSize, ClusterType, SyncProvider, Variant};
use crate::{Component, objects::Duration, objects::PatchTarget};

/// The settings of one cluster: `defaults`, with the cluster's own entry merged over them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Where the two app directories go, relative to the repository root; `{cluster}` expands
    /// to the cluster's name.
    #[schemars(length(min = 1))]
    pub path: String,
    /// Namespace of Flux and of both apps.
    #[schemars(pattern(crate::patterns::DNS_LABEL.regex), length(max = crate::patterns::DNS_LABEL.max_length))]
    pub namespace: String,
    /// Base URL of the JSON schemas named in each file's `yaml-language-server` line.
    pub schema_base_url: String,
    /// The Flux `Kustomization`s (`ks.yaml`) of the two apps.
    pub apps: AppSettings,
    /// The `flux-operator` app.
    pub operator: OperatorSettings,
    /// The `flux-instance` app and the FluxInstance it defines.
    pub instance: InstanceSettings,
    /// Controller tuning: kustomize patches for the Flux controllers.
    pub tuning: TuningSettings,
    /// The webhook that makes pushes reconcile at once.
    pub webhook: WebhookSettings,
    /// Patches applied, in order, to the objects fluxgen emits (the list replaces the inherited
    /// one as a whole).
    pub overrides: Vec<Override>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            path: "kubernetes/{cluster}/apps/flux-system".to_owned(),
            namespace: crate::facts::DEFAULT_NAMESPACE.to_owned(),
            schema_base_url: crate::DEFAULT_SCHEMA_BASE_URL.to_owned(),
            apps: AppSettings::default(),
            operator: OperatorSettings::default(),
            instance: InstanceSettings::default(),
            tuning: TuningSettings::default(),
            webhook: WebhookSettings::default(),
            overrides: Vec::new(),
        }
    }
}

/// Settings of the apps' Flux `Kustomization`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AppSettings {
    /// Reconciliation interval of both `ks.yaml`.
    pub interval: Duration,
    /// The GitRepository both `ks.yaml` read from; defaults to `instance.sync.name`, the source
    /// the FluxInstance creates.
    #[schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))]
    pub source_name: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from("1h"),
            source_name: None,
        }
    }
}

/// The `flux-operator` app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct OperatorSettings {
    /// Chart version (tag) of both charts, without `v`; operator and flux-instance charts ship
    /// in lockstep.
    #[schemars(pattern(crate::patterns::CHART_VERSION.regex))]
    pub version: String,
    /// Interval of the chart `OCIRepository`s.
    pub chart_interval: Duration,
    /// Interval of the `HelmRelease`s.
    pub interval: Duration,
    /// Free-form values for the flux-operator chart.
    pub values: BTreeMap<String, Value>,
}

impl Default for OperatorSettings {
    fn default() -> Self {
        Self {
            version: crate::facts::NEWEST_OPERATOR.to_owned(),
            chart_interval: Duration::from("15m"),
            interval: Duration::from("1h"),
            values: BTreeMap::new(),
        }
    }
}

/// How the FluxInstance is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InstanceMode {
    /// A HelmRelease of the flux-instance chart with the spec in `values.instance`.
    #[default]
    Helmrelease,
    /// A plain `FluxInstance` manifest.
    Manifest,
}

/// The `flux-instance` app.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct InstanceSettings {
    /// `helmrelease` (flux-instance chart) or `manifest` (plain FluxInstance).
    pub mode: InstanceMode,
    /// Flux version and images.
    pub distribution: Distribution,
    /// Controllers to run (each once).
    #[schemars(extend("uniqueItems" = true))]
    pub components: Option<Vec<Component>>,
    /// Cluster-wide settings.
    pub cluster: ClusterSettings,
    /// Labels and annotations for every object the operator creates.
    pub common_metadata: CommonMetadata,
    /// Annotations for every object the chart creates (`commonAnnotations`, helmrelease mode),
    /// e.g. `fluxcd.controlplane.io/reconcileArtifactEvery: 1h`.
    pub chart_annotations: BTreeMap<String, String>,
    /// Controller sharding.
    pub sharding: Option<Sharding>,
    /// Persistent storage for source-controller.
    pub storage: Option<Storage>,
    /// The sync the FluxInstance creates.
    pub sync: SyncSettings,
    /// Wait for the controllers (manifest mode only; the chart has no such value).
    pub wait: Option<bool>,
    /// Migrate stored objects on upgrade (manifest mode only).
    pub migrate_resources: Option<bool>,
}

/// `sync`: the GitRepository and Kustomization the FluxInstance creates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncSettings {
    /// Name of the sync GitRepository and Kustomization; immutable once created. Keep it equal
    /// to the existing root GitRepository's name so no `sourceRef` has to change.
    #[schemars(pattern(crate::patterns::DNS_LABEL.regex), length(max = crate::patterns::DNS_LABEL.max_length))]
    pub name: String,
    /// Directory the sync applies; `{cluster}` expands to the cluster's name.
    #[schemars(length(min = 1))]
    pub path: String,
    /// Reconciliation interval.
    pub interval: Duration,
    /// How the sync GitRepository authenticates (`spec.sync.provider`; unset is `generic`, the
    /// `repository.pullSecret`'s SSH key or basic auth).
    pub provider: Option<SyncProvider>,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            name: crate::facts::DEFAULT_NAMESPACE.to_owned(),
            path: "kubernetes/{cluster}/sync".to_owned(),
            interval: Duration::from("1h"),
            provider: None,
        }
    }
}

/// A raw kustomize patch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPatch {
    /// The patch: a JSON 6902 operation list or a strategic-merge document, as YAML text.
    #[schemars(length(min = 1))]
    pub patch: String,
    /// What the patch applies to.
    pub target: PatchTarget,
}

/// `webhook`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookSettings {
    /// The sender, or `none` for no webhook.
    pub provider: WebhookProvider,
    /// Where the webhook token comes from (a reference, never the token itself); a webhook
    /// needs one.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "TokenSource::read")]
    #[schemars(with = "TokenFields")]
    pub token: Option<TokenSource>,
    /// Events that trigger a reconcile, in the sender's own names; by default `ping` and `push`
    /// for GitHub, `Push Hook` and `Tag Push Hook` for GitLab, none for generic-hmac.
    pub events: Option<Vec<String>>,
}

impl WebhookSettings {
    /// The events the Receiver filters on.
    pub fn effective_events(&self) -> Vec<String> {
        let defaults: &[&str] = match self.provider {
            WebhookProvider::Github => &["ping", "push"],
            WebhookProvider::Gitlab => &["Push Hook", "Tag Push Hook"],
            WebhookProvider::GenericHmac | WebhookProvider::None => &[],
        };
        self.events
            .clone()
            .unwrap_or_else(|| defaults.iter().map(|e| (*e).to_owned()).collect())
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            provider: WebhookProvider::None,
            token: None,
            events: None,
        }
    }
}

/// Webhook senders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookProvider {
    /// GitHub.
    Github,
    /// GitLab.
    Gitlab,
    /// Any sender signing with HMAC.
    GenericHmac,
    /// No webhook.
    None,
}

impl WebhookProvider {
    /// The Receiver `type`, `None` when there is no webhook.
    pub fn receiver_type(self) -> Option<&'static str> {
        match self {
            WebhookProvider::Github => Some("github"),
            WebhookProvider::Gitlab => Some("gitlab"),
            WebhookProvider::GenericHmac => Some("generic-hmac"),
            WebhookProvider::None => None,
        }
    }
}

/// Where the webhook token comes from: written `externalSecret: {store, key, property}` or
/// `secret: <name>`, exactly one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TokenSource {
    /// An ExternalSecret that fluxgen writes, reading a ClusterSecretStore.
    ExternalSecret(ExternalSecretSource),
    /// The name of an existing Secret (e.g. SOPS-managed) with a `token` key.
    Secret(String),
}

/// The message for a token with both sources set.
pub(crate) const TOKEN_BOTH: &str = "set one of `externalSecret` or `secret`, not both";

impl TokenSource {
    /// The ExternalSecret the token comes from, if that is its source.
    pub fn external_secret(&self) -> Option<&ExternalSecretSource> {
        match self {
            TokenSource::ExternalSecret(source) => Some(source),
            TokenSource::Secret(_) => None,
        }
    }

    /// The existing Secret the token comes from, if that is its source.
    pub fn secret(&self) -> Option<&str> {
        match self {
            TokenSource::Secret(name) => Some(name),
            TokenSource::ExternalSecret(_) => None,
        }
    }

    /// Reads `token` as the file has it: a mapping with one of the two keys (none set is no
    /// token, which the loader reports for a webhook).
    fn read<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<TokenSource>, D::Error> {
        let fields = TokenFields::deserialize(deserializer)?;
        match (fields.external_secret, fields.secret) {
            (Some(source), None) => Ok(Some(TokenSource::ExternalSecret(source))),
            (None, Some(secret)) => Ok(Some(TokenSource::Secret(secret))),
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(serde::de::Error::custom(TOKEN_BOTH)),
        }
    }
}

/// `token` as the file writes it, for its schema and reading.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    rename = "TokenSource",
    description = "Where the webhook token comes from: exactly one of `externalSecret` or `secret`."
)]
struct TokenFields {
    /// An ExternalSecret that fluxgen writes, reading a ClusterSecretStore.
    external_secret: Option<ExternalSecretSource>,
    /// The name of an existing Secret (e.g. SOPS-managed) with a `token` key.
    #[schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))]
    secret: Option<String>,
}

/// An ExternalSecret-sourced token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalSecretSource {
    /// The ClusterSecretStore.
    #[schemars(pattern(crate::patterns::DNS_SUBDOMAIN.regex), length(max = crate::patterns::DNS_SUBDOMAIN.max_length))]
    pub store: String,
    /// The store key (for 1Password: the item).
    #[schemars(length(min = 1))]
    pub key: String,
    /// The property holding the token.
    #[schemars(length(min = 1))]
    pub property: String,
}

/// A change to the objects fluxgen emits, applied after generation: the objects it targets and
/// the patch it applies to each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OverrideFields")]
pub struct Override {
    /// The objects to change.
    pub target: OverrideTarget,
    /// The patch, written as one of the keys `merge`, `json` or `strategic`.
    #[serde(flatten)]
    pub patch: OverridePatch,
}

/// An override's patch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OverridePatch {
    /// An RFC 7396 JSON merge patch: mappings merge, `null` deletes a key, anything else
    /// (lists too) replaces.
    Merge(Value),
    /// RFC 6902 JSON patch operations (`add`, `remove`, `replace`, `move`, `copy`, `test`).
    Json(Vec<Value>),
    /// A strategic-merge patch, merged as `kubectl kustomize` merges one into a custom
    /// resource: mappings merge, `null` deletes a key, lists are replaced, `$patch: delete` or
    /// `replace` acts on a mapping.
    Strategic(Value),
}

impl OverridePatch {
    /// The keys an override writes its patch under, one of which it sets.
    pub(crate) const KEYS: [&'static str; 3] = ["merge", "json", "strategic"];
}

/// An override as the file writes it, for its schema and reading.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "Override",
    description = "A change to the objects fluxgen emits, applied after generation: a target and exactly one\nof `merge`, `json` or `strategic`."
)]
struct OverrideFields {
    /// The objects to change.
    target: OverrideTarget,
    /// An RFC 7396 JSON merge patch: mappings merge, `null` deletes a key, anything else
    /// (lists too) replaces.
    #[serde(default)]
    #[schemars(extend("type" = "object"))]
    merge: Option<Value>,
    /// RFC 6902 JSON patch operations (`add`, `remove`, `replace`, `move`, `copy`, `test`).
    #[serde(default)]
    #[schemars(length(min = 1), extend("items" = {"type": "object", "required": ["op", "path"]}))]
    json: Option<Vec<Value>>,
    /// A strategic-merge patch, merged as `kubectl kustomize` merges one into a custom
    /// resource: mappings merge, `null` deletes a key, lists are replaced, `$patch: delete` or
    /// `replace` acts on a mapping.
    #[serde(default)]
    #[schemars(extend("type" = "object"))]
    strategic: Option<Value>,
}

impl TryFrom<OverrideFields> for Override {
    type Error = &'static str;

    fn try_from(fields: OverrideFields) -> Result<Self, Self::Error> {
        let patch = match (fields.merge, fields.json, fields.strategic) {
            (Some(patch), None, None) => OverridePatch::Merge(patch),
            (None, Some(operations), None) => OverridePatch::Json(operations),
            (None, None, Some(patch)) => OverridePatch::Strategic(patch),
            _ => return Err("set exactly one of `merge`, `json` or `strategic`"),
        };
        Ok(Override {
            target: fields.target,
            patch,
        })
    }
}

impl JsonSchema for Override {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        OverrideFields::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        OverrideFields::json_schema(generator)
    }
}

/// What an override changes: every emitted object with this `kind` and, where set, API
/// `group`, `name` and `file`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideTarget {
    /// Kind, e.g. `HelmRelease`.
    #[schemars(length(min = 1))]
    pub kind: String,
    /// API group (`apiVersion` before the `/`), e.g. `kustomize.config.k8s.io` for the
    /// `kustomization.yaml` files rather than the Flux `Kustomization`s in `ks.yaml`.
    #[serde(default)]
    pub group: Option<String>,
    /// `metadata.name`, exactly (`kustomization.yaml` files have none: leave it unset).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub name: Option<String>,
    /// The file, relative to the cluster's directory, e.g. `flux-instance/app/helmrelease.yaml`.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub file: Option<String>,
}
