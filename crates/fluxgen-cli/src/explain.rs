//! `fluxgen explain`.

use std::io::Write;

use anyhow::Context;
use fluxgen_core::{ControllerReport, EffectiveValue, explain};

use crate::ExitStatus;
use crate::cli::{Cli, ExplainArgs, ExplainFormat};
use crate::config_file;

pub(crate) fn run(cli: &Cli, args: &ExplainArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let mut reports = explain(&loaded.config, &args.cluster)?;
    if let Some(controller) = args.controller {
        reports.retain(|r| r.controller == controller);
        if reports.is_empty() {
            anyhow::bail!(
                "cluster `{}` does not run {controller} (see `instance.components`)",
                args.cluster
            );
        }
    }
    let text = match args.output {
        ExplainFormat::Json => serde_json::to_string_pretty(&reports).context("cannot render JSON")? + "\n",
        ExplainFormat::Table => table(&reports),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// Sections per controller, values aligned, the setter of each value on its right.
fn table(reports: &[ControllerReport]) -> String {
    let mut out = String::new();
    for (index, report) in reports.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{}\n", report.controller));
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
