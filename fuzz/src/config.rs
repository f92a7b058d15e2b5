//! The config target: any text through [`Config::from_yaml`], and every accepted config
//! through planning, explaining and the stream.

use std::path::Path;

use fluxgen_core::{Config, ConfigErrors, LoadOptions, Origin, emit::is_generated, explain, plan, runbook};

use crate::signature;

/// Runs the config target on `data` (bytes that are not UTF-8 are replaced, as a text editor
/// would show them: the CLI refuses such a file before parsing it).
pub fn run(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let strict = load(&text, &LoadOptions::default());
    let lenient = load(
        &text,
        &LoadOptions {
            allow_out_of_order: true,
        },
    );
    signature((strict, lenient))
}

/// Loads `text` and checks the properties; returns a summary of the outcome.
pub fn load(text: &str, options: &LoadOptions) -> Vec<String> {
    match Config::from_yaml_with(text, Origin::File("fuzz.yaml".into()), options) {
        Err(errors) => refused(&errors),
        Ok(config) => accepted(&config),
    }
}

/// A refusal lists errors, each located; the outcome is the kind of each error.
fn refused(errors: &ConfigErrors) -> Vec<String> {
    assert!(!errors.errors.is_empty(), "a refusal without an error: {errors:?}");
    for error in &errors.errors {
        assert!(
            error.at.line > 0 && error.at.column > 0,
            "an unlocated error: {error:?}"
        );
    }
    let _ = errors.to_string();
    let mut shapes: Vec<String> = errors
        .errors
        .iter()
        .map(|e| {
            // The shape of the message: its first words, without the values the input chose.
            e.message
                .split('`')
                .step_by(2)
                .collect::<Vec<_>>()
                .concat()
                .split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    shapes.sort();
    shapes.dedup();
    shapes
}

/// An accepted config plans, explains and streams every cluster without a panic; every
/// planned file is YAML with fluxgen's marker.
fn accepted(config: &Config) -> Vec<String> {
    let mut outcome = vec!["accepted".to_owned()];
    for name in config.clusters.keys() {
        match plan(config, name) {
            Ok(tree) => {
                for (path, content) in &tree.files {
                    assert!(is_generated(content), "{name}: {path} has no marker:\n{content}");
                    if let Err(error) = serde_saphyr::from_str::<serde_json::Value>(content) {
                        panic!("{name}: {path} is not YAML ({error}):\n{content}");
                    }
                }
                let _ = tree.stream();
                let _ = tree.listing();
                outcome.push(format!("{} files", tree.files.len()));
            }
            Err(error) => outcome.push(format!("plan error {}", error.to_string().len().min(1))),
        }
        match explain(config, name) {
            Ok(reports) => outcome.push(format!("{} controllers", reports.controllers.len())),
            Err(_) => outcome.push("explain error".to_owned()),
        }
        // The runbook of a repository that is not there: every template, no findings.
        let _ = runbook(config, name, Path::new("/nonexistent/fluxgen-fuzz"));
    }
    outcome
}
