//! What every Kubernetes object fluxgen writes has in common.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::Violation;

/// A Kubernetes object with a fixed `apiVersion` and `kind`, serialized as `apiVersion`, `kind`,
/// `metadata`, `spec` in that order.
pub trait Resource: Serialize {
    /// The `apiVersion` written first.
    const API_VERSION: &'static str;
    /// The `kind` written second.
    const KIND: &'static str;
    /// The schema's path below the schema base URL (`<group>/<kind>_<version>.json`), for the
    /// `yaml-language-server` line.
    const SCHEMA: &'static str;

    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;

    /// The object's name (empty when unset).
    fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
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

/// Implements `Serialize` for a `{ metadata, spec }` struct so that `apiVersion` and `kind` come
/// from the [`Resource`] constants and are written first.
macro_rules! serialize_resource {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut object = serializer.serialize_struct(<$ty as $crate::Resource>::KIND, 4)?;
                object.serialize_field("apiVersion", <$ty as $crate::Resource>::API_VERSION)?;
                object.serialize_field("kind", <$ty as $crate::Resource>::KIND)?;
                object.serialize_field("metadata", &self.metadata)?;
                object.serialize_field("spec", &self.spec)?;
                object.end()
            }
        }
    };
}
pub(crate) use serialize_resource;
