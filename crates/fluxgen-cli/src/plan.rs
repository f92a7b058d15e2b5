//! `fluxgen plan`.

use std::io::Write;

use fluxgen_core::runbook;

use crate::ExitStatus;
use crate::cli::{Cli, PlanArgs};
use crate::config_file;

pub(crate) fn run(cli: &Cli, args: &PlanArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load_for(cli, args.repo.as_deref())?;
    let text = runbook(&loaded.config, &args.cluster, &loaded.root)?;
    out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
