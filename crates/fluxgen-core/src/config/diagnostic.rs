//! Located configuration errors.

use std::fmt;

use crate::yaml::Position;

/// One problem in a config file: where it is, which key, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Line and column in the file; 0:0 for a config built in code.
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
            // A config built in code has no lines: its errors are placed by key alone.
            if error.at.line == 0 {
                write!(f, "\n  {}: ", self.file)?;
            } else {
                write!(f, "\n  {}:{}:{}: ", self.file, error.at.line, error.at.column)?;
            }
            if !error.key.is_empty() {
                write!(f, "{}: ", one_line(&error.key))?;
            }
            f.write_str(&one_line(&error.message))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Text with its control characters escaped (`\n`, `\u{1b}`): each error stays on its line
/// whatever key or value it quotes.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() {
                    c.escape_debug().collect()
                } else {
                    vec![c]
                };
                escaped
            })
            .collect(),
    )
}
