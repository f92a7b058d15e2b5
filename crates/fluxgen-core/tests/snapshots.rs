//! One snapshot per scenario: every cluster's whole tree, with `--- <path>` headers, exactly
//! the bytes fluxgen writes. Adding a file to `tests/scenarios/` adds a scenario.

use std::path::Path;

use fluxgen_core::{Config, Origin, plan};

fn listing(config: &Config) -> String {
    config
        .clusters
        .keys()
        .map(|name| {
            let tree = plan(config, name).unwrap_or_else(|e| panic!("cluster {name}: {e}"));
            let phase = config.clusters[name].phase;
            format!("# phase {phase}\n{}", tree.listing())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn built_in_example() {
    let config = Config::example();
    settings().bind(|| {
        for name in ["edge", "main"] {
            let tree = plan(&config, name).unwrap();
            insta::assert_snapshot!(
                format!("builtin-{name}"),
                format!("# phase {}\n{}", config.clusters[name].phase, tree.listing())
            );
        }
    });
}

#[test]
fn scenarios() {
    settings().bind(|| {
        // Only below `scenarios/`: other fixture trees hold dangling links on purpose.
        insta::glob!("scenarios", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let config = Config::from_yaml(&text, Origin::File(path.to_path_buf())).unwrap_or_else(|e| panic!("{e}"));
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(name, listing(&config));
        });
    });
}

#[test]
fn planning_twice_gives_the_same_bytes() {
    let config = Config::example();
    assert_eq!(plan(&config, "edge").unwrap(), plan(&config, "edge").unwrap());
    let again = Config::from_yaml(fluxgen_core::config::EXAMPLE_CONFIG, Origin::BuiltIn).unwrap();
    assert_eq!(
        plan(&config, "edge").unwrap().stream(),
        plan(&again, "edge").unwrap().stream()
    );
}
