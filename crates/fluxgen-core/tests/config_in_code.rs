//! A config built in code, as other tooling builds one, skipping the loader: every call that
//! uses it checks it first by the rules of a file, reports every problem with its key path,
//! writes nothing and never panics. Only the crate's public API is used here.

use std::path::Path;

use fluxgen_core::config::{Cluster, Repository, Settings};
use fluxgen_core::{Config, Error, Origin, Phase};

fn repository() -> Repository {
    Repository {
        url: "ssh://git@github.com/example/fleet".into(),
        reference: "refs/heads/main".into(),
        pull_secret: None,
    }
}

/// A cluster as a tool would build one: the defaults, a path, a phase.
fn cluster(name: &str) -> Cluster {
    let mut settings = Settings {
        path: format!("kubernetes/{name}/apps/flux-system"),
        ..Settings::default()
    };
    settings.instance.sync.path = format!("kubernetes/{name}/flux");
    Cluster::new(name, Phase::Instance, settings)
}

/// Four clusters, each with one thing fluxgen must refuse: a path leaving the root, an absolute
/// path, an invalid namespace, a webhook with no token source.
fn broken(outside: &Path) -> Config {
    let mut config = Config::new(Origin::Code, repository());
    let mut escaping = cluster("escaping");
    escaping.settings.path = "../escaped/apps".into();
    let mut absolute = cluster("absolute");
    absolute.settings.path = format!("{}/apps", outside.display());
    let mut namespaced = cluster("namespaced");
    namespaced.settings.namespace = "Not_A_Namespace".into();
    let mut webhook = Config::example().clusters["edge"].clone();
    assert!(
        webhook.settings.webhook.provider.receiver_type().is_some(),
        "the example's edge has a webhook"
    );
    webhook.settings.webhook.token = None;
    for one in [escaping, absolute, namespaced, webhook] {
        config.clusters.insert(one.name.clone(), one);
    }
    config
}

#[test]
fn a_broken_config_built_in_code_is_refused_by_every_call_with_every_problem_and_nothing_written() {
    let outer = tempfile::tempdir().expect("a temporary directory");
    let root = outer.path().join("repo");
    std::fs::create_dir(&root).expect("the root");
    let outside = outer.path().join("absolute");
    let config = broken(&outside);
    let names: Vec<String> = config.clusters.keys().cloned().collect();

    let errors = config.validate().expect_err("four clusters with a problem each");
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    for key in [
        "clusters.absolute.path",
        "clusters.escaping.path",
        "clusters.namespaced.namespace",
        "clusters.edge.webhook.token",
    ] {
        assert!(keys.contains(&key), "{key} is reported: {keys:?}");
    }
    let shown = errors.to_string();
    assert!(shown.starts_with("<config built in code>: "), "{shown}");
    assert!(
        shown.contains("<config built in code>: clusters.namespaced.namespace: "),
        "placed by key, not by a line it never had: {shown}"
    );

    let refused = |what: &str, result: Result<(), Error>| match result {
        Err(Error::Config(found)) => assert_eq!(found, errors, "{what} reports every problem"),
        other => panic!("{what}: expected the config's errors, got {other:?}"),
    };
    for name in &names {
        refused("plan", fluxgen_core::plan(&config, name).map(drop));
        refused("explain", fluxgen_core::explain(&config, name).map(drop));
        refused("runbook", fluxgen_core::runbook(&config, name, &root).map(drop));
        refused(
            "runbook_findings",
            fluxgen_core::runbook_findings(&config, name, &root).map(drop),
        );
    }
    refused("plan_all", fluxgen_core::plan_all(&config, &names).map(drop));
    refused(
        "write_clusters",
        fluxgen_core::write_clusters(&config, &names, &root).map(drop),
    );
    refused(
        "check_clusters",
        fluxgen_core::check_clusters(&config, &names, &root).map(drop),
    );
    // Each cluster alone is refused too: the config is judged whole, as a file is.
    refused(
        "write_clusters of a valid cluster",
        fluxgen_core::write_clusters(&config, &["namespaced".to_owned()], &root).map(drop),
    );

    assert!(!outer.path().join("escaped").exists(), "nothing beside the root");
    assert!(!outside.exists(), "nothing at the absolute path");
    assert_eq!(
        std::fs::read_dir(&root).expect("the root").count(),
        0,
        "nothing below the root"
    );
}

#[test]
fn a_loaded_config_changed_in_code_is_checked_again() {
    let mut config = Config::example();
    config.validate().expect("the example is valid");
    config
        .clusters
        .get_mut("edge")
        .expect("edge")
        .settings
        .instance
        .sync
        .path = "/abs/../sync".into();
    let errors = fluxgen_core::plan(&config, "main")
        .map(drop)
        .expect_err("edge broke the config");
    let Error::Config(errors) = errors else {
        panic!("expected the config's errors, got {errors:?}");
    };
    assert_eq!(errors.errors.len(), 1, "{errors}");
    assert_eq!(errors.errors[0].key, "clusters.edge.instance.sync.path");
    assert!(errors.to_string().starts_with("<built-in example>: "), "{errors}");
}

#[test]
fn a_cluster_whose_name_is_not_its_key_is_an_error() {
    let mut config = Config::new(Origin::Code, repository());
    config.clusters.insert("edge".into(), cluster("main"));
    let errors = config.validate().expect_err("name and key differ");
    assert_eq!(errors.errors[0].key, "clusters.edge.name", "{errors}");
}

/// Every config file of the tests, rebuilt in code from what it loads as, checks and plans as
/// the file does: the rules a config from code meets are the file's, no more and no fewer.
#[test]
fn every_test_config_rebuilt_in_code_passes_and_plans_the_same_bytes() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut texts = vec![
        fluxgen_core::config::EXAMPLE_CONFIG.to_owned(),
        fluxgen_core::config::EXAMPLE_BOOTSTRAP_CONFIG.to_owned(),
    ];
    let mut pending = vec![tests];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a test directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "fluxgen.yaml")
                || path.parent().is_some_and(|p| p.ends_with("scenarios"))
            {
                texts.push(std::fs::read_to_string(&path).expect("readable"));
            }
        }
    }
    let mut rebuilt_count = 0;
    for text in &texts {
        let options = fluxgen_core::LoadOptions {
            allow_out_of_order: true,
        };
        let Ok(loaded) = Config::from_yaml_with(text, Origin::BuiltIn, &options) else {
            continue; // a file some test shows to be refused
        };
        let mut rebuilt = Config::new(Origin::Code, loaded.repository.clone());
        rebuilt.rollout = loaded.rollout.clone();
        for (name, cluster) in &loaded.clusters {
            let copy = Cluster::new(name.clone(), cluster.phase, cluster.settings.clone());
            rebuilt.clusters.insert(name.clone(), copy);
        }
        if let Err(errors) = rebuilt.validate_with(&options) {
            panic!("{errors}\nfor:\n{text}");
        }
        for name in loaded.clusters.keys() {
            if loaded.clusters[name].phase == Phase::Prepare {
                continue;
            }
            match (fluxgen_core::plan(&loaded, name), fluxgen_core::plan(&rebuilt, name)) {
                (Ok(planned), Ok(again)) => assert_eq!(again, planned),
                // A config that loads may still fail to plan (an override that selects nothing):
                // rebuilt in code it fails the same way, its places aside.
                (Err(planned), Err(again)) => assert_eq!(
                    std::mem::discriminant(&again),
                    std::mem::discriminant(&planned),
                    "{again}\nagainst\n{planned}"
                ),
                (planned, again) => panic!("{name}: loaded {planned:?}, rebuilt {again:?}\nfor:\n{text}"),
            }
        }
        rebuilt_count += 1;
    }
    assert!(rebuilt_count >= 20, "only {rebuilt_count} configs rebuilt");
}
