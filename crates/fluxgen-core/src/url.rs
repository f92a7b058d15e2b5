//! URLs as fluxgen accepts, writes and prints them: never with credentials (a URL in Git is read
//! by everyone who can read the repository, and fluxgen writes it into generated files), never
//! with whitespace or control characters (a newline in a URL pasted into a comment line would
//! start a line of its own).

use std::borrow::Cow;

/// What is wrong with the characters of `url`: whitespace or a control character (the URL is
/// not repeated).
#[cfg(feature = "generator")]
pub(crate) fn check_characters(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "the URL contains whitespace or a control character (the value is not shown): write it \
                    percent-encoded, on one line"
                .to_owned(),
        );
    }
    Ok(())
}

/// Whether `url` carries credentials: a password (`ssh://git:secret@host`), or for any scheme
/// but SSH a user part at all (`https://<token>@github.com/...`, a token passed as the user).
pub(crate) fn has_credentials(url: &str) -> bool {
    matches!(without_credentials(url), Cow::Owned(_))
}

/// `url` without its credentials ([`has_credentials`]): `https://user:token@host/x` becomes
/// `https://host/x`, `ssh://git:secret@host/x` becomes `ssh://git@host/x`; any other URL is
/// returned as it is.
pub(crate) fn without_credentials(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return Cow::Borrowed(url);
    };
    let user_info = &authority[..at];
    let ssh = scheme.eq_ignore_ascii_case("ssh") || scheme.to_ascii_lowercase().ends_with("+ssh");
    let kept_user = match user_info.split_once(':') {
        Some((user, _)) if ssh => format!("{user}@"),
        None if ssh => return Cow::Borrowed(url),
        _ => String::new(),
    };
    Cow::Owned(format!("{scheme}://{kept_user}{}", &rest[at + 1..]))
}

/// Whether any URL written in `text` (a label, an annotation, a raw patch) carries credentials.
pub(crate) fn text_has_credentials(text: &str) -> bool {
    let ends = |c: char| c.is_whitespace() || c.is_control() || "\"'`<>()[]{},;|".contains(c);
    text.match_indices("://").any(|(at, _)| {
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "+.-".contains(c)))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let end = text[at..].find(ends).map_or(text.len(), |i| at + i);
        has_credentials(&text[start..end])
    })
}

/// A value as a message quotes it: in backticks, control characters escaped (`\n`, `\u{1b}`),
/// so that no value adds a line to a message or sends a terminal escape; a value holding a URL
/// with credentials is not shown at all.
pub(crate) fn quoted(value: &str) -> String {
    if text_has_credentials(value) {
        return "the value (not shown: it holds a URL with credentials)".to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('`');
    for c in value.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_found_and_left_out() {
        for (url, without) in [
            ("https://oauth2:s3cr3t@github.com/a/b", "https://github.com/a/b"),
            ("https://s3cr3t@github.com/a/b", "https://github.com/a/b"),
            ("ssh://git:s3cr3t@github.com/a/b", "ssh://git@github.com/a/b"),
            ("git+ssh://git:s3cr3t@host/x?a=b@c", "git+ssh://git@host/x?a=b@c"),
            ("oci://u:s3cr3t@ghcr.io/x", "oci://ghcr.io/x"),
        ] {
            assert!(has_credentials(url), "{url}");
            assert_eq!(without_credentials(url), without, "{url}");
            assert!(!quoted(url).contains("s3cr3t"), "{url}");
        }
        for url in [
            "ssh://git@github.com/a/b",
            "https://github.com/a/b?x=y@z",
            "https://github.com/a/@b",
            "git@github.com:a/b",
            "https://k8s-schemas.home-operations.com",
        ] {
            assert!(!has_credentials(url), "{url}");
            assert_eq!(check_characters(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn whitespace_and_control_characters_are_refused_and_escaped() {
        for url in ["https://x\n---\nkind: Secret", "https://x y", "https://x\u{1b}[31m"] {
            assert!(
                check_characters(url).unwrap_err().contains("control character"),
                "{url:?}"
            );
        }
        assert_eq!(quoted("a\nb\u{1b}[2J"), "`a\\nb\\u{1b}[2J`");
        assert!(!quoted("https://u:tok@h/x").contains("tok"));
        assert!(text_has_credentials("see x=https://u:p@h/y now"));
        assert!(text_has_credentials("ünï\u{202e}https://u:p@h/y"));
        assert!(text_has_credentials("\"git+ssh://git:p@h\""));
        assert!(!text_has_credentials("ssh://git@h/x https://h/y?a=b@c"));
    }
}
