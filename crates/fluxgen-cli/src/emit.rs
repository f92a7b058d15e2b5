//! `fluxgen emit`.

use std::io::Write;

use anyhow::Context;
use fluxgen_core::scan::check_sync;
use fluxgen_core::{Phase, WriteReport, plan, write, write_clusters};

use crate::cli::{Cli, EmitArgs};
use crate::config_file;
use crate::{ExitStatus, diagnostics};

pub(crate) fn run(cli: &Cli, args: &EmitArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let config = &loaded.config;
    if args.all {
        let names: Vec<String> = config.clusters.keys().cloned().collect();
        check_sync(config, &names, loaded.root(args.root.as_deref()))?;
        let report = write_clusters(config, &names, loaded.root(args.root.as_deref()))?;
        return Ok(print_report(&report));
    }
    let name = args.cluster.as_deref().expect("clap requires a cluster without --all");
    let tree = plan(config, name)?;
    check_sync(config, &[name.to_owned()], &loaded.root)?;
    let phase = config.cluster(name).map(|c| c.phase).unwrap_or_default();
    if phase == Phase::Prepare {
        diagnostics::note(format_args!(
            "cluster `{name}` is at phase `prepare`: there is nothing to emit yet (set `phase: operator` to install the operator)"
        ));
    }
    match &args.output {
        Some(dir) => Ok(print_report(&write(&[(dir.clone(), tree)])?)),
        None => {
            out.write_all(tree.stream().as_bytes())
                .context("cannot write to stdout")?;
            if !tree.index.entries.is_empty() {
                diagnostics::note(format_args!(
                    "{}/kustomization.yaml must list {}",
                    tree.root,
                    tree.index.entries.join(" and ")
                ));
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn print_report(report: &WriteReport) -> ExitStatus {
    // One write to stderr for the whole list (a thousand clusters are eleven thousand lines).
    let mut lines = String::new();
    for path in &report.written {
        lines.push_str(&format!("wrote {}\n", path.display()));
    }
    for path in &report.removed {
        lines.push_str(&format!("removed {} (no longer generated)\n", path.display()));
    }
    if !report.cleaned.is_empty() {
        lines.push_str(&format!(
            "removed {} temporary file(s) an interrupted run left behind\n",
            report.cleaned.len()
        ));
    }
    if !lines.is_empty() {
        diagnostics::status(lines.trim_end());
    }
    for hint in &report.hints {
        diagnostics::note(hint);
    }
    diagnostics::status(format_args!(
        "{} written, {} unchanged, {} removed",
        report.written.len(),
        report.unchanged.len(),
        report.removed.len()
    ));
    ExitStatus::Success
}
