//! Finding and loading fluxgen.yaml; `init` and `schema`.

use std::borrow::Cow;
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use fluxgen_core::{
    Config, LoadOptions, Origin, config::CONFIG_FILE_NAME, config::EXAMPLE_BOOTSTRAP_CONFIG, config::EXAMPLE_CONFIG,
};

use crate::cli::{Cli, InitArgs, Layout};
use crate::{ExitStatus, diagnostics};

/// A loaded config and the directory its relative paths start from.
pub(crate) struct Loaded {
    pub(crate) config: Config,
    pub(crate) root: PathBuf,
}

impl Loaded {
    /// The repository root the clusters' paths start from: `root` when given, else the
    /// config's directory.
    pub(crate) fn root<'a>(&'a self, root: Option<&'a Path>) -> &'a Path {
        root.unwrap_or(&self.root)
    }
}

/// How fluxgen prints a path: relative to the repository root `root` (the config's directory, or
/// `--root`) when it is below it, however either is spelled (`.`, `..`, absolute, a file found
/// from a subdirectory); elsewhere as given. A reviewer reads the same path whichever way the
/// config was found.
pub(crate) fn shown<'a>(path: &'a Path, root: &Path) -> Cow<'a, Path> {
    // The common case, with no need to ask for the working directory: a plain relative path
    // below the working directory as the root (`emit --all` writes eleven thousand of them).
    if (root == Path::new(".") || root.as_os_str().is_empty())
        && path.components().all(|c| matches!(c, Component::Normal(_)))
        && !path.as_os_str().is_empty()
    {
        return path.into();
    }
    if let Ok(relative) = path.strip_prefix(root)
        && !relative.as_os_str().is_empty()
    {
        return relative.into();
    }
    match normalized(path).strip_prefix(normalized(root)) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf().into(),
        _ => path.into(),
    }
}

/// An absolute path without `.` and `..` components (the path need not exist).
pub(crate) fn normalized(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Loads `-c FILE`, else the nearest fluxgen.yaml, else the built-in example (said on stderr).
pub(crate) fn load(cli: &Cli) -> anyhow::Result<Loaded> {
    load_for(cli, None)
}

/// The config of a repository, the same way in every command: `-c FILE`; else, with `--repo
/// DIR`, the fluxgen.yaml of DIR (none when DIR has none); else the nearest fluxgen.yaml from
/// the current directory up.
pub(crate) fn find(cli: &Cli, repo: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    match (&cli.config, repo) {
        (Some(path), _) => Ok(Some(path.clone())),
        (None, Some(repo)) => Ok(Some(repo.join(CONFIG_FILE_NAME)).filter(|path| path.is_file())),
        (None, None) => find_upwards(),
    }
}

/// The repository root, the same way in every command: `--repo DIR`, else the directory of
/// the config (`config`), else the current directory.
pub(crate) fn repository_root(repo: Option<&Path>, config: Option<&Path>) -> PathBuf {
    let config_dir = config.and_then(Path::parent).filter(|dir| !dir.as_os_str().is_empty());
    let root = repo
        .or(config_dir)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    // The current directory, found from it: said as `.`, as given.
    let here = std::env::current_dir().ok();
    if repo.is_none() && here.is_some_and(|here| here == root) {
        return PathBuf::from(".");
    }
    root
}

/// [`load`] for a command given `--repo`: the config [`find`] finds (the built-in example
/// without one), and the root [`repository_root`] says.
pub(crate) fn load_for(cli: &Cli, repo: Option<&Path>) -> anyhow::Result<Loaded> {
    let options = LoadOptions {
        allow_out_of_order: cli.allow_out_of_order,
    };
    let path = find(cli, repo)?;
    let Some(path) = path else {
        diagnostics::note(format_args!(
            "no {CONFIG_FILE_NAME} here or in a parent directory: using the built-in example (`fluxgen init` writes it)"
        ));
        return Ok(Loaded {
            config: Config::from_yaml_with(EXAMPLE_CONFIG, Origin::BuiltIn, &options)?,
            root: PathBuf::from("."),
        });
    };
    let text = read_config(&path)?;
    let config = Config::from_yaml_with(&text, Origin::File(path.clone()), &options)?;
    let root = repository_root(repo, Some(&path));
    Ok(Loaded { config, root })
}

/// The largest config file fluxgen reads (a config is a few kilobytes; this stops `-c
/// /dev/zero` or a stray dump from exhausting memory).
const MAX_CONFIG_BYTES: u64 = 64 << 20;

/// Reads a config file as UTF-8 text; an invalid byte is reported at its line and column.
pub(crate) fn read_config(path: &Path) -> anyhow::Result<String> {
    let file = fs::File::open(path).with_context(|| format!("cannot read the config file {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        bail!(
            "{}: the config is larger than {} MiB: refused",
            path.display(),
            MAX_CONFIG_BYTES >> 20
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        let byte = e.as_bytes()[valid.len()];
        anyhow::anyhow!(
            "{}:{line}:{column}: the config is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
            path.display()
        )
    })
}

fn find_upwards() -> anyhow::Result<Option<PathBuf>> {
    let start = std::env::current_dir().context("cannot read the current directory")?;
    Ok(start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file()))
}

/// `fluxgen init`: writes the example, never over an existing file.
pub(crate) fn init(args: &InitArgs) -> anyhow::Result<ExitStatus> {
    let exists = || {
        anyhow::anyhow!(
            "{} already exists: fluxgen init never overwrites a file",
            args.output.display()
        )
    };
    if fs::symlink_metadata(&args.output).is_ok() {
        return Err(exists());
    }
    let example = match args.layout {
        Layout::HomeOps => EXAMPLE_CONFIG,
        Layout::FluxBootstrap => EXAMPLE_BOOTSTRAP_CONFIG,
    };
    fluxgen_core::config::write_config_file(&args.output, example, false).map_err(|error| match &error {
        fluxgen_core::Error::Write { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => exists(),
        _ => error.into(),
    })?;
    diagnostics::status(format_args!(
        "wrote {}: edit `repository` and `clusters`, then run `fluxgen emit <cluster>`",
        args.output.display()
    ));
    Ok(ExitStatus::Success)
}

/// `fluxgen schema`.
pub(crate) fn schema(out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let text =
        serde_json::to_string_pretty(&fluxgen_core::config::config_schema()).context("cannot render the schema")?;
    writeln!(out, "{text}")?;
    Ok(ExitStatus::Success)
}
