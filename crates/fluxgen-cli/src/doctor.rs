//! `fluxgen doctor`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use fluxgen_core::{Config, LoadOptions, Origin, config::CONFIG_FILE_NAME};

use crate::cli::{Cli, Color, DoctorArgs, DoctorFormat, GraphFormat};
use crate::{ExitStatus, config_file, diagnostics};

pub(crate) fn run(cli: &Cli, args: &DoctorArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    if let Some(repo) = &args.repo
        && !repo.is_dir()
    {
        anyhow::bail!("{} is not a directory", repo.display());
    }
    let path = config_file::find(cli, args.repo.as_deref())?;
    let repo = config_file::repository_root(args.repo.as_deref(), path.as_deref());
    let config = load_config(cli, path, args.repo.as_deref())?;
    let report =
        fluxgen_core::doctor(&repo, config.as_ref()).with_context(|| format!("cannot scan {}", repo.display()))?;
    let graph = args.graph == Some(GraphFormat::Mermaid);
    let text = match args.format {
        DoctorFormat::Text if graph => report.graph.mermaid(),
        DoctorFormat::Text => report.to_text(stdout_colored(cli.color)),
        DoctorFormat::Json => report.to_json(graph),
        DoctorFormat::Markdown => report.to_markdown(graph),
    };
    out.write_all(text.as_bytes())?;
    if report.has_errors() {
        Ok(ExitStatus::Failure)
    } else {
        Ok(ExitStatus::Success)
    }
}

/// The config [`config_file::find`] found; without one, doctor infers the phases (never the
/// built-in example: its clusters are not this repository's).
fn load_config(cli: &Cli, path: Option<PathBuf>, repo: Option<&Path>) -> anyhow::Result<Option<Config>> {
    let Some(path) = path else {
        match repo {
            Some(repo) => diagnostics::note(format_args!(
                "no {CONFIG_FILE_NAME} in {}: phases are inferred from the repository",
                repo.display()
            )),
            None => diagnostics::note(format_args!(
                "no {CONFIG_FILE_NAME} in . or a parent directory: phases are inferred from the repository"
            )),
        }
        return Ok(None);
    };
    let text = config_file::read_config(&path)?;
    let options = LoadOptions {
        allow_out_of_order: cli.allow_out_of_order,
    };
    Ok(Some(Config::from_yaml_with(&text, Origin::File(path), &options)?))
}

/// Whether the text report on stdout gets colour.
fn stdout_colored(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    }
}
