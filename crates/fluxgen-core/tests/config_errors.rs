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
        insta::glob!("config_errors/*.yaml", |path| {
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
