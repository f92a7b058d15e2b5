//! `fluxgen import`: scan a GOTK repository, write the fluxgen.yaml that keeps what it runs,
//! and print the report on stderr. A repository with files that cannot be read is refused,
//! every such file listed at its position, unless `--skip-unreadable` lets them pass as
//! warnings.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fluxgen_core::scan::{Note, NoteKind};
use fluxgen_core::{Config, ImportOptions, Origin, Phase, config::CONFIG_FILE_NAME, import, import::ImportError, scan};

use crate::cli::ImportArgs;
use crate::{ExitStatus, diagnostics};

pub(crate) fn run(args: &ImportArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let repository = scan(&args.repo).with_context(|| format!("cannot scan the repository {}", args.repo.display()))?;
    let options = ImportOptions {
        single_cluster_name: args.cluster_name.clone(),
        skip_unreadable: args.skip_unreadable,
        repository_url: args.url.clone(),
    };
    let imported = match import(&repository, &options) {
        Err(refused @ ImportError::Unreadable { .. }) => bail!(
            "{refused}\nnothing was written: fix these files, or run again with --skip-unreadable to import without \
             them"
        ),
        result => {
            report_notes(&repository.notes);
            result?
        }
    };
    // The config must load as written: anything else is fluxgen's mistake (every value taken
    // from the repository is checked above), and nothing is written.
    let output = args.output.clone().unwrap_or_else(|| args.repo.join(CONFIG_FILE_NAME));
    let origin = Origin::File(output.clone());
    Config::from_yaml(&imported.text, origin)
        .context("the imported config does not load (a fluxgen bug): not written")?;
    diagnostics::status(imported.report.to_string().trim_end());
    if output == Path::new("-") {
        out.write_all(imported.text.as_bytes())
            .context("cannot write to stdout")?;
        return Ok(ExitStatus::Success);
    }
    write(&output, &imported.text, args.force)?;
    let next = imported
        .config
        .rollout
        .iter()
        .find(|name| imported.config.clusters[*name].phase != Phase::Complete);
    diagnostics::status(format_args!(
        "\nwrote {} ({} cluster(s), rollout: {}){}",
        output.display(),
        imported.config.clusters.len(),
        imported.config.rollout.join(", "),
        next.map_or_else(String::new, |name| format!("; next: `fluxgen plan {name}`"))
    ));
    Ok(ExitStatus::Success)
}

/// Notes that matter for an import: files that could not be read (let pass with
/// `--skip-unreadable`) as warnings, each; links not followed, each; templates and kustomize
/// paths that do not exist, counted.
fn report_notes(notes: &[Note]) {
    let (mut templates, mut missing, mut skipped) = (0, 0, BTreeSet::new());
    for note in notes {
        match note.kind {
            NoteKind::Template => templates += 1,
            NoteKind::MissingPath => missing += 1,
            kind if kind.loses_content() => {
                diagnostics::warning(note);
                skipped.insert(&note.file);
            }
            _ => diagnostics::note(note),
        }
    }
    if !skipped.is_empty() {
        diagnostics::warning(format_args!(
            "{} file(s) could not be read and were skipped (--skip-unreadable): what they hold is not in the \
             imported config",
            skipped.len()
        ));
    }
    if templates > 0 {
        diagnostics::note(format_args!("{templates} template file(s) were skipped while scanning"));
    }
    if missing > 0 {
        diagnostics::note(format_args!(
            "{missing} kustomize path(s) listed in a kustomization.yaml do not exist in the repository"
        ));
    }
}

/// Writes the config atomically, never over an existing file unless `force`.
fn write(path: &PathBuf, text: &str, force: bool) -> anyhow::Result<()> {
    if let Ok(meta) = fs::symlink_metadata(path)
        && !force
    {
        if meta.file_type().is_symlink() && fs::metadata(path).is_err() {
            bail!(
                "{} is a symbolic link to a file that does not exist: fluxgen import never replaces it (remove the \
                 link, use --force to replace the link itself, or -o another path)",
                path.display()
            );
        }
        bail!(
            "{} already exists: fluxgen import never overwrites a file (use --force, or -o another path)",
            path.display()
        );
    }
    fluxgen_core::config::write_config_file(path, text, force).map_err(|error| match &error {
        fluxgen_core::Error::Write { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::anyhow!(
                "{} already exists: fluxgen import never overwrites a file (use --force, or -o another path)",
                path.display()
            )
        }
        _ => error.into(),
    })
}
