//! Shell completion: clap's dynamic completion (`COMPLETE=<shell> fluxgen`), which also
//! completes the cluster names of the config and the controllers its clusters run.
//!
//! The shell's registration script calls `fluxgen` back with `COMPLETE=<shell>` and the words
//! typed so far; [`complete`] answers that call and exits before anything else runs.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
use clap_complete::{CompleteEnv, Shell};
use fluxgen_core::{Component, Config, LoadOptions, Origin};

use crate::ExitStatus;
use crate::cli::Cli;

/// The variable the registration script sets when it asks for completions.
const VAR: &str = "COMPLETE";

/// Answers a completion request (`COMPLETE=<shell>` is set) and exits; otherwise returns.
pub(crate) fn complete() {
    CompleteEnv::with_factory(Cli::command).var(VAR).complete();
}

/// `fluxgen completions <shell>`: the registration script of the shell (the same as
/// `COMPLETE=<shell> fluxgen`), rendered in memory first.
pub(crate) fn script(shell: Shell, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Elvish => &Elvish,
        Shell::Fish => &Fish,
        Shell::PowerShell => &Powershell,
        Shell::Zsh => &Zsh,
        other => anyhow::bail!("no completion script for {other}"),
    };
    let mut script = Vec::new();
    completer.write_registration(VAR, "fluxgen", "fluxgen", "fluxgen", &mut script)?;
    out.write_all(&script)?;
    Ok(ExitStatus::Success)
}

/// The clusters of the config, for a cluster argument.
pub(crate) fn clusters(typed: &OsStr) -> Vec<CompletionCandidate> {
    let Some(config) = config() else {
        return Vec::new();
    };
    let typed = typed.to_string_lossy();
    config
        .clusters
        .values()
        .filter(|cluster| cluster.name.starts_with(typed.as_ref()))
        .map(|cluster| CompletionCandidate::new(&cluster.name).help(Some(format!("phase {}", cluster.phase).into())))
        .collect()
}

/// The controllers the config's clusters run (every Flux controller without a config), for
/// `--controller`.
pub(crate) fn controllers(typed: &OsStr) -> Vec<CompletionCandidate> {
    let mut run: Vec<Component> = match config() {
        Some(config) => config
            .clusters
            .values()
            .flat_map(|c| {
                c.settings
                    .instance
                    .components
                    .clone()
                    .unwrap_or_else(|| Component::DEFAULTS.to_vec())
            })
            .collect(),
        None => Component::ALL.to_vec(),
    };
    run.sort();
    run.dedup();
    let typed = typed.to_string_lossy();
    run.into_iter()
        .filter(|c| c.as_str().starts_with(typed.as_ref()))
        .map(|c| CompletionCandidate::new(c.as_str()))
        .collect()
}

/// The config the command line being completed names (`-c FILE`), else the nearest
/// fluxgen.yaml, else the built-in example; loaded without a word on stderr, and `None` when it
/// does not load (a completion never prints an error).
fn config() -> Option<Config> {
    let path = named_config(std::env::args_os()).or_else(|| {
        let cwd = std::env::current_dir().ok()?;
        cwd.ancestors()
            .map(|dir| dir.join(fluxgen_core::config::CONFIG_FILE_NAME))
            .find(|candidate| candidate.is_file())
    });
    let options = LoadOptions {
        allow_out_of_order: true,
    };
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(&path).ok()?;
            Config::from_yaml_with(&text, Origin::File(path), &options).ok()
        }
        None => Config::from_yaml_with(fluxgen_core::config::EXAMPLE_CONFIG, Origin::BuiltIn, &options).ok(),
    }
}

/// The value of `-c`/`--config` among the words being completed.
fn named_config(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let words: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut found = None;
    for (index, word) in words.iter().enumerate() {
        if word == "-c" || word == "--config" {
            found = words.get(index + 1).cloned();
        } else if let Some(value) = word.strip_prefix("--config=") {
            found = Some(value.to_owned());
        }
    }
    found.filter(|value| !value.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_found_among_the_words() {
        let words = |w: &[&str]| w.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            named_config(words(&["fluxgen", "--", "fluxgen", "-c", "a.yaml", "emit", ""])),
            Some(PathBuf::from("a.yaml"))
        );
        assert_eq!(
            named_config(words(&["fluxgen", "emit", "--config=b.yaml"])),
            Some(PathBuf::from("b.yaml"))
        );
        assert_eq!(named_config(words(&["fluxgen", "emit", ""])), None);
    }
}
