//! `fluxgen explain`.

use std::io::Write;

use anyhow::Context;
use fluxgen_core::{Explanation, explain, explain::EffectiveValue};

use crate::ExitStatus;
use crate::cli::{Cli, ExplainArgs, ExplainFormat};
use crate::config_file;

pub(crate) fn run(cli: &Cli, args: &ExplainArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let mut explanation = explain(&loaded.config, &args.cluster)?;
    if let Some(controller) = args.controller {
        explanation.controllers.retain(|r| r.controller == controller);
        if explanation.controllers.is_empty() {
            anyhow::bail!(
                "cluster `{}` does not run {controller} (see `instance.components`)",
                args.cluster
            );
        }
    }
    let text = match args.output {
        ExplainFormat::Json => serde_json::to_string_pretty(&explanation).context("cannot render JSON")? + "\n",
        ExplainFormat::Table => table(&explanation),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// A header (the Flux release used, the operator profiles, notes), then sections per
/// controller, values aligned, the setter of each value on its right.
fn table(explanation: &Explanation) -> String {
    let flux = &explanation.flux;
    let mut out = format!(
        "Flux {} manifests (distribution.version: {}",
        flux.manifests, flux.requested
    );
    match &flux.runs {
        Some(runs) if *runs != flux.manifests => out.push_str(&format!(", runs {runs})\n")),
        _ => out.push_str(")\n"),
    }
    for profile in &explanation.profiles {
        out.push_str(&format!("operator profile {profile}\n"));
    }
    for note in &explanation.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    for report in &explanation.controllers {
        out.push('\n');
        out.push_str(&format!("{} {}\n", report.deployment, report.version));
        let args: Vec<(String, String)> = report
            .args
            .iter()
            .map(|arg| {
                let shown = if arg.value.is_empty() {
                    arg.flag.clone()
                } else {
                    format!("{}={}", arg.flag, arg.value)
                };
                let mut setter = arg.set_by.clone();
                for earlier in &arg.overrides {
                    setter.push_str(&format!("; overrides {} from {}", earlier.value, earlier.set_by));
                }
                (shown, setter)
            })
            .collect();
        section(&mut out, "args", &args);
        let pairs = |values: &[EffectiveValue], joiner: &str| -> Vec<(String, String)> {
            values
                .iter()
                .map(|v| (format!("{}{joiner}{}", v.name, v.value), v.set_by.clone()))
                .collect()
        };
        section(&mut out, "feature gates", &pairs(&report.feature_gates, "="));
        section(&mut out, "resources", &pairs(&report.resources, ": "));
        section(&mut out, "volumes", &pairs(&report.volumes, ": "));
    }
    if !explanation.raw_patches.is_empty() {
        out.push_str("\nraw patches (tuning.patches, applied last, in this order)\n");
        for (index, patch) in explanation.raw_patches.iter().enumerate() {
            out.push_str(&format!("  patch #{}\n", index + 1));
            for line in patch.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out
}

fn section(out: &mut String, title: &str, rows: &[(String, String)]) {
    if rows.is_empty() {
        return;
    }
    out.push_str(&format!("  {title}\n"));
    let width = rows.iter().map(|(value, _)| value.len()).max().unwrap_or(0);
    for (value, setter) in rows {
        out.push_str(&format!("    {value:<width$}  {setter}\n"));
    }
}
