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
