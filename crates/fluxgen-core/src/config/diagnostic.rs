//! Located configuration errors.

use std::fmt;

use crate::yaml::Position;

/// One problem in a config file: where it is, which key, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Line and column in the file.
    pub at: Position,
    /// Dotted key path, e.g. `clusters.edge.instance.sync.interval`.
    pub key: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

/// Every problem found in one config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors {
    /// The file, as the user named it.
    pub file: String,
    /// The problems, in file order.
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        write!(
            f,
            "{}: {count} error{} in the configuration",
            self.file,
            if count == 1 { "" } else { "s" }
        )?;
        for error in &self.errors {
            write!(f, "\n  {}:{}:{}: ", self.file, error.at.line, error.at.column)?;
            if !error.key.is_empty() {
                write!(f, "{}: ", error.key)?;
            }
            f.write_str(&error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
