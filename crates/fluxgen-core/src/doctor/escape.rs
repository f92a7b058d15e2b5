//! Text from the repository (file names, object names, paths) as each report format must quote
//! it: no value adds a line, sends a terminal escape, opens an HTML tag in a pull-request
//! comment, or leaves a Mermaid label.

use std::borrow::Cow;

/// For a terminal: control characters escaped (`\n`, `\u{1b}`).
pub(super) fn text(value: &str) -> Cow<'_, str> {
    if !value.chars().any(char::is_control) {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.chars().flat_map(escaped_control).collect())
}

/// For Markdown prose: control characters escaped as in [`text`], and `<` and `>` written as
/// entities, so no HTML tag (an image, a `<details>`) is opened. Backtick code spans the
/// message writes are kept.
pub(super) fn markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.extend(escaped_control(c)),
        }
    }
    out
}

/// For a Markdown table cell: [`markdown`], and `|` escaped.
pub(super) fn cell(value: &str) -> String {
    markdown(value).replace('|', "\\|")
}

/// A Markdown code span of `value`, whatever backticks it holds: fenced by one more backtick
/// than its longest run, padded with a space where it starts or ends with one.
pub(super) fn code(value: &str) -> String {
    let value = text(value);
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// For a quoted Mermaid label: quotes, angle brackets and backticks as Mermaid entity codes,
/// control characters as spaces.
pub(super) fn mermaid(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '#' => out.push_str("#35;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn escaped_control(c: char) -> Vec<char> {
    if c.is_control() {
        c.escape_debug().collect()
    } else {
        vec![c]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_value_leaves_its_place() {
        assert_eq!(text("a\n---\u{1b}[2J"), "a\\n---\\u{1b}[2J");
        assert_eq!(markdown("x\n## fake <img src=y>"), "x\\n## fake &lt;img src=y&gt;");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(mermaid("a\"]\nB[\"x`#"), "a#quot;] B[#quot;x#96;#35;");
    }
}
