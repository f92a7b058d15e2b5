//! Bad configs: every fixture in `tests/config_errors/` must be refused with located errors
//! (file, line, column, key path), all of them in one run, and no secret value in the message.

use std::path::Path;

use fluxgen_core::{Config, Origin};

#[test]
fn every_bad_config_is_refused_with_located_errors() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots/config-errors"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        // Only below `config_errors/`: other fixture trees hold dangling links on purpose.
        insta::glob!("config_errors", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let errors =
                Config::from_yaml(&text, Origin::File(name.clone().into())).expect_err("a bad config must be refused");
            assert!(!errors.errors.is_empty());
            for error in &errors.errors {
                assert!(
                    error.at.line > 0 && error.at.column > 0,
                    "{name}: unlocated error {error:?}"
                );
            }
            let message = errors.to_string();
            assert!(!message.contains("SECRET"), "{name} leaks a secret value:\n{message}");
            insta::assert_snapshot!(name, message);
        });
    });
}

#[test]
fn five_mistakes_give_five_errors() {
    let text = include_str!("config_errors/five-mistakes.yaml");
    let errors = Config::from_yaml(text, Origin::BuiltIn).unwrap_err();
    let lines: Vec<(u32, &str)> = errors.errors.iter().map(|e| (e.at.line, e.key.as_str())).collect();
    assert_eq!(
        lines,
        [
            (3, "repository.brnch"),
            (6, "defaults.instance.components[1]"),
            (8, "defaults.instance.sync.interval"),
            (9, "defaults.operator"),
            (11, "clusters.Edge_1"),
        ]
    );
}

/// A 5 MB config (87,000 chart values), built here rather than committed, with one mistake
/// on its last lines: refused with that one error, at its line, in reasonable time.
#[test]
fn a_five_megabyte_config_gets_its_one_error_located() {
    let mut text = String::from(
        "repository:\n  url: ssh://git@github.com/example/haynes-ops\ndefaults:\n  operator:\n    values:\n",
    );
    let mut index = 0;
    while text.len() < 5 << 20 {
        text.push_str(&format!("      key{index:06}: \"{}\"\n", "v".repeat(40)));
        index += 1;
    }
    let mistake_line = text.lines().count() as u32 + 2;
    text.push_str("  tuning:\n    workers: ten\nclusters:\n  edge: {}\n");
    let started = std::time::Instant::now();
    let errors = Config::from_yaml(&text, Origin::File("huge.yaml".into())).expect_err("refused");
    let elapsed = started.elapsed();
    let lines: Vec<(u32, &str)> = errors.errors.iter().map(|e| (e.at.line, e.key.as_str())).collect();
    assert_eq!(lines, [(mistake_line, "defaults.tuning.workers")]);
    assert!(elapsed.as_secs() < 30, "loading 5 MB took {elapsed:?}");
}

/// A 5 MB scalar is read like any other: the error elsewhere in the file is found.
#[test]
fn a_five_megabyte_scalar_does_not_hide_an_error() {
    let text = format!(
        "repository:\n  url: ssh://git@github.com/example/haynes-ops\nclusters:\n  edge:\n    operator:\n      values:\n        blob: \"{}\"\n    phase: 7\n",
        "x".repeat(5 << 20)
    );
    let errors = Config::from_yaml(&text, Origin::BuiltIn).expect_err("refused");
    let lines: Vec<(u32, &str)> = errors.errors.iter().map(|e| (e.at.line, e.key.as_str())).collect();
    assert_eq!(lines, [(8, "clusters.edge.phase")]);
}

/// Inputs the fuzzer (`fuzz/`) found panicking the loader, fixed: a key set to `null` is a key
/// not set, also for `phase`, `rollout` and `overrides`; a number too large at the root of
/// the document is an error at line 1 (`root-integer.yaml` is its fixture).
#[test]
fn fuzz_regressions_null_phase_rollout_and_overrides_are_keys_not_set() {
    let text = "repository: { url: ssh://git@github.com/x/y }\n\
                defaults: { overrides: ~ }\n\
                clusters: { edge: { phase: ~ } }\n\
                rollout: ~\n";
    let config = Config::from_yaml(text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e}"));
    let edge = config.cluster("edge").expect("edge");
    assert_eq!(edge.phase, fluxgen_core::Phase::Instance);
    assert!(config.rollout.is_empty());
    assert!(edge.settings.overrides.is_empty());
    let errors = Config::from_yaml("9223372036854775808\n", Origin::BuiltIn).expect_err("refused");
    assert_eq!((errors.errors[0].at.line, errors.errors[0].at.column), (1, 1));
}
