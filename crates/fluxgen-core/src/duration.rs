//! Durations as Flux writes them: `1h`, `15m`, `500ms`, `1h30m`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Go-style duration that keeps the spelling the user wrote (`1h` stays `1h`).
///
/// Flux CRDs accept the pattern `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`. Construction never fails, so
/// builders stay short; [`Duration::check`] (called by every object's `validate`) reports a
/// malformed value.
///
/// ```
/// use fluxgen_core::Duration;
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
        if is_flux_duration(&self.0, true) {
            Ok(())
        } else {
            Err(format!(
                "`{}` is not a duration: use a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m",
                self.0
            ))
        }
    }

    /// Like [`Duration::check`] but without hours, as `OCIRepository.spec.timeout` requires.
    pub fn check_without_hours(&self) -> Result<(), String> {
        if is_flux_duration(&self.0, false) {
            Ok(())
        } else {
            Err(format!(
                "`{}` is not a timeout: use a number and a unit (ms, s, m), e.g. 60s, 5m",
                self.0
            ))
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

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Go duration such as 1h, 15m or 500ms.",
            "type": "string",
            "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$",
        })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Matches `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$` (with `h` only when `hours` is set).
pub(crate) fn is_flux_duration(text: &str, hours: bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    if bytes.is_empty() {
        return false;
    }
    while i < bytes.len() {
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
        if bytes.get(i) == Some(&b'.') {
            let fraction = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            if fraction == 0 {
                return false;
            }
            i += 1 + fraction;
        }
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'm'), Some(b's')) => i += 2,
            (Some(b's'), _) | (Some(b'm'), _) => i += 1,
            (Some(b'h'), _) if hours => i += 1,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
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
