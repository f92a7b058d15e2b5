//! What every Kubernetes object fluxgen writes has in common: k8s-openapi's [`Resource`] and
//! [`Metadata`] traits (so that kube's `Resource`, `Api` and `DynamicObject` take them), serde
//! in both directions, and fluxgen's own [`Manifest`]: the schema written in the file's
//! `yaml-language-server` line and the checks of the object's CRD.
//!
//! [`Resource`]: k8s_openapi::Resource
//! [`Metadata`]: k8s_openapi::Metadata

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::Violation;

/// An object fluxgen writes as a manifest: a Kubernetes object with a fixed `apiVersion` and
/// `kind` (k8s-openapi's [`Resource`](k8s_openapi::Resource), its `metadata` through
/// [`Metadata`](k8s_openapi::Metadata)), serialized as `apiVersion`, `kind`, `metadata`, `spec`
/// in that order, with the schema of its CRD and the CRD's rules.
///
/// ```
/// use fluxgen_core::{HelmRelease, Manifest};
/// use k8s_openapi::Resource as _;
///
/// let release = HelmRelease::from_oci_repository("flux-operator");
/// assert_eq!(HelmRelease::API_VERSION, "helm.toolkit.fluxcd.io/v2");
/// assert_eq!(
///     HelmRelease::schema_url("https://example.com/schemas/"),
///     "https://example.com/schemas/helm.toolkit.fluxcd.io/helmrelease_v2.json"
/// );
/// assert_eq!(release.name(), "flux-operator");
/// assert!(release.violations().is_empty());
/// ```
pub trait Manifest: k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta> + Serialize {
    /// The schema's path below the schema base URL (`<group>/<kind>_<version>.json`), for the
    /// `yaml-language-server` line.
    const SCHEMA: &'static str;

    /// The schema's URL below `base_url` (a trailing `/` or none).
    fn schema_url(base_url: &str) -> String {
        format!("{}/{}", base_url.trim_end_matches('/'), Self::SCHEMA)
    }

    /// The object's name (empty when unset).
    fn name(&self) -> &str {
        k8s_openapi::Metadata::metadata(self)
            .name
            .as_deref()
            .unwrap_or_default()
    }

    /// Checks the rules of the object's CRD that a schema validator cannot see until apply time
    /// (patterns, enums, required fields, CEL rules). Returns every violation.
    fn violations(&self) -> Vec<Violation>;
}

/// Metadata with only a name, the common case for the objects fluxgen writes.
pub(crate) fn named(name: impl Into<String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..ObjectMeta::default()
    }
}

/// An object as it is read: what the `Deserialize` of each object reads before it checks the
/// `apiVersion` and `kind` against its own.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Wire<S> {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: S,
}

impl<S> Wire<S> {
    /// The object's `metadata` and `spec`, when its `apiVersion` and `kind` are `R`'s.
    pub(crate) fn into_parts<R: k8s_openapi::Resource, E: serde::de::Error>(self) -> Result<(ObjectMeta, S), E> {
        if self.api_version == R::API_VERSION && self.kind == R::KIND {
            Ok((self.metadata, self.spec))
        } else {
            Err(E::custom(format_args!(
                "expected apiVersion `{}` and kind `{}`, found `{}` and `{}`",
                R::API_VERSION,
                R::KIND,
                self.api_version,
                self.kind
            )))
        }
    }
}

/// Implements, for a `{ metadata, spec }` struct, k8s-openapi's `Resource` (a namespaced
/// object of the given group, version, kind and plural) and `Metadata`, and serde both ways:
/// `apiVersion` and `kind` come from the constants and are written first, and reading checks
/// them.
macro_rules! kubernetes_object {
    ($ty:ty, $spec:ty, group: $group:literal, version: $version:literal, kind: $kind:literal, plural: $plural:literal) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $ty {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut object = serializer.serialize_struct($kind, 4)?;
                object.serialize_field("apiVersion", <$ty as k8s_openapi::Resource>::API_VERSION)?;
                object.serialize_field("kind", $kind)?;
                object.serialize_field("metadata", &self.metadata)?;
                object.serialize_field("spec", &self.spec)?;
                object.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let wire = <$crate::manifest::Wire<$spec> as serde::Deserialize>::deserialize(deserializer)?;
                let (metadata, spec) = wire.into_parts::<Self, D::Error>()?;
                Ok(Self { metadata, spec })
            }
        }
    };
}
pub(crate) use kubernetes_object;
