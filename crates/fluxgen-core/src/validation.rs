//! Collecting every problem of an object before reporting it.

use std::fmt;

use crate::objects::Duration;

/// One rule an object breaks: the field (a dotted path inside the object) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field, e.g. `spec.sync.ref`.
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Gathers violations while an object is checked, so all of them are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<Violation>);

impl Violations {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn duration(&mut self, field: &str, value: &Duration) {
        if let Err(message) = value.check() {
            self.push(field, message);
        }
    }

    pub(crate) fn optional_duration(&mut self, field: &str, value: Option<&Duration>) {
        if let Some(value) = value {
            self.duration(field, value);
        }
    }

    pub(crate) fn not_empty(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.push(field, "is required");
        }
    }

    pub(crate) fn name(&mut self, field: &str, value: &str) {
        if let Err(message) = crate::patterns::DNS_SUBDOMAIN.check(value) {
            self.push(field, message);
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}
