//! `fluxgen check`.

use std::io::Write;

use std::collections::BTreeSet;

use fluxgen_core::{Drift, check_clusters};

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
    let regenerate = match &args.cluster {
        // Checked above: the cluster exists. Its directory relative to the repository root, as
        // every path fluxgen prints.
        Some(name) => format!(
            "fluxgen emit {name} -o {}",
            config.cluster(name).map_or("", |c| &c.settings.path)
        ),
        None => "fluxgen emit --all".to_owned(),
    };
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
        diagnostics::status(format_args!(
            "{files} file(s) drift from the config: run `{regenerate}`"
        ));
        Ok(ExitStatus::Failure)
    }
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
    let mut out = format!(
        "### fluxgen check: {files} file(s) drift from `fluxgen.yaml`\n\nRegenerate with `{regenerate}` and commit the result.\n\n"
    );
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
