//! Suggestions for a mistyped name: the closest known one, or the list of them.

/// What to tell someone who typed `name` where one of `known` belongs: `` did you mean `x`? ``
/// when one is close enough to be a likely typo, else `<lead> a, b, c` (or `there are none`).
///
/// ```
/// use fluxgen_core::config::suggest;
/// let known = vec!["edge".to_owned(), "main".to_owned()];
/// assert_eq!(suggest("egde", &known, "known clusters are"), "did you mean `edge`?");
/// assert_eq!(suggest("nope", &known, "known clusters are"), "known clusters are edge, main");
/// ```
pub fn suggest(name: &str, known: &[String], lead: &str) -> String {
    match did_you_mean(name, known) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => format!("{lead} none"),
        None => format!("{lead} {}", known.join(", ")),
    }
}

/// The known name closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&name.to_ascii_lowercase(), &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.as_str())
}
