//! The controller facts a user meets through a config: each test sets what a user would set,
//! on a cluster pinned to a Flux minor, and checks what fluxgen accepts, refuses and emits.
//!
//! Each fact is cited in `fluxgen_core::facts` (`src/facts/flags.rs`): the controllers'
//! `main.go` and `internal/features/features.go` at the tags each Flux minor ships, and
//! `fluxcd/pkg` `runtime/client/client.go` and `runtime/controller/watch.go`.

use fluxgen_core::{Component, Config, Origin, Tuning, explain, facts, lower, plan};

/// A one-cluster config pinned to `version`, with `components` and `tuning` (YAML, indented
/// under `tuning:`).
fn config(version: &str, components: &[&str], tuning: &str) -> Result<Config, String> {
    let text = format!(
        "repository: {{ url: ssh://git@github.com/example/fleet, branch: main }}\n\
         clusters:\n  edge:\n    phase: instance\n    instance:\n      distribution: {{ version: \"{version}\" }}\n      \
         components: [{}]\n    tuning:\n{tuning}",
        components.join(", ")
    );
    Config::from_yaml(&text, Origin::BuiltIn).map_err(|e| e.to_string())
}

const CORE: &[&str] = &[
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
];

/// The FluxInstance / HelmRelease files fluxgen writes for the cluster, as one text.
fn emitted(config: &Config) -> String {
    plan(config, "edge").unwrap_or_else(|e| panic!("{e}")).stream()
}

#[test]
fn helm_controller_has_no_uninstall_on_chart_name_change_gate() {
    // helm-controller exits on an unknown gate; the behaviour shipped as the HelmRelease field
    // `.spec.upgrade.chartNameChangeStrategy` instead.
    for version in ["2.7.x", "2.8.x", "2.9.x"] {
        let error = config(
            version,
            CORE,
            "      featureGates: { helm-controller: { UninstallOnChartNameChange: true } }\n",
        )
        .expect_err("an unknown gate is refused");
        assert!(
            error.contains("tuning.featureGates.helm-controller.UninstallOnChartNameChange")
                && error.contains("has no feature gate `UninstallOnChartNameChange` (it would refuse to start)"),
            "{version}: {error}"
        );
    }
    let error = lower(&[Tuning::feature_gate(
        Component::HelmController,
        "UninstallOnChartNameChange",
        true,
    )])
    .expect_err("the library refuses it too");
    assert!(error.to_string().contains("UninstallOnChartNameChange"), "{error}");
}

#[test]
fn image_automation_controller_takes_git_shallow_clone_off() {
    let components = [
        "source-controller",
        "kustomize-controller",
        "image-reflector-controller",
        "image-automation-controller",
    ];
    for version in ["2.4.x", "2.7.x", "2.9.x"] {
        let config = config(
            version,
            &components,
            "      featureGates: { image-automation-controller: { GitShallowClone: false } }\n",
        )
        .unwrap_or_else(|e| panic!("{version}: {e}"));
        let out = emitted(&config);
        assert!(
            out.contains("--feature-gates=GitShallowClone=false"),
            "{version}:\n{out}"
        );
    }
}

#[test]
fn the_kube_api_limits_default_to_50_qps_and_a_burst_of_300() {
    let config = config("2.9.x", CORE, "      workers: 4\n").unwrap();
    let explanation = explain(&config, "edge").unwrap();
    for report in &explanation.controllers {
        let value = |flag: &str| {
            report
                .args
                .iter()
                .find(|a| a.flag == flag)
                .map(|a| (a.value.clone(), a.set_by.clone()))
        };
        assert_eq!(
            value("--kube-api-burst"),
            Some(("300".to_owned(), "the controller's built-in default".to_owned())),
            "{}",
            report.controller
        );
        assert_eq!(value("--kube-api-qps").map(|v| v.0), Some("50".to_owned()));
    }
    assert_eq!((facts::DEFAULT_KUBE_API_QPS, facts::DEFAULT_KUBE_API_BURST), (50, 300));
}

#[test]
fn notification_controller_takes_events_addr_as_its_bind_address() {
    assert!(facts::accepts_flag(
        Component::NotificationController,
        "--events-addr=:9090"
    ));
    for release in facts::RELEASES {
        assert!(
            release.accepts_flag(Component::NotificationController, "--events-addr"),
            "{}",
            release.version
        );
    }
}

#[test]
fn every_controller_takes_watch_configs_label_selector_from_flux_2_7() {
    // A library user can set it on any controller of the newest release.
    lower(&[Tuning::watch_configs_selector(Component::ALL, "owner!=helm")]).unwrap_or_else(|e| panic!("{e}"));
    for release in facts::RELEASES {
        for component in Component::ALL {
            if release.controller(component).is_none() {
                continue;
            }
            assert_eq!(
                release.accepts_flag(component, "--watch-configs-label-selector"),
                release.minor() >= (2, 7),
                "{} {component}",
                release.version
            );
        }
    }
    // A config pinned to 2.6 gets an error, not a controller that exits on an unknown flag.
    let error = config("2.6.x", CORE, "      watchConfigsSelector: owner!=helm\n").expect_err("2.6 has no such flag");
    assert!(
        error.contains("tuning.watchConfigsSelector")
            && error.contains("has no `--watch-configs-label-selector` (Flux v2.6.4"),
        "{error}"
    );
    let config = config("2.7.x", CORE, "      watchConfigsSelector: owner!=helm\n").unwrap();
    assert!(emitted(&config).contains("--watch-configs-label-selector=owner!=helm"));
}

#[test]
fn adopt_legacy_releases_is_refused_where_helm_controller_ignores_it() {
    let gate = "      featureGates: { helm-controller: { AdoptLegacyReleases: false } }\n";
    for version in ["2.8.x", "2.9.x"] {
        let error = config(version, CORE, gate).expect_err("ignored from helm-controller v1.5.0");
        assert!(
            error.contains("ignores `AdoptLegacyReleases` from v1.5.0 (Flux 2.8)") && error.contains("remove it"),
            "{version}: {error}"
        );
    }
    // helm-controller v1.4.5 (Flux 2.7) still honours it.
    let config = config("2.7.x", CORE, gate).unwrap_or_else(|e| panic!("{e}"));
    assert!(emitted(&config).contains("--feature-gates=AdoptLegacyReleases=false"));
}

#[test]
fn a_gate_newer_than_the_pinned_flux_names_the_release_that_brings_it() {
    let error = config(
        "2.7.x",
        CORE,
        "      featureGates: { kustomize-controller: { MigrateAPIVersion: true } }\n",
    )
    .expect_err("MigrateAPIVersion arrives with Flux 2.8");
    assert!(
        error.contains("kustomize-controller v1.7.3 (Flux v2.7.5) has no feature gate `MigrateAPIVersion`")
            && error.contains("it arrives with Flux v2.8.8"),
        "{error}"
    );
}
