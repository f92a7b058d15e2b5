//! Which Flux release a FluxInstance's `distribution.version` runs, and the release fluxgen
//! explains it against.
//!
//! The operator reads `distribution.version` as a Masterminds semver constraint (`2.7.x`,
//! `2.7`, `v2.7.3`, `>=2.6.0 <2.8.0`, `~2.7`, `^2.6`, `2.5 - 2.7`, `a || b`) and runs the
//! newest release among its manifests that satisfies it (flux-operator v0.58.1,
//! `internal/builder/semver.go`, `MatchVersion`). fluxgen does the same over the releases
//! that operator ships ([`SHIPPED_IN`](super::SHIPPED_IN)), then takes the facts of that release's minor
//! ([`RELEASES`]: the minor's newest patch). A version outside what fluxgen knows is
//! explained against the nearest release it does know, with a note saying so.

use super::{RELEASES, Release};

/// A Flux release as numbers, `(major, minor, patch)`.
pub(super) type Number = (u32, u32, u32);

/// The release a cluster's `distribution.version` resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedVersion {
    /// The version or range the cluster pins, as written.
    pub requested: String,
    /// The release the operator would run, e.g. `v2.7.3`, when one it ships satisfies the
    /// version.
    pub runs: Option<String>,
    /// The release whose Deployments fluxgen uses.
    pub release: &'static Release,
    /// Why those are not exactly the Deployments of what the cluster runs, when they are not.
    pub note: Option<String>,
}

/// Resolves a `distribution.version` to the release whose facts explain it: never fails, a
/// version fluxgen cannot match is explained against the nearest release with a note.
///
/// ```
/// use fluxgen_core::facts::resolve_version;
/// assert_eq!(resolve_version("2.7.x").release.version, "v2.7.5");
/// assert_eq!(resolve_version(">=2.6.0 <2.8.0").release.version, "v2.7.5");
/// let pinned = resolve_version("v2.7.3");
/// assert_eq!((pinned.runs.as_deref(), pinned.release.version), (Some("v2.7.3"), "v2.7.5"));
/// let newer = resolve_version("2.12.x");
/// assert_eq!(newer.release.version, "v2.9.4");
/// assert!(newer.note.unwrap().contains("newer than"));
/// ```
pub fn resolve_version(requested: &str) -> ResolvedVersion {
    let resolved = |runs: Option<Number>, release: &'static Release, note: Option<String>| ResolvedVersion {
        requested: requested.to_owned(),
        runs: runs.map(text),
        release,
        note,
    };
    let oldest = &RELEASES[0];
    let newest = &RELEASES[RELEASES.len() - 1];
    let Some(constraint) = Constraint::parse(requested) else {
        let note = format!(
            "`{requested}` is not a Flux version or range fluxgen understands: explained against {}, the newest it knows",
            newest.version
        );
        return resolved(None, newest, Some(note));
    };
    let runs = super::SHIPPED_IN
        .iter()
        .rev()
        .map(|(flux, _)| *flux)
        .find(|v| constraint.allows(*v));
    let minor = runs.unwrap_or(constraint.anchor);
    let (major, minor_number) = (minor.0, minor.1);
    if let Some(release) = RELEASES.iter().find(|r| r.minor() == (major, minor_number)) {
        let note = match runs {
            Some(runs) if runs == release.number => None,
            Some(runs) => Some(format!(
                "the cluster runs {}: explained against {}, the newest {major}.{minor_number} patch fluxgen knows",
                text(runs),
                release.version
            )),
            None => Some(format!(
                "no Flux release the operator ships matches `{requested}`: explained against {}, the newest \
                 {major}.{minor_number} patch fluxgen knows",
                release.version
            )),
        };
        return resolved(runs, release, note);
    }
    let what = runs.map_or_else(|| format!("`{requested}`"), |runs| format!("Flux {}", text(runs)));
    if (major, minor_number) < oldest.minor() {
        let note = format!(
            "{what} is older than any Flux release fluxgen knows: explained against {}, the oldest",
            oldest.version
        );
        resolved(runs, oldest, Some(note))
    } else {
        let note = format!(
            "{what} is newer than any Flux release fluxgen knows: explained against {}, the newest",
            newest.version
        );
        resolved(runs, newest, Some(note))
    }
}

fn text((major, minor, patch): Number) -> String {
    format!("v{major}.{minor}.{patch}")
}

/// A version as written, each part a number or a wildcard (`x`, `X`, `*`, or left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Partial {
    major: Option<u32>,
    minor: Option<u32>,
    patch: Option<u32>,
}

impl Partial {
    /// `v2.7.3`, `2.7`, `2.x`, `*`; a pre-release or build suffix is ignored.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let text = text.split(['-', '+']).next()?;
        let mut parts = text.split('.');
        let mut part = || -> Option<Option<u32>> {
            match parts.next() {
                None | Some("x" | "X" | "*") => Some(None),
                Some(number) => number.parse().ok().map(Some),
            }
        };
        let (major, minor, patch) = (part()?, part()?, part()?);
        if parts.next().is_some() || text.is_empty() {
            return None;
        }
        // A wildcard stands for everything after it: `2.x.3` is `2.x`.
        let minor = major.and(minor);
        let patch = minor.and(patch);
        Some(Self { major, minor, patch })
    }

    /// The lowest version the partial stands for.
    fn floor(self) -> Number {
        (
            self.major.unwrap_or(0),
            self.minor.unwrap_or(0),
            self.patch.unwrap_or(0),
        )
    }

    /// The first version above everything the partial stands for (`None`: no bound).
    fn ceiling(self) -> Option<Number> {
        match (self.major, self.minor, self.patch) {
            (None, _, _) => None,
            (Some(major), None, _) => Some((major + 1, 0, 0)),
            (Some(major), Some(minor), None) => Some((major, minor + 1, 0)),
            (Some(major), Some(minor), Some(patch)) => Some((major, minor, patch + 1)),
        }
    }
}

/// One comparison: versions in `[low, high)` (`high` `None`: unbounded), or outside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    low: Number,
    high: Option<Number>,
    outside: bool,
}

impl Range {
    fn allows(self, version: Number) -> bool {
        let inside = version >= self.low && self.high.is_none_or(|high| version < high);
        inside != self.outside
    }

    fn between(low: Number, high: Option<Number>) -> Self {
        Self {
            low,
            high,
            outside: false,
        }
    }

    /// `op` applied to `version`, as Masterminds semver v3 reads partial versions.
    fn comparison(op: &str, version: Partial) -> Option<Self> {
        let (floor, ceiling) = (version.floor(), version.ceiling());
        let range = match op {
            "" | "=" => Self::between(floor, ceiling),
            "!=" => Self {
                outside: true,
                ..Self::between(floor, ceiling)
            },
            ">" => Self::between(ceiling?, None),
            ">=" | "=>" => Self::between(floor, None),
            "<" => Self::between((0, 0, 0), Some(floor)),
            "<=" | "=<" => Self::between((0, 0, 0), ceiling),
            "~" | "~>" => {
                let high = match (version.major, version.minor) {
                    (None, _) => None,
                    (Some(major), None) => Some((major + 1, 0, 0)),
                    (Some(major), Some(minor)) => Some((major, minor + 1, 0)),
                };
                Self::between(floor, high)
            }
            "^" => {
                let high = match floor {
                    _ if version.major.is_none() => None,
                    (0, 0, patch) if version.patch.is_some() => Some((0, 0, patch + 1)),
                    (0, minor, _) if version.minor.is_some() && minor > 0 => Some((0, minor + 1, 0)),
                    (major, _, _) => Some((major + 1, 0, 0)),
                };
                Self::between(floor, high)
            }
            _ => return None,
        };
        Some(range)
    }
}

/// A semver constraint: any of several all-of lists of ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Constraint {
    any_of: Vec<Vec<Range>>,
    /// The first version written, for finding the nearest release when none matches.
    anchor: Number,
}

impl Constraint {
    /// A `distribution.version` as the operator reads it, or `None` when it does not read.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let mut any_of = Vec::new();
        let mut anchor = None;
        for alternative in text.split("||") {
            let mut all_of = Vec::new();
            let mut words = alternative
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .peekable();
            while let Some(word) = words.next() {
                let op_len = word
                    .find(|c: char| !matches!(c, '<' | '>' | '=' | '!' | '~' | '^'))
                    .unwrap_or(word.len());
                let (op, mut version) = word.split_at(op_len);
                if version.is_empty() {
                    // `>= 2.6.0`: the operator and its version apart.
                    version = words.next()?;
                }
                let low = Partial::parse(version)?;
                anchor.get_or_insert(low.floor());
                if op.is_empty() && words.peek() == Some(&"-") {
                    // A hyphen range, `2.5 - 2.7`.
                    words.next();
                    let high = Partial::parse(words.next()?)?;
                    all_of.push(Range::between(low.floor(), high.ceiling()));
                } else {
                    all_of.push(Range::comparison(op, low)?);
                }
            }
            if all_of.is_empty() {
                return None;
            }
            any_of.push(all_of);
        }
        Some(Self {
            any_of,
            anchor: anchor?,
        })
    }

    /// Whether a release satisfies the constraint.
    pub(super) fn allows(&self, version: Number) -> bool {
        self.any_of.iter().any(|all| all.iter().all(|r| r.allows(version)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(requested: &str) -> (&'static str, Option<String>) {
        let resolved = resolve_version(requested);
        (resolved.release.version, resolved.runs)
    }

    #[test]
    fn a_minor_resolves_to_its_newest_patch() {
        for requested in ["2.7.x", "2.7", "2.7.*", "v2.7.x", "~2.7", "~2.7.0", "=2.7", "2.7.X"] {
            let resolved = resolve_version(requested);
            assert_eq!(resolved.release.version, "v2.7.5", "{requested}");
            assert_eq!(resolved.runs.as_deref(), Some("v2.7.5"), "{requested}");
            assert_eq!(resolved.note, None, "{requested}");
        }
        assert_eq!(uses("2.4.x"), ("v2.4.0", Some("v2.4.0".to_owned())));
        assert_eq!(uses("2.x"), ("v2.9.4", Some("v2.9.4".to_owned())));
        assert_eq!(uses("*"), ("v2.9.4", Some("v2.9.4".to_owned())));
    }

    #[test]
    fn an_exact_patch_runs_itself_and_is_explained_by_its_minor() {
        let resolved = resolve_version("v2.7.3");
        assert_eq!(resolved.runs.as_deref(), Some("v2.7.3"));
        assert_eq!(resolved.release.version, "v2.7.5");
        assert!(resolved.note.unwrap().contains("the cluster runs v2.7.3"));
        assert_eq!(uses("2.8.8"), ("v2.8.8", Some("v2.8.8".to_owned())));
        assert_eq!(resolve_version("2.8.8").note, None);
        // No v2.8.4 exists: the minor still explains it, with a note.
        let missing = resolve_version("2.8.4");
        assert_eq!((missing.release.version, missing.runs), ("v2.8.8", None));
        assert!(missing.note.unwrap().contains("no Flux release the operator ships"));
    }

    #[test]
    fn ranges_take_the_newest_release_they_allow() {
        assert_eq!(uses(">=2.6.0").0, "v2.9.4");
        assert_eq!(uses(">= 2.6.0, < 2.8.0").0, "v2.7.5");
        assert_eq!(uses(">=2.6.0 <2.8.0").0, "v2.7.5");
        assert_eq!(uses("<2.7").0, "v2.6.4");
        assert_eq!(uses("<=2.7").0, "v2.7.5");
        assert_eq!(uses(">2.7").0, "v2.9.4");
        assert_eq!(uses(">2.7 <2.9").0, "v2.8.8");
        assert_eq!(uses("^2.6").0, "v2.9.4");
        assert_eq!(uses("2.5 - 2.7").0, "v2.7.5");
        assert_eq!(uses("2.5.x || 2.6.x").0, "v2.6.4");
        assert_eq!(uses(">=2.7.0, !=2.9.x").0, "v2.8.8");
        assert_eq!(uses(">=2.7.0 <2.7.3"), ("v2.7.5", Some("v2.7.2".to_owned())));
    }

    #[test]
    fn versions_fluxgen_does_not_know_take_the_nearest() {
        let newer = resolve_version("2.12.x");
        assert_eq!((newer.release.version, newer.runs.as_deref()), ("v2.9.4", None));
        assert_eq!(
            newer.note.as_deref(),
            Some("`2.12.x` is newer than any Flux release fluxgen knows: explained against v2.9.4, the newest")
        );
        assert_eq!(uses("3.x").0, "v2.9.4");
        let older = resolve_version("2.3.x");
        assert_eq!(
            (older.release.version, older.runs.as_deref()),
            ("v2.4.0", Some("v2.3.0"))
        );
        assert_eq!(
            older.note.as_deref(),
            Some("Flux v2.3.0 is older than any Flux release fluxgen knows: explained against v2.4.0, the oldest")
        );
        assert_eq!(uses("1.x").0, "v2.4.0");
        assert_eq!(uses("2.0.x").0, "v2.4.0");
        for nonsense in ["", "latest", "2.7.x.y", ">=", "2.7 -", "v", "||", "2..7"] {
            let resolved = resolve_version(nonsense);
            assert_eq!(resolved.release.version, "v2.9.4", "{nonsense}");
            assert!(
                resolved.note.unwrap().contains("not a Flux version or range"),
                "{nonsense}"
            );
        }
    }

    #[test]
    fn partial_versions_read_as_masterminds_semver_reads_them() {
        let range = |op: &str, version: &str| Range::comparison(op, Partial::parse(version).unwrap()).unwrap();
        assert!(range("", "2.7").allows((2, 7, 9)));
        assert!(!range("", "2.7").allows((2, 8, 0)));
        assert!(range(">", "2.7").allows((2, 8, 0)) && !range(">", "2.7").allows((2, 7, 9)));
        assert!(range("<=", "2.7").allows((2, 7, 9)) && !range("<=", "2.7").allows((2, 8, 0)));
        assert!(range("^", "2.6.3").allows((2, 9, 0)) && !range("^", "2.6.3").allows((2, 6, 2)));
        assert!(!range("^", "2.6.3").allows((3, 0, 0)));
        assert!(range("~", "2.6.3").allows((2, 6, 9)) && !range("~", "2.6.3").allows((2, 7, 0)));
        assert_eq!(Partial::parse("v2.7.3-rc.1+build"), Partial::parse("2.7.3"));
    }
}
