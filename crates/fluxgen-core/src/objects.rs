//! The typed objects fluxgen writes, with every part of their specs: [`OciRepository`],
//! [`HelmRelease`], [`FluxInstance`], [`Kustomization`] (Flux), [`KustomizationFile`]
//! (kustomize's `kustomization.yaml`), [`ExternalSecret`] and [`Receiver`].
//!
//! The crate root re-exports the objects themselves; their parts (a HelmRelease's
//! [`Remediation`], a FluxInstance's [`Distribution`] or [`KustomizePatch`], ...) are here, so
//! that `use fluxgen_core::objects::*` brings the whole vocabulary and nothing else.
//! Each object is a Kubernetes API object for k8s-openapi and kube (`k8s_openapi::Resource`,
//! `k8s_openapi::Metadata`, `Deserialize`), a [`Manifest`](crate::Manifest) (its CRD's rules,
//! [`violations`](crate::Manifest::violations)), and renders to the exact bytes fluxgen writes
//! with [`render`](crate::render).

pub use crate::duration::Duration;
pub use crate::external_secret::*;
pub use crate::helm::*;
pub use crate::instance::*;
pub use crate::kustomize::*;
pub use crate::notification::*;
#[cfg(feature = "tuning")]
pub use crate::patch::{JsonPatchOp, PatchError};
pub use crate::resources::*;
pub use crate::source::*;
