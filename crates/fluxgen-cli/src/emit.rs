//! `fluxgen emit`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use fluxgen_core::scan::check_sync;
use fluxgen_core::{
    Config, Durability, Phase, Tree, WriteReport, emit::IndexFile, emit::tree_dir, plan, write_clusters_with,
    write_with,
};

use crate::cli::{Cli, EmitArgs};
use crate::config_file::{self, normalized, shown};
use crate::{ExitStatus, diagnostics};

pub(crate) fn run(cli: &Cli, args: &EmitArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let config = &loaded.config;
    let durability = if args.durable {
        Durability::Flushed
    } else {
        Durability::Renamed
    };
    if args.all {
        let names: Vec<String> = config.clusters.keys().cloned().collect();
        check_sync(config, &names, loaded.root(args.root.as_deref()))?;
        let root = loaded.root(args.root.as_deref());
        let report = write_clusters_with(config, &names, root, durability)?;
        let status = print_report(&report, root);
        let skipped: Vec<&str> = config
            .clusters
            .values()
            .filter(|c| c.phase == Phase::Prepare)
            .map(|c| c.name.as_str())
            .collect();
        if !skipped.is_empty() {
            diagnostics::note(format_args!(
                "skipped {} at phase `prepare` (nothing to emit yet): {}",
                if skipped.len() == 1 { "1 cluster" } else { "clusters" },
                skipped.join(", ")
            ));
        }
        return Ok(status);
    }
    let Some(name) = args.cluster.as_deref() else {
        anyhow::bail!("name a cluster or give --all");
    };
    let tree = plan(config, name)?;
    check_sync(config, &[name.to_owned()], &loaded.root)?;
    let phase = config.cluster(name).map(|c| c.phase).unwrap_or_default();
    if phase == Phase::Prepare {
        diagnostics::note(format_args!(
            "cluster `{name}` is at phase `prepare`: there is nothing to emit yet (set `phase: operator` to install the operator)"
        ));
    }
    match &args.output {
        Some(dir) => {
            warn_other_cluster(config, &loaded.root, name, &tree.root, dir);
            let trees = [(dir.clone(), tree)];
            let mut report = write_with(&trees, durability)?;
            // The library's hints of lines to add name the files below DIR as given; said
            // below relative to the repository root instead, as every path. Lines to remove
            // are said as they are.
            report.hints.retain(|hint| hint.starts_with("remove"));
            let status = print_report(&report, &loaded.root);
            note_index_lines(&trees[0].1, dir, &loaded.root);
            Ok(status)
        }
        None => {
            out.write_all(tree.stream().as_bytes())
                .context("cannot write to stdout")?;
            note_index_lines(&tree, &tree_dir(&loaded.root, &tree.root), &loaded.root);
            Ok(ExitStatus::Success)
        }
    }
}

/// After printing the stream or writing to `dir`: the lines the namespace `kustomization.yaml`
/// of `dir` still lacks (none when it lists both `ks.yaml` already), its path relative to the
/// repository root `root`.
fn note_index_lines(tree: &Tree, dir: &Path, root: &Path) {
    if tree.index.entries.is_empty() {
        return;
    }
    let path = dir.join(IndexFile::PATH);
    let missing = match IndexFile::read_at(&path) {
        Some(text) => tree.index.missing_from(&text),
        None => tree.index.entries.clone(),
    };
    if missing.is_empty() {
        return;
    }
    let lines: Vec<String> = missing.iter().map(|line| format!("`  - {line}`")).collect();
    if path.exists() {
        diagnostics::note(format_args!(
            "add {} to the resources of {}",
            lines.join(" and "),
            shown(&path, root).display()
        ));
    } else {
        diagnostics::note(format_args!(
            "{} does not exist: it must list {} (`fluxgen emit {} -o {}` writes it)",
            shown(&path, root).display(),
            missing.join(" and "),
            tree.cluster,
            shown(dir, root).display()
        ));
    }
}

/// Warns when `-o DIR` is another cluster's directory: the tree's `ks.yaml` files point at
/// this cluster's paths, not at DIR.
fn warn_other_cluster(config: &Config, root: &Path, name: &str, own: &str, dir: &Path) {
    let target = normalized(dir);
    if target == normalized(&tree_dir(root, own)) {
        return;
    }
    for other in config.clusters.values().filter(|c| c.name != name) {
        let theirs = normalized(&tree_dir(root, &other.settings.path));
        if target.starts_with(&theirs) || theirs.starts_with(&target) {
            diagnostics::warning(format_args!(
                "{} is the directory of cluster `{}`, but the files written there are cluster `{name}`'s: \
                 its ks.yaml files point at ./{own}/...; write them to {own} instead",
                shown(dir, root).display(),
                other.name,
            ));
            return;
        }
    }
}

/// The report on stderr, paths relative to the repository root `root`.
fn print_report(report: &WriteReport, root: &Path) -> ExitStatus {
    // One write to stderr for the whole list (a thousand clusters are eleven thousand lines).
    let mut lines = String::new();
    for path in &report.written {
        lines.push_str("wrote ");
        lines.push_str(&shown(path, root).to_string_lossy());
        lines.push('\n');
    }
    for path in &report.removed {
        lines.push_str("removed ");
        lines.push_str(&shown(path, root).to_string_lossy());
        lines.push_str(" (no longer generated)\n");
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
