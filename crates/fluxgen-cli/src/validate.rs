//! `fluxgen validate`: the emitted objects against fluxgen's own rules for the kinds it emits,
//! and with `--crds DIR` against the openAPIV3Schema of the CRDs in DIR.
//!
//! stdout gets one line per broken rule, `<file>: <Kind>/<name>: <field>: <rule>` (a file path
//! as `emit --all` writes it), so CI logs and editors can jump to it; the summary goes to
//! stderr. Exit 1 when an object is invalid.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Context;
use fluxgen_core::{Error, crd::CrdCheck, crd::CrdSchemas, emit::tree_dir, plan};

use crate::cli::{Cli, ValidateArgs};
use crate::{ExitStatus, config_file, diagnostics};

pub(crate) fn run(cli: &Cli, args: &ValidateArgs, out: &mut impl Write) -> anyhow::Result<ExitStatus> {
    let loaded = config_file::load(cli)?;
    let config = &loaded.config;
    let crds = match &args.crds {
        Some(dir) => Some(CrdSchemas::load(dir).context("cannot use the CRD directory")?),
        None => None,
    };
    let names: Vec<String> = match &args.cluster {
        Some(name) => vec![name.clone()],
        None => config.clusters.keys().cloned().collect(),
    };
    let mut lines = Vec::new();
    let mut objects = 0;
    let mut uncovered = BTreeSet::new();
    for name in &names {
        let tree = match plan(config, name) {
            Ok(tree) => tree,
            // An object fluxgen would emit breaks one of its rules: a finding, not a failure.
            Err(Error::InvalidObject {
                cluster,
                kind,
                name: object,
                violations,
            }) => {
                for violation in violations {
                    lines.push(format!(
                        "cluster {cluster}: {kind}/{object}: {}: {}",
                        violation.field, violation.message
                    ));
                }
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let dir = tree_dir(&loaded.root, &tree.root);
        for (path, text) in &tree.files {
            objects += 1;
            let Some(crds) = &crds else { continue };
            let (object, check) = crds.check_file(text);
            let file = dir.join(path);
            match check {
                CrdCheck::Checked(violations) => {
                    for violation in violations {
                        lines.push(format!(
                            "{}: {object}: {}: {}",
                            file.display(),
                            violation.field,
                            violation.message
                        ));
                    }
                }
                CrdCheck::NoCrd => {
                    uncovered.insert(object.split('/').next().unwrap_or_default().to_owned());
                }
                CrdCheck::NotACustomResource => {}
            }
        }
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    let against = match (&args.crds, &crds) {
        (Some(dir), Some(crds)) => format!(
            "fluxgen's rules and the {} CRD version(s) in {}",
            crds.kinds().count(),
            dir.display()
        ),
        _ => "fluxgen's rules (give --crds DIR to check the CRD schemas too)".to_owned(),
    };
    if !uncovered.is_empty() {
        diagnostics::warning(format_args!(
            "no CRD in the directory serves {}: not checked against a schema",
            uncovered.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if lines.is_empty() {
        diagnostics::status(format_args!(
            "{objects} object(s) of {} cluster(s) are valid against {against}",
            names.len()
        ));
        Ok(ExitStatus::Success)
    } else {
        diagnostics::status(format_args!(
            "{} rule(s) broken in {} cluster(s), checked against {against}",
            lines.len(),
            names.len()
        ));
        Ok(ExitStatus::Failure)
    }
}
