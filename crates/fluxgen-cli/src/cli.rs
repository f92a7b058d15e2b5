//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::ArgValueCompleter;
use clap_complete::Shell;

use crate::completion;

/// Generate the Flux Operator app directories (flux-operator, flux-instance) for every cluster
/// of a GitOps repository, and carry its migration from `flux bootstrap`.
#[derive(Debug, Parser)]
#[command(name = "fluxgen", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    /// The config file, for the commands that read one (also accepted after the command).
    #[arg(short = 'c', long = "config", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) config: Option<PathBuf>,
    /// Accept a cluster at a later migration phase than one before it in `rollout`, for the
    /// commands that read a config (also accepted after the command).
    #[arg(long)]
    pub(crate) allow_out_of_order: bool,
    /// When to colour diagnostics (NO_COLOR is honoured).
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub(crate) color: Color,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The options of the commands that read `fluxgen.yaml`.
#[derive(Debug, Default, Args)]
pub(crate) struct ConfigArgs {
    /// The config file (default: fluxgen.yaml in this directory or a parent; else the built-in
    /// example).
    #[arg(short = 'c', long = "config", value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) config: Option<PathBuf>,
    /// Accept a cluster at a later migration phase than one before it in `rollout`.
    #[arg(long)]
    pub(crate) allow_out_of_order: bool,
}

impl Cli {
    /// Parses the command line: the config options given after a command that reads a config
    /// are moved up; given to a command that reads none, they are refused, not ignored.
    pub(crate) fn parse_checked() -> Result<Self, clap::Error> {
        let mut cli = Self::try_parse()?;
        let name = cli.command.name();
        match cli.command.config_args() {
            Some(own) => {
                if own.config.is_some() && cli.config.is_some() {
                    return Err(misplaced("`-c/--config` is given twice"));
                }
                cli.config = own.config.take().or(cli.config.take());
                cli.allow_out_of_order |= own.allow_out_of_order;
            }
            None if cli.config.is_some() => {
                return Err(misplaced(&format!(
                    "`-c/--config` does not apply to `fluxgen {name}`: it reads no config"
                )));
            }
            None if cli.allow_out_of_order => {
                return Err(misplaced(&format!(
                    "`--allow-out-of-order` does not apply to `fluxgen {name}`: it reads no config"
                )));
            }
            None => {}
        }
        Ok(cli)
    }
}

fn misplaced(message: &str) -> clap::Error {
    <Cli as clap::CommandFactory>::command().error(clap::error::ErrorKind::ArgumentConflict, message)
}

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print a cluster's files as one YAML stream, or write them with -o / --all.
    Emit(EmitArgs),
    /// Compare the committed files with what the config generates; exit 1 on drift.
    Check(CheckArgs),
    /// Validate the emitted objects against their schemas; exit 1 on an invalid object.
    Validate(ValidateArgs),
    /// Show what each Flux controller finally runs with after tuning, and what set each value.
    Explain(ExplainArgs),
    /// Print the migration runbook of a cluster's current phase, as Markdown.
    Plan(PlanArgs),
    /// Read a GOTK (flux bootstrap) repository and write a fluxgen.yaml that keeps what it runs.
    Import(ImportArgs),
    /// Find the migration's risks in a repository; exit 1 on findings at error level.
    Doctor(DoctorArgs),
    /// Write the built-in example as a starting fluxgen.yaml.
    Init(InitArgs),
    /// Print the JSON Schema of fluxgen.yaml (for editor completion).
    Schema,
    /// Print the shell's completion script (it completes cluster and controller names too).
    Completions {
        /// The shell.
        shell: Shell,
    },
}

impl Command {
    /// The subcommand's name, as typed.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Emit(_) => "emit",
            Command::Check(_) => "check",
            Command::Validate(_) => "validate",
            Command::Explain(_) => "explain",
            Command::Plan(_) => "plan",
            Command::Import(_) => "import",
            Command::Doctor(_) => "doctor",
            Command::Init(_) => "init",
            Command::Schema => "schema",
            Command::Completions { .. } => "completions",
        }
    }

    /// The config options of a command that reads a config.
    fn config_args(&mut self) -> Option<&mut ConfigArgs> {
        match self {
            Command::Emit(args) => Some(&mut args.config),
            Command::Check(args) => Some(&mut args.config),
            Command::Validate(args) => Some(&mut args.config),
            Command::Explain(args) => Some(&mut args.config),
            Command::Plan(args) => Some(&mut args.config),
            Command::Doctor(args) => Some(&mut args.config),
            Command::Import(_) | Command::Init(_) | Command::Schema | Command::Completions { .. } => None,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    override_usage = "fluxgen emit <CLUSTER> [-o <DIR>] [OPTIONS]\n       fluxgen emit --all [--root <DIR>] [OPTIONS]"
)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["cluster", "all"])))]
#[command(group(clap::ArgGroup::new("writes").args(["output", "all"])))]
pub(crate) struct EmitArgs {
    /// The cluster to emit (or --all).
    #[arg(add = ArgValueCompleter::new(completion::clusters))]
    pub(crate) cluster: Option<String>,
    /// Write the tree into DIR (e.g. kubernetes/edge/apps/flux-system) instead of printing it.
    #[arg(short = 'o', long = "output", value_name = "DIR", conflicts_with = "all", value_hint = ValueHint::DirPath)]
    pub(crate) output: Option<PathBuf>,
    /// Write every cluster under its configured path.
    #[arg(long, conflicts_with = "cluster")]
    pub(crate) all: bool,
    /// With --all: the repository root the paths are relative to (default: the config's
    /// directory, or the current directory for the built-in example).
    #[arg(long, value_name = "DIR", conflicts_with = "cluster", value_hint = ValueHint::DirPath)]
    pub(crate) root: Option<PathBuf>,
    /// When writing: flush the files to disk before renaming them into place, so that a power
    /// cut too leaves every file old or new (by default a killed run does; after a power cut the
    /// next run restores any file left empty).
    #[arg(long, requires = "writes")]
    pub(crate) durable: bool,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

#[derive(Debug, Args)]
#[command(override_usage = "fluxgen check <CLUSTER|--all> [OPTIONS]")]
#[command(group(clap::ArgGroup::new("target").required(true).args(["cluster", "all"])))]
pub(crate) struct CheckArgs {
    /// The cluster to check (or --all).
    #[arg(add = ArgValueCompleter::new(completion::clusters))]
    pub(crate) cluster: Option<String>,
    /// Check every cluster.
    #[arg(long, conflicts_with = "cluster")]
    pub(crate) all: bool,
    /// The repository root the paths are relative to (default: the config's directory).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) root: Option<PathBuf>,
    /// Output format: unified diffs, or a Markdown pull-request comment.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub(crate) format: CheckFormat,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

#[derive(Debug, Args)]
#[command(override_usage = "fluxgen validate <CLUSTER|--all> [--crds <DIR>] [OPTIONS]")]
#[command(group(clap::ArgGroup::new("target").required(true).args(["cluster", "all"])))]
pub(crate) struct ValidateArgs {
    /// The cluster to validate (or --all).
    #[arg(add = ArgValueCompleter::new(completion::clusters))]
    pub(crate) cluster: Option<String>,
    /// Validate every cluster.
    #[arg(long, conflicts_with = "cluster")]
    pub(crate) all: bool,
    /// Validate against the CustomResourceDefinitions in DIR (their openAPIV3Schema), on top of
    /// fluxgen's own rules for the kinds it emits.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) crds: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

/// How `check` reports drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// Unified diffs.
    Text,
    /// A Markdown comment for a pull request.
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The cluster.
    #[arg(add = ArgValueCompleter::new(completion::clusters))]
    pub(crate) cluster: String,
    /// Only this controller, e.g. kustomize-controller.
    #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(completion::controllers))]
    pub(crate) controller: Option<fluxgen_core::Component>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Table)]
    pub(crate) output: ExplainFormat,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

/// How `explain` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExplainFormat {
    /// Aligned text for people.
    Table,
    /// JSON for tools.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The cluster.
    #[arg(add = ArgValueCompleter::new(completion::clusters))]
    pub(crate) cluster: String,
    /// The repository, with its fluxgen.yaml (default: the directory of the nearest
    /// fluxgen.yaml, from the current directory up).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) repo: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the config.
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = "fluxgen.yaml")]
    pub(crate) output: PathBuf,
    /// The repository's layout: home-ops (`kubernetes/<cluster>/...`, a dedicated sync
    /// directory) or flux-bootstrap (`clusters/<cluster>/flux-system/gotk-*.yaml`, the sync
    /// adopts `flux-system` in place).
    #[arg(long, value_enum, default_value_t = Layout::HomeOps)]
    pub(crate) layout: Layout,
}

/// The layouts `fluxgen init` starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Layout {
    /// onedr0p/home-ops: `kubernetes/<cluster>/apps/flux-system`, a dedicated sync directory.
    HomeOps,
    /// What `flux bootstrap` writes: `clusters/<cluster>/flux-system/gotk-*.yaml`.
    FluxBootstrap,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The repository to read.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Where to write the config, `-` for stdout (default: fluxgen.yaml at the repository's root).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Import even when some files cannot be read: list them as warnings and leave out what they
    /// hold.
    ///
    /// Without it, a repository with files that cannot be read (malformed YAML, not UTF-8,
    /// binary, over 16 MiB, a symbolic-link loop, a Flux field of the wrong type) is refused,
    /// each file at its line and column, and nothing is written.
    #[arg(long)]
    pub(crate) skip_unreadable: bool,
    /// The cluster's name in a single-cluster repository (kubernetes/bootstrap, kubernetes/flux).
    #[arg(long, value_name = "NAME", default_value = "main")]
    pub(crate) cluster_name: String,
    /// The Git URL the clusters sync from, where the repository does not say (a placeholder
    /// gotk-sync.yaml); otherwise the checkout's `origin` remote is used.
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The repository to check, with its fluxgen.yaml (default: the directory of the nearest
    /// fluxgen.yaml, from the current directory up; else the current directory).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub(crate) repo: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub(crate) format: DoctorFormat,
    /// Also draw the Kustomization ownership graph (with --format text: only the graph).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) graph: Option<GraphFormat>,
    #[command(flatten)]
    pub(crate) config: ConfigArgs,
}

/// How `doctor` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum DoctorFormat {
    /// Grouped by cluster and severity, for people.
    Text,
    /// JSON, for tools.
    Json,
    /// A Markdown pull-request comment.
    Markdown,
}

/// How `doctor --graph` draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub and GitLab).
    Mermaid,
}
