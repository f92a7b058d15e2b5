//! Which Flux Operator release ships which Flux release, and the distribution artifact of an
//! operator release.
//!
//! The operator builds a FluxInstance from the Flux manifests it carries
//! (`config/data/flux/<version>/`, also pushed as the OCI artifact
//! `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests`), so a `distribution.version`
//! that no manifests of the installed operator satisfy is never reconciled. [`SHIPPED_IN`] is read
//! from controlplaneio-fluxcd/flux-operator: for every tag from v0.1.0 to v0.58.1, the directories
//! of `config/data/flux/` at that tag (`git ls-tree <tag>:config/data/flux/`), each Flux release
//! listed with the first tag that has it. Every later tag keeps the earlier releases.
//!
//! The artifact's tags: `.github/workflows/release.yaml` (at commit
//! 17c6aeaddd8dacd5fbd4dd9e1bfe23a0a59df1fb) pushes the manifests of a release as
//! `flux-operator-manifests:<git tag>` (`v0.58.1`) and re-tags it `latest`;
//! `.github/workflows/push-manifests.yaml` pushes `<release>-<timestamp>` builds between releases
//! and moves `latest` to them. The flux-instance chart's default `distribution.artifact` is
//! `...:latest` (its `values.yaml`), so a FluxInstance installed by the chart with that default
//! follows every push, outside Git.

use super::version::{Constraint, Number};

/// The operator's OCI repository of Flux manifests.
pub const MANIFESTS_ARTIFACT: &str = "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests";

/// Every Flux release the operator has shipped, oldest first, with the first operator release
/// whose manifests include it (see the module documentation for where it is read).
pub const SHIPPED_IN: &[(Number, &str)] = &[
    ((2, 2, 3), "0.1.0"),
    ((2, 3, 0), "0.1.0"),
    ((2, 4, 0), "0.10.0"),
    ((2, 5, 0), "0.15.0"),
    ((2, 5, 1), "0.16.0"),
    ((2, 6, 0), "0.21.0"),
    ((2, 6, 1), "0.22.0"),
    ((2, 6, 2), "0.23.0"),
    ((2, 6, 3), "0.24.0"),
    ((2, 6, 4), "0.24.0"),
    ((2, 7, 0), "0.30.0"),
    ((2, 7, 1), "0.31.0"),
    ((2, 7, 2), "0.32.0"),
    ((2, 7, 3), "0.33.0"),
    ((2, 7, 4), "0.34.0"),
    ((2, 7, 5), "0.35.0"),
    ((2, 8, 0), "0.42.0"),
    ((2, 8, 1), "0.43.0"),
    ((2, 8, 2), "0.44.0"),
    ((2, 8, 3), "0.45.0"),
    ((2, 8, 5), "0.46.0"),
    ((2, 8, 6), "0.48.0"),
    ((2, 8, 7), "0.49.0"),
    ((2, 8, 8), "0.50.0"),
    ((2, 9, 0), "0.53.0"),
    ((2, 9, 1), "0.54.0"),
    ((2, 9, 2), "0.55.0"),
    ((2, 9, 3), "0.56.0"),
    ((2, 9, 4), "0.58.0"),
];

/// The newest operator release [`SHIPPED_IN`] knows.
pub const NEWEST_OPERATOR: &str = "0.58.1";

/// An operator version that does not ship anything a `distribution.version` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorTooOld {
    /// The oldest operator release that ships a matching Flux release, e.g. `0.53.0`.
    pub needed: &'static str,
    /// The Flux release that operator brings, e.g. `v2.9.0`.
    pub flux: String,
    /// The newest Flux release the installed operator ships, when it ships any.
    pub newest_shipped: Option<String>,
}

/// Checks that operator `operator` (a chart tag, `0.58.1`) ships a Flux release satisfying
/// `distribution` (`2.9.x`). An operator or Flux version that does not read, an operator newer
/// than [`NEWEST_OPERATOR`], or a Flux version no known release satisfies, is not judged.
///
/// ```
/// use fluxgen_core::facts::operator_ships;
/// assert!(operator_ships("0.58.1", "2.9.x").is_ok());
/// let old = operator_ships("0.52.0", "2.9.x").unwrap_err();
/// assert_eq!((old.needed, old.newest_shipped.as_deref()), ("0.53.0", Some("v2.8.8")));
/// assert_eq!(operator_ships("0.57.0", "2.9.4").unwrap_err().needed, "0.58.0");
/// ```
pub fn operator_ships(operator: &str, distribution: &str) -> Result<(), OperatorTooOld> {
    let (Some(installed), Some(constraint)) = (number(operator), Constraint::parse(distribution)) else {
        return Ok(());
    };
    if number(NEWEST_OPERATOR).is_some_and(|newest| installed > newest) {
        return Ok(());
    }
    let shipped = |first: &str| number(first).is_some_and(|first| first <= installed);
    if SHIPPED_IN
        .iter()
        .any(|(flux, first)| shipped(first) && constraint.allows(*flux))
    {
        return Ok(());
    }
    let Some((flux, needed)) = SHIPPED_IN
        .iter()
        .filter(|(flux, _)| constraint.allows(*flux))
        .min_by_key(|(_, first)| number(first))
    else {
        return Ok(());
    };
    Err(OperatorTooOld {
        needed,
        flux: text(*flux),
        newest_shipped: SHIPPED_IN
            .iter()
            .filter(|(_, first)| shipped(first))
            .map(|(flux, _)| text(*flux))
            .next_back(),
    })
}

/// The distribution artifact of operator release `operator`: the manifests as that release
/// shipped them, `oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1`.
///
/// ```
/// assert_eq!(
///     fluxgen_core::facts::pinned_artifact("0.58.1"),
///     "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests:v0.58.1"
/// );
/// ```
pub fn pinned_artifact(operator: &str) -> String {
    format!("{MANIFESTS_ARTIFACT}:v{}", operator.trim_start_matches('v'))
}

fn number(version: &str) -> Option<Number> {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next()?.parse().ok();
    Some((next()?, next()?, next()?))
}

fn text((major, minor, patch): Number) -> String {
    format!("v{major}.{minor}.{patch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_ordered_and_ends_with_what_the_newest_operator_ships() {
        let flux: Vec<Number> = SHIPPED_IN.iter().map(|(f, _)| *f).collect();
        let mut sorted = flux.clone();
        sorted.sort_unstable();
        assert_eq!(flux, sorted);
        let operators: Vec<Option<Number>> = SHIPPED_IN.iter().map(|(_, o)| number(o)).collect();
        assert!(operators.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn minors_and_patches_name_the_operator_they_need() {
        assert!(operator_ships("0.53.0", "2.9.x").is_ok());
        assert!(operator_ships("0.58.1", ">=2.6.0 <2.8.0").is_ok());
        assert!(
            operator_ships("0.70.0", "2.12.x").is_ok(),
            "a newer operator is not judged"
        );
        assert!(
            operator_ships("0.58.1", "2.12.x").is_ok(),
            "an unknown Flux is not judged"
        );
        let err = operator_ships("0.41.1", "2.8.x").unwrap_err();
        assert_eq!((err.needed, err.flux.as_str()), ("0.42.0", "v2.8.0"));
        assert_eq!(err.newest_shipped.as_deref(), Some("v2.7.5"));
    }
}
