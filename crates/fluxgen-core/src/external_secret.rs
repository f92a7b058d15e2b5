//! `ExternalSecret` (`external-secrets.io/v1`): a Secret filled from a secret store.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::manifest::{kubernetes_object, named};
use crate::{Manifest, Violation, validation::Violations};

/// An External Secrets `ExternalSecret` that renders one Secret from one store entry.
///
/// ```
/// use fluxgen_core::{ExternalSecret, Manifest};
/// let secret = ExternalSecret::new("github-webhook-token", "onepassword-connect", "github-webhook-token-secret")
///     .with_template_key("token", "FLUX_GITHUB_WEBHOOK_TOKEN")
///     .extracting("flux");
/// assert!(secret.violations().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExternalSecret {
    /// Standard object metadata.
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: ExternalSecretSpec,
}
kubernetes_object!(ExternalSecret, ExternalSecretSpec, group: "external-secrets.io", version: "v1", kind: "ExternalSecret", plural: "externalsecrets");

/// `ExternalSecret.spec`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// Store entries whose properties all become template variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_from: Vec<DataFrom>,
    /// The store to read from.
    pub secret_store_ref: SecretStoreRef,
    /// The Secret to write.
    pub target: SecretTarget,
}

/// `dataFrom[]`: one store entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFrom {
    /// Extract every property of a store key.
    pub extract: ExtractKey,
}

/// `dataFrom[].extract`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractKey {
    /// The store key (for 1Password: the item).
    pub key: String,
}

/// `secretStoreRef`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretStoreRef {
    /// `ClusterSecretStore` or `SecretStore`.
    pub kind: String,
    /// The store's name.
    pub name: String,
}

/// `target`: the Secret written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretTarget {
    /// The Secret's name.
    pub name: String,
    /// How the Secret's data is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<SecretTemplate>,
}

/// `target.template`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretTemplate {
    /// Secret keys and their Go templates, e.g. `token: "{{ .FLUX_GITHUB_WEBHOOK_TOKEN }}"`.
    pub data: BTreeMap<String, String>,
}

impl ExternalSecret {
    /// An ExternalSecret reading from a `ClusterSecretStore` and writing the `target` Secret.
    pub fn new(name: impl Into<String>, store: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            metadata: named(name),
            spec: ExternalSecretSpec {
                secret_store_ref: SecretStoreRef {
                    kind: "ClusterSecretStore".to_owned(),
                    name: store.into(),
                },
                target: SecretTarget {
                    name: target.into(),
                    template: None,
                },
                data_from: Vec::new(),
            },
        }
    }

    /// Reads every property of a store key.
    #[must_use]
    pub fn extracting(mut self, key: impl Into<String>) -> Self {
        self.spec.data_from.push(DataFrom {
            extract: ExtractKey { key: key.into() },
        });
        self
    }

    /// Writes Secret key `key` from the store property `property` (a template reference, never
    /// the value): `{{ .TOKEN }}` for a property that is a Go identifier, `{{ index . "x-y" }}`
    /// (a quoted Go string) for any other, so no property name changes the template.
    ///
    /// ```
    /// use fluxgen_core::ExternalSecret;
    /// let secret = ExternalSecret::new("token", "store", "token").with_template_key("token", "a-b");
    /// let data = &secret.spec.target.template.unwrap().data;
    /// assert_eq!(data["token"], r#"{{ index . "a-b" }}"#);
    /// ```
    #[must_use]
    pub fn with_template_key(mut self, key: impl Into<String>, property: &str) -> Self {
        self.spec
            .target
            .template
            .get_or_insert_with(SecretTemplate::default)
            .data
            .insert(key.into(), template_reference(property));
        self
    }
}

/// The Go template expression that reads `property` of the store's data.
fn template_reference(property: &str) -> String {
    let identifier = property
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && property.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        return format!("{{{{ .{property} }}}}");
    }
    let mut quoted = String::with_capacity(property.len() + 2);
    quoted.push('"');
    for c in property.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    format!("{{{{ index . {quoted} }}}}")
}

impl Manifest for ExternalSecret {
    const SCHEMA: &'static str = "external-secrets.io/externalsecret_v1.json";

    fn violations(&self) -> Vec<Violation> {
        let mut found = Violations::default();
        found.name("metadata.name", self.name());
        found.not_empty("spec.secretStoreRef.name", &self.spec.secret_store_ref.name);
        found.name("spec.target.name", &self.spec.target.name);
        if self.spec.data_from.is_empty() {
            found.push("spec.dataFrom", "is required: name the store key to extract");
        }
        found.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::template_reference;

    #[test]
    fn a_property_never_changes_the_template() {
        assert_eq!(template_reference("FLUX_TOKEN"), "{{ .FLUX_TOKEN }}");
        assert_eq!(template_reference("flux-token"), r#"{{ index . "flux-token" }}"#);
        assert_eq!(template_reference("x }}{{ .other"), r#"{{ index . "x }}{{ .other" }}"#);
        assert_eq!(template_reference("a\"b\\c\nd"), r#"{{ index . "a\"b\\c\u000ad" }}"#);
        assert_eq!(template_reference("1a"), r#"{{ index . "1a" }}"#);
    }
}
