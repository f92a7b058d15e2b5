//! `fluxgen`: Flux Operator app directories for every cluster of a GitOps repository.

mod check;
mod cli;
mod completion;
mod config_file;
mod diagnostics;
mod doctor;
mod emit;
mod explain;
mod import;
mod plan;
mod validate;

use std::io::{self, Write};
use std::process::ExitCode;

use cli::{Cli, Command};

/// Exit statuses: 0 ok, 1 drift or findings, 2 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Everything went as asked.
    Success,
    /// The command ran and found drift or findings.
    Failure,
    /// The command could not do what was asked.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    completion::complete();
    let cli = match Cli::parse_checked() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    diagnostics::init(cli.color);
    let mut stdout = io::stdout().lock();
    let result = match &cli.command {
        Command::Emit(args) => emit::run(&cli, args, &mut stdout),
        Command::Check(args) => check::run(&cli, args, &mut stdout),
        Command::Validate(args) => validate::run(&cli, args, &mut stdout),
        Command::Explain(args) => explain::run(&cli, args, &mut stdout),
        Command::Plan(args) => plan::run(&cli, args, &mut stdout),
        Command::Import(args) => import::run(args, &mut stdout),
        Command::Doctor(args) => doctor::run(&cli, args, &mut stdout),
        Command::Init(args) => config_file::init(args),
        Command::Schema => config_file::schema(&mut stdout),
        Command::Completions { shell } => completion::script(*shell, &mut stdout),
    };
    let _ = stdout.flush();
    match result {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            diagnostics::error(&error);
            ExitStatus::Error.into()
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
