//! Durations as Flux writes them: `1h`, `15m`, `500ms`, `1h30m`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::patterns::{DURATION, Pattern, TIMEOUT};

/// A Go-style duration that keeps the spelling the user wrote (`1h` stays `1h`).
///
/// Flux CRDs accept a number and a unit (ms, s, m, h), repeated. Construction never fails, so
/// builders stay short; [`Duration::check`] (called by every object's `validate`) reports a
/// malformed value.
///
/// ```
/// use fluxgen_core::objects::Duration;
/// assert!(Duration::from("1h30m").check().is_ok());
/// assert!(Duration::from("90 minutes").check().is_err());
/// assert_eq!(Duration::from("60m").to_string(), "60m");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Duration(String);

impl Duration {
    /// The duration as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the Flux duration pattern; the error explains what is accepted.
    pub fn check(&self) -> Result<(), String> {
        self.check_against(&DURATION)
    }

    /// Like [`Duration::check`] but without hours, as `OCIRepository.spec.timeout` requires.
    pub fn check_without_hours(&self) -> Result<(), String> {
        self.check_against(&TIMEOUT)
    }

    fn check_against(&self, pattern: &Pattern) -> Result<(), String> {
        if pattern.matches(&self.0) {
            Ok(())
        } else {
            Err(pattern.complaint(&crate::url::quoted(&self.0)))
        }
    }
}

impl From<&str> for Duration {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Duration {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(feature = "generator")]
impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Go duration such as 1h, 15m or 500ms.",
            "type": "string",
            "pattern": DURATION.regex,
        })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` is a duration as Flux accepts it ([`DURATION`]), or without hours
/// ([`TIMEOUT`]) when `hours` is not set.
#[cfg(feature = "migration")]
pub(crate) fn is_flux_duration(text: &str, hours: bool) -> bool {
    if hours {
        DURATION.matches(text)
    } else {
        TIMEOUT.matches(text)
    }
}

#[cfg(all(test, feature = "migration"))]
mod tests {
    use super::is_flux_duration;

    #[test]
    fn accepts_the_flux_pattern() {
        for ok in ["1h", "15m", "500ms", "1h30m", "1.5h", "0s", "10m5s250ms"] {
            assert!(is_flux_duration(ok, true), "{ok}");
        }
        for bad in ["", "h", "1", "1d", "1.h", "-1s", "1 h", "1hm", "1H", ".5s"] {
            assert!(!is_flux_duration(bad, true), "{bad}");
        }
        assert!(!is_flux_duration("1h", false));
        assert!(is_flux_duration("60s", false));
    }
}
