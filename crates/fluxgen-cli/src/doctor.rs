//! `fluxgen doctor`.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use fluxgen_core::{CONFIG_FILE_NAME, Config, LoadOptions, Origin};

use crate::cli::{Cli, Color, DoctorArgs, DoctorFormat, GraphFormat};
use crate::{ExitStatus, diagnostics};

pub(crate) fn run(cli: &Cli, args: &DoctorArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    if !args.repo.is_dir() {
        anyhow::bail!("{} is not a directory", args.repo.display());
    }
    let config = load_config(cli, &args.repo)?;
    let report = fluxgen_core::doctor(&args.repo, config.as_ref())
        .with_context(|| format!("cannot scan {}", args.repo.display()))?;
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

/// `-c FILE`, else the nearest fluxgen.yaml in the repository or a parent of it; without one,
/// doctor infers the phases (never the built-in example: its clusters are not this repository's).
fn load_config(cli: &Cli, repo: &Path) -> anyhow::Result<Option<Config>> {
    let path = match &cli.config {
        Some(path) => path.clone(),
        None => match find_upwards(repo) {
            Some(path) => path,
            None => {
                diagnostics::note(format_args!(
                    "no {CONFIG_FILE_NAME} in {} or a parent directory: phases are inferred from the repository",
                    repo.display()
                ));
                return Ok(None);
            }
        },
    };
    let bytes = fs::read(&path).with_context(|| format!("cannot read the config file {}", path.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{}: the config is not UTF-8 text", path.display()))?;
    let options = LoadOptions {
        allow_out_of_order: cli.allow_out_of_order,
    };
    Ok(Some(Config::from_yaml_with(&text, Origin::File(path), &options)?))
}

fn find_upwards(repo: &Path) -> Option<PathBuf> {
    let start = fs::canonicalize(repo).ok()?;
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Whether the text report on stdout gets colour.
fn stdout_colored(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
    }
}
