//! `fluxgen check`.

use std::io::Write;

use std::collections::BTreeSet;

use fluxgen_core::{Drift, DriftKind, check_clusters, emit::tree_dir};

use crate::cli::{CheckArgs, CheckFormat, Cli};
use crate::{ExitStatus, config_file, diagnostics};

pub(crate) fn run(cli: &Cli, args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let config = &loaded.config;
    let names: Vec<String> = match &args.cluster {
        Some(name) => vec![name.clone()],
        None => config.clusters.keys().cloned().collect(),
    };
    let root = loaded.root(args.root.as_deref());
    let drifts = check_clusters(config, &names, root)?;
    // The command that regenerates, with the `--root` this run was given, so it writes the
    // same tree. (`-c` is not repeated: what fluxgen prints is the same whichever way the
    // config was found.)
    let regenerate = match &args.cluster {
        // Checked above: the cluster exists. Its directory relative to the repository root, as
        // every path fluxgen prints.
        Some(name) => format!(
            "fluxgen emit {name} -o {}",
            tree_dir(
                args.root.as_deref().unwrap_or(std::path::Path::new(".")),
                config.cluster(name).map_or("", |c| &c.settings.path)
            )
            .display()
        ),
        None => format!(
            "fluxgen emit --all{}",
            args.root
                .as_ref()
                .map_or_else(String::new, |root| format!(" --root {}", root.display()))
        ),
    };
    let regenerate = advice(&drifts, &regenerate);
    // Files, not drifts: a namespace kustomization.yaml lacking two lines is one file.
    let files = drifts.iter().map(|d| &d.path).collect::<BTreeSet<_>>().len();
    let text = match args.format {
        CheckFormat::Text => text(&drifts, diagnostics::colored()),
        CheckFormat::Markdown => markdown(&drifts, files, &regenerate),
    };
    out.write_all(text.as_bytes())?;
    if drifts.is_empty() {
        diagnostics::status(format_args!("{} cluster(s) match the config", names.len()));
        Ok(ExitStatus::Success)
    } else {
        diagnostics::status(format_args!("{files} file(s) drift from the config: {regenerate}"));
        Ok(ExitStatus::Failure)
    }
}

/// What to do about `drifts`, in the order that works: files fluxgen did not write moved away
/// and the user's namespace `kustomization.yaml` edited by hand (emit does neither), then
/// `regenerate` for what emit does fix.
fn advice(drifts: &[Drift], regenerate: &str) -> String {
    let files = |kind: fn(&DriftKind) -> bool| -> Vec<String> {
        let set: BTreeSet<String> = drifts
            .iter()
            .filter(|d| kind(&d.kind))
            .map(|d| d.path.display().to_string())
            .collect();
        set.into_iter().collect()
    };
    let foreign = files(|k| matches!(k, DriftKind::NotGenerated));
    let by_hand = files(|k| matches!(k, DriftKind::IndexLine(_) | DriftKind::RetiredIndexLine(_)));
    let emitted = drifts
        .iter()
        .any(|d| matches!(d.kind, DriftKind::Missing | DriftKind::Changed | DriftKind::Stale));
    let mut steps = Vec::new();
    if !foreign.is_empty() {
        steps.push(format!(
            "move {} out of the way (fluxgen never overwrites a file it did not generate)",
            foreign.join(", ")
        ));
    }
    if !by_hand.is_empty() {
        steps.push(format!("edit {} by hand as listed", by_hand.join(", ")));
    }
    if emitted || !foreign.is_empty() {
        steps.push(format!("run `{regenerate}`"));
    }
    steps.join(", then ")
}

fn text(drifts: &[Drift], colored: bool) -> String {
    let mut out = String::new();
    for drift in drifts {
        out.push_str(&format!("{drift}\n"));
        for line in drift.diff.lines() {
            let color = match line.chars().next() {
                _ if !colored => None,
                Some('+') if !line.starts_with("+++") => Some("\x1b[32m"),
                Some('-') if !line.starts_with("---") => Some("\x1b[31m"),
                Some('@') => Some("\x1b[36m"),
                _ => None,
            };
            match color {
                Some(color) => out.push_str(&format!("{color}{line}\x1b[0m\n")),
                None => out.push_str(&format!("{line}\n")),
            }
        }
    }
    out
}

fn markdown(drifts: &[Drift], files: usize, regenerate: &str) -> String {
    if drifts.is_empty() {
        return "### fluxgen check\n\nThe generated Flux Operator files match `fluxgen.yaml`.\n".to_owned();
    }
    // `run `X`` alone reads as it always did; more steps are listed as they are.
    let to_fix = match regenerate.strip_prefix("run ") {
        Some(command) if !regenerate.contains(", then ") => format!("Regenerate with {command} and commit the result."),
        _ => format!("To fix: {regenerate}; commit the result."),
    };
    let mut out = format!("### fluxgen check: {files} file(s) drift from `fluxgen.yaml`\n\n{to_fix}\n\n");
    for drift in drifts {
        out.push_str(&format!("- {drift}\n"));
    }
    for drift in drifts.iter().filter(|d| !d.diff.is_empty()) {
        out.push_str(&format!(
            "\n<details><summary><code>{}</code></summary>\n\n```diff\n{}```\n\n</details>\n",
            drift.path.display(),
            drift.diff
        ));
    }
    out
}
