//! What fluxgen says on stderr: notes, progress and errors, coloured only on a terminal (or with
//! `--color always`), never when `NO_COLOR` is set.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use crate::cli::Color;

static COLORED: OnceLock<bool> = OnceLock::new();

const YELLOW: &str = "\x1b[33m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// Decides once whether stderr gets colour.
pub(crate) fn init(choice: Color) {
    let colored = match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal(),
    };
    let _ = COLORED.set(colored);
}

/// Whether output meant for a terminal gets colour.
pub(crate) fn colored() -> bool {
    *COLORED.get().unwrap_or(&false)
}

fn labelled(color: &str, label: &str, message: impl Display) {
    let message = message.to_string();
    let message = printable(&message);
    let mut stderr = std::io::stderr().lock();
    let _ = if *COLORED.get().unwrap_or(&false) {
        writeln!(stderr, "{color}{label}:{RESET} {message}")
    } else {
        writeln!(stderr, "{label}: {message}")
    };
}

/// A note: something the user should know, not a failure.
pub(crate) fn note(message: impl Display) {
    labelled(YELLOW, "note", message);
}

/// A warning: something that went wrong and was let pass, as asked.
pub(crate) fn warning(message: impl Display) {
    labelled(YELLOW, "warning", message);
}

/// Progress: what was written or removed.
pub(crate) fn status(message: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{}", printable(&message.to_string()));
}

/// `message` with every control character but the line breaks between its lines escaped
/// (`\u{1b}`, `\r`): no value quoted in a message sends a terminal escape or rewrites a line.
pub(crate) fn printable(message: &str) -> std::borrow::Cow<'_, str> {
    // Control characters are U+0000 to U+001F, U+007F and U+0080 to U+009F (`0xC2 0x80` to
    // `0xC2 0x9F` in UTF-8): a message without those bytes (the common case, a long report of
    // paths) is printed as it is, without looking at it character by character.
    if !message
        .bytes()
        .any(|b| (b < 0x20 && b != b'\n') || b == 0x7f || b == 0xc2)
    {
        return message.into();
    }
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// An error and its causes, one `caused by:` line each.
pub(crate) fn error(error: &anyhow::Error) {
    labelled(BOLD_RED, "error", error);
    for cause in error.chain().skip(1) {
        labelled(BOLD_RED, "caused by", cause);
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn every_control_character_but_a_line_break_is_escaped_and_nothing_else_changes() {
        for (message, shown) in [
            (
                "wrote kubernetes/edge/ks.yaml\nwrote x",
                "wrote kubernetes/edge/ks.yaml\nwrote x",
            ),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("over\rwritten", "over\\rwritten"),
            ("tab\there", "tab\\there"),
            ("del\u{7f}", "del\\u{7f}"),
            ("next line\u{85}", "next line\\u{85}"),
            ("\u{9f}", "\\u{9f}"),
            ("© é ü \u{a0}", "© é ü \u{a0}"),
            ("", ""),
        ] {
            assert_eq!(printable(message), shown, "{message:?}");
        }
    }
}
