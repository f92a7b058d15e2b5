//! A config built in code, as other tooling builds one, skipping the loader: what fluxgen cannot
//! generate is an error, never a panic.

use fluxgen_core::config::TokenSource;
use fluxgen_core::{Config, Error, plan};

#[test]
fn a_webhook_without_a_token_source_is_an_error_not_a_panic() {
    let mut config = Config::example();
    let edge = config.clusters.get_mut("edge").expect("the example has edge");
    assert!(
        edge.settings.webhook.provider.receiver_type().is_some(),
        "the example's edge has a webhook"
    );
    edge.settings.webhook.token = TokenSource::default();
    match plan(&config, "edge") {
        Err(Error::InvalidObject { kind, violations, .. }) => {
            assert_eq!(kind, "Receiver");
            assert!(violations[0].message.contains("webhook.token.secret"), "{violations:?}");
        }
        other => panic!("expected an invalid Receiver, got {other:?}"),
    }
}

#[test]
fn a_path_leaving_the_root_is_refused_and_nothing_is_written_anywhere() {
    let outer = tempfile::tempdir().expect("a temporary directory");
    let root = outer.path().join("repo");
    std::fs::create_dir(&root).expect("the root");
    let escaped = outer.path().join("escaped");
    let absolute = outer.path().join("absolute");
    for path in [
        "../escaped/apps".to_owned(),
        format!("{}/apps", absolute.display()),
        "a/./b".to_owned(),
    ] {
        let mut config = Config::example();
        config.clusters.get_mut("edge").expect("edge").settings.path = path.clone();
        let names = vec!["edge".to_owned()];
        let error = fluxgen_core::write_clusters(&config, &names, &root).expect_err(&path);
        assert!(matches!(error, Error::Blocked { .. }), "{path}: {error}");
        assert!(
            fluxgen_core::check_clusters(&config, &names, &root).is_err(),
            "{path}: check refuses it too"
        );
    }
    assert!(!escaped.exists() && !absolute.exists());
    assert_eq!(
        std::fs::read_dir(&root).expect("the root").count(),
        0,
        "nothing below the root"
    );
}
