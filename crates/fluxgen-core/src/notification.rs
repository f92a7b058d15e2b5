//! `Receiver` (`notification.toolkit.fluxcd.io/v1`): the webhook that triggers a reconcile.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::manifest::{kubernetes_object, named};
use crate::{Manifest, Violation, objects::SecretRef, validation::Violations};

/// A Flux webhook `Receiver`.
///
/// ```
/// use fluxgen_core::{Receiver, objects::ReceiverResource, Manifest};
/// let receiver = Receiver::new("github-webhook", "github", "github-webhook-token-secret")
///     .with_events(["ping", "push"])
///     .with_resource(ReceiverResource::new("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system"));
/// assert!(receiver.violations().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Receiver {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: ReceiverSpec,
}
kubernetes_object!(Receiver, ReceiverSpec, group: "notification.toolkit.fluxcd.io", version: "v1", kind: "Receiver", plural: "receivers");

/// `Receiver.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverSpec {
    /// Events that trigger a reconcile (`push`, `ping`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Objects to reconcile (required).
    pub resources: Vec<ReceiverResource>,
    /// Secret holding the webhook `token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// The sender: `github`, `gitlab`, `generic-hmac`, ... (required).
    #[serde(rename = "type")]
    pub kind: String,
}

/// An object a Receiver reconciles.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverResource {
    /// The object's apiVersion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The object's kind (required).
    pub kind: String,
    /// The object's name (required).
    pub name: String,
    /// The object's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ReceiverResource {
    /// An object by apiVersion, kind and name.
    pub fn new(api_version: impl Into<String>, kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            api_version: Some(api_version.into()),
            kind: kind.into(),
            name: name.into(),
            namespace: None,
        }
    }
}

const RECEIVER_TYPES: [&str; 13] = [
    "generic",
    "generic-hmac",
    "generic-oidc",
    "github",
    "gitlab",
    "bitbucket",
    "harbor",
    "dockerhub",
    "quay",
    "gcr",
    "nexus",
    "acr",
    "cdevents",
];

impl Receiver {
    /// A receiver of the given type whose token is in the named Secret.
    pub fn new(name: impl Into<String>, kind: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            metadata: named(name),
            spec: ReceiverSpec {
                kind: kind.into(),
                secret_ref: Some(SecretRef::new(secret)),
                ..ReceiverSpec::default()
            },
        }
    }

    /// Sets the events that trigger a reconcile.
    #[must_use]
    pub fn with_events<S: Into<String>>(mut self, events: impl IntoIterator<Item = S>) -> Self {
        self.spec.events = events.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an object to reconcile.
    #[must_use]
    pub fn with_resource(mut self, resource: ReceiverResource) -> Self {
        self.spec.resources.push(resource);
        self
    }
}

impl Manifest for Receiver {
    const SCHEMA: &'static str = "notification.toolkit.fluxcd.io/receiver_v1.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        found.name("metadata.name", self.name());
        if !RECEIVER_TYPES.contains(&self.spec.kind.as_str()) {
            found.push(
                "spec.type",
                format!("`{}` is not one of {}", self.spec.kind, RECEIVER_TYPES.join(", ")),
            );
        }
        if self.spec.resources.is_empty() {
            found.push("spec.resources", "is required: list the objects to reconcile");
        }
        if self.spec.kind != "generic-oidc" && self.spec.secret_ref.is_none() {
            found.push("spec.secretRef", format!("is required for type `{}`", self.spec.kind));
        }
        found.into_vec()
    }
}
