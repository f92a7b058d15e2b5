//! The patterns of the values fluxgen checks, one table: each pattern (named by its static),
//! its regular expression and what a value that does not match is told.
//!
//! Everything else is derived from it: the config's JSON schema (its `schemars` attributes and
//! hand-written schemas name these statics, so `schema/*.json` holds the same text), the
//! loader's walk of that schema (`config/conformance.rs`, which matches with these compiled
//! expressions) and its error messages (the failed pattern is looked up by its expression, never
//! recognised by searching its text), the objects' validation and [`Duration`](crate::Duration)
//! ([`Pattern::check`]), and the tuning API's quantities.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex_lite::Regex;

/// A rule a text value must follow, as a JSON Schema `pattern` (matched anywhere in the value:
/// the expressions that must match the whole value are anchored with `^` and `$`). Groups are
/// non-capturing (`(?:...)`, which JSON Schema's ECMA 262 syntax has too) where a value is
/// matched at run time: nothing reads a capture, and `regex-lite` matches faster without them.
#[derive(Debug)]
pub(crate) struct Pattern {
    /// The regular expression, in the syntax common to JSON Schema (ECMA 262), `regex` and
    /// `regex-lite`.
    pub(crate) regex: &'static str,
    /// The longest value accepted, where the rule has a bound (a JSON Schema `maxLength`).
    pub(crate) max_length: Option<usize>,
    /// What follows the quoted value in a message about a value that does not match; `None`
    /// says "does not match the pattern" with the expression.
    pub(crate) message: Option<&'static str>,
    /// The expression compiled, when a value first needs it.
    compiled: OnceLock<Option<Regex>>,
}

/// A DNS-1123 label (a namespace, a cluster name, the sync's name): Kubernetes'
/// `dns1123LabelFmt` and `DNS1123LabelMaxLength` (k8s.io/apimachinery
/// `pkg/util/validation/validation.go`).
pub(crate) static DNS_LABEL: Pattern = Pattern::new(
    "^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$",
    Some(63),
    Some("is not a DNS-1123 name: use lower-case letters, digits and `-`, starting and ending with a letter or digit"),
);

/// A DNS-1123 subdomain (the name of most Kubernetes objects): labels joined by `.`, Kubernetes'
/// `dns1123SubdomainFmt` and `DNS1123SubdomainMaxLength` (k8s.io/apimachinery
/// `pkg/util/validation/validation.go`).
pub(crate) static DNS_SUBDOMAIN: Pattern = Pattern::new(
    r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$",
    Some(253),
    Some(
        "is not a DNS-1123 name: use lower-case letters, digits, `-` and `.`, each `.`-separated part starting and \
         ending with a letter or digit",
    ),
);

/// A Kubernetes quantity (resource amounts, volume sizes): the grammar of k8s.io/apimachinery
/// `pkg/api/resource/quantity.go` (`<number><suffix>`, a suffix being a binary SI `Ki`..`Ei`,
/// a decimal SI `n`, `u`, `m`, `k`, `M`..`E`, or an exponent `e3`), as the pattern
/// controller-gen writes for a `resource.Quantity`, without the leading sign: every quantity
/// fluxgen writes is an amount or a size, which Kubernetes refuses below zero.
pub(crate) static QUANTITY: Pattern = Pattern::new(
    r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$",
    None,
    Some("is not a Kubernetes quantity such as 512Mi or 10Gi"),
);

/// A Go duration as the Flux CRDs accept it: the `+kubebuilder:validation:Pattern` of
/// `Sync.Interval` in controlplaneio-fluxcd/flux-operator `api/v1/fluxinstance_types.go` (at
/// [`OPERATOR_COMMIT`](crate::facts::OPERATOR_COMMIT)), and of every Flux `interval`.
pub(crate) static DURATION: Pattern = Pattern::new(
    r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$",
    None,
    Some("is not a duration: use a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m"),
);

/// A Go duration without hours, as an `OCIRepository`'s `spec.timeout` accepts it (the
/// source-controller CRD in controlplaneio-fluxcd/flux-operator `config/data/flux/v2.9.4/`).
pub(crate) static TIMEOUT: Pattern = Pattern::new(
    r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m))+$",
    None,
    Some("is not a timeout: use a number and a unit (ms, s, m), e.g. 60s, 5m"),
);

/// A chart version: a semantic version without a leading `v`, as the operator's charts are
/// tagged.
pub(crate) static CHART_VERSION: Pattern = Pattern::new(
    r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+].*)?$",
    None,
    Some("is not a chart version such as 0.58.1 (no leading `v`)"),
);

/// A full Git ref, as a GitRepository's `spec.ref.name` takes it.
pub(crate) static GIT_REF: Pattern =
    Pattern::new("^refs/", None, Some("must be a full Git ref such as refs/heads/main"));

/// A Git clone URL of a scheme a GitRepository accepts.
pub(crate) static GIT_URL: Pattern = Pattern::new("^(ssh|https?)://", None, None);

/// An OCI artifact URL: the `+kubebuilder:validation:Pattern` of `Distribution.Artifact` in
/// controlplaneio-fluxcd/flux-operator `api/v1/fluxinstance_types.go` (written there as
/// `^oci://.*$`).
pub(crate) static OCI_URL: Pattern = Pattern::new("^oci://", None, None);

/// How many texts a thread remembers the answers for ([`Pattern::matches`]) before it starts
/// over.
const RECENT_ANSWERS: usize = 4096;

/// Longer texts are matched each time (names, durations and versions are short).
const RECENT_TEXT_BYTES: usize = 256;

thread_local! {
    /// Per text: which patterns it was matched against (bit `i` for `PATTERNS[i]`), and which
    /// of those it matched.
    static RECENT: RefCell<HashMap<Box<str>, (u16, u16)>> = RefCell::new(HashMap::new());
}

/// Every pattern (at most 16: [`RECENT`] has a bit for each).
pub(crate) static PATTERNS: [&Pattern; 9] = [
    &DNS_LABEL,
    &DNS_SUBDOMAIN,
    &QUANTITY,
    &DURATION,
    &TIMEOUT,
    &CHART_VERSION,
    &GIT_REF,
    &GIT_URL,
    &OCI_URL,
];

impl Pattern {
    const fn new(regex: &'static str, max_length: Option<usize>, message: Option<&'static str>) -> Self {
        Self {
            regex,
            max_length,
            message,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern whose regular expression is `regex` (as a schema states it).
    pub(crate) fn of_regex(regex: &str) -> Option<&'static Pattern> {
        PATTERNS.iter().copied().find(|pattern| pattern.regex == regex)
    }

    /// Whether `text` matches (anywhere, as JSON Schema has it). Compiled once, with
    /// `regex-lite` (a fifth of `regex`'s compile time for these small expressions). The
    /// answers are remembered per thread ([`RECENT`]): the clusters of a config check the same
    /// names and durations over and over, and a lookup costs a tenth of a match.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let Some(bit) = PATTERNS
            .iter()
            .position(|pattern| std::ptr::eq(*pattern, self))
            .map(|index| 1u16 << index)
            .filter(|_| text.len() <= RECENT_TEXT_BYTES)
        else {
            return self.match_now(text);
        };
        RECENT.with_borrow_mut(|recent| {
            if let Some(&(asked, matched)) = recent.get(text)
                && asked & bit != 0
            {
                return matched & bit != 0;
            }
            let answer = self.match_now(text);
            if recent.len() >= RECENT_ANSWERS {
                recent.clear();
            }
            let (asked, matched) = recent.entry(text.into()).or_default();
            *asked |= bit;
            if answer {
                *matched |= bit;
            }
            answer
        })
    }

    /// [`matches`](Self::matches), asking the expression.
    fn match_now(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| Regex::new(self.regex).ok())
            .as_ref()
            .is_some_and(|regex| regex.is_match(text))
    }

    /// What a value that does not match is told, after the value as `shown` (quoted, or a
    /// stand-in for a secret).
    pub(crate) fn complaint(&self, shown: &str) -> String {
        match self.message {
            Some(message) => format!("{shown} {message}"),
            None => format!("{shown} does not match the pattern {}", self.regex),
        }
    }

    /// Checks a value: not empty, not longer than the bound, matching; the error says why.
    pub(crate) fn check(&self, value: &str) -> Result<(), String> {
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if let Some(max) = self.max_length
            && value.len() > max
        {
            return Err(format!("{} is longer than {max} characters", crate::url::quoted(value)));
        }
        if self.matches(value) {
            Ok(())
        } else {
            Err(self.complaint(&crate::url::quoted(value)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_answer_is_the_expressions_for_that_pattern_and_text() {
        assert!(PATTERNS.len() <= 16, "RECENT has a bit per pattern");
        let texts = [
            "flux-system",
            "Not_A_Name",
            "10m",
            "1h30m",
            "512Mi",
            "2.7.x",
            "refs/heads/main",
            "ssh://git@github.com/x/y",
            "oci://ghcr.io/x",
            "a.b",
            "",
        ];
        let long = "a".repeat(RECENT_TEXT_BYTES + 1);
        for _ in 0..2 {
            for text in texts.iter().copied().chain([long.as_str()]) {
                for pattern in PATTERNS {
                    assert_eq!(
                        pattern.matches(text),
                        pattern.match_now(text),
                        "{} on {text:?}",
                        pattern.regex
                    );
                }
            }
        }
        // Starting over keeps the answers right.
        for index in 0..=RECENT_ANSWERS {
            let name = format!("n{index}");
            assert!(DNS_LABEL.matches(&name));
            assert!(!DNS_LABEL.matches(&format!("{name}_")));
        }
    }

    #[test]
    fn every_pattern_compiles_and_is_listed_once() {
        for pattern in PATTERNS {
            assert!(Regex::new(pattern.regex).is_ok(), "{}", pattern.regex);
            assert!(regex::Regex::new(pattern.regex).is_ok(), "{}", pattern.regex);
            assert_eq!(
                PATTERNS.iter().filter(|p| p.regex == pattern.regex).count(),
                1,
                "{}",
                pattern.regex
            );
        }
    }

    #[test]
    fn dns_names_follow_kubernetes() {
        for ok in ["a", "flux-system", "a1", "0"] {
            assert!(DNS_LABEL.check(ok).is_ok(), "{ok}");
            assert!(DNS_SUBDOMAIN.check(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", "a b"] {
            assert!(DNS_LABEL.check(bad).is_err(), "{bad}");
        }
        assert!(DNS_LABEL.check(&"a".repeat(63)).is_ok());
        assert!(DNS_LABEL.check(&"a".repeat(64)).is_err());
        for ok in ["a.b", "sops-age.v1", "a-1.b-2.c"] {
            assert!(DNS_SUBDOMAIN.check(ok).is_ok(), "{ok}");
        }
        for bad in ["a..b", "a.-b", "a-.b", ".a", "a.", "A.b"] {
            assert!(DNS_SUBDOMAIN.check(bad).is_err(), "{bad}");
        }
        assert_eq!(
            DNS_LABEL.check("Edge").unwrap_err(),
            "`Edge` is not a DNS-1123 name: use lower-case letters, digits and `-`, starting and ending with a \
             letter or digit"
        );
        assert_eq!(DNS_LABEL.check("").unwrap_err(), "must not be empty");
    }

    #[test]
    fn quantities_follow_the_kubernetes_grammar() {
        for ok in [
            "512Mi", "10Gi", "500m", "1", "1.5", "2k", "1E", "100n", "250u", "1e3", "1.5E-3", ".5", "5.", "0",
        ] {
            assert!(QUANTITY.matches(ok), "{ok}");
        }
        for bad in [
            "", "-1Gi", "+1Gi", "2GB", "10 GiB", "two", "1e3Mi", "1.2.3", "Mi", "1mi", "١٢", "1e", ".",
        ] {
            assert!(!QUANTITY.matches(bad), "{bad}");
        }
    }

    #[test]
    fn tunings_check_quantities_by_the_table() {
        use crate::{Component, Tuning};
        for (amount, accepted) in [
            ("2Gi", true),
            ("1e9", true),
            ("-1Gi", false),
            ("1e3Mi", false),
            ("+1Gi", false),
        ] {
            let tuning = Tuning::memory_limit([Component::HelmController], amount);
            assert_eq!(crate::tuning::check_tunings(&[tuning]).is_ok(), accepted, "{amount}");
        }
    }

    #[test]
    fn a_pattern_is_found_by_its_expression_alone() {
        assert!(Pattern::of_regex(DURATION.regex).is_some_and(|p| std::ptr::eq(p, &DURATION)));
        assert!(Pattern::of_regex("^x$").is_none());
        assert_eq!(
            GIT_URL.complaint("`git@x`"),
            "`git@x` does not match the pattern ^(ssh|https?)://"
        );
    }
}
