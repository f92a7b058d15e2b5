//! `explain` on configs pinned to each release, with the operator's profiles.
use super::*;
use crate::Origin;

fn explained(instance: &str) -> Explanation {
    let text = format!(
        "repository: {{ url: ssh://git@github.com/example/fleet }}\n\
         clusters:\n  edge:\n    instance:\n{instance}"
    );
    let config = Config::from_yaml(&text, Origin::BuiltIn).unwrap_or_else(|e| panic!("{e:?}"));
    explain(&config, "edge").unwrap_or_else(|e| panic!("{e}"))
}

fn controller(explanation: &Explanation, component: Component) -> &ControllerReport {
    explanation
        .controllers
        .iter()
        .find(|r| r.controller == component)
        .unwrap_or_else(|| panic!("{component} is explained"))
}

fn arg<'a>(report: &'a ControllerReport, flag: &str) -> Option<&'a EffectiveArg> {
    report.args.iter().find(|a| a.flag == flag)
}

#[test]
fn a_cluster_pinned_to_2_7_is_explained_with_2_7_s_deployments() {
    let explanation = explained(
        "      distribution: { version: 2.7.x }\n      components: [source-controller, kustomize-controller]\n",
    );
    assert_eq!(
        explanation.flux,
        FluxRelease {
            requested: "2.7.x".to_owned(),
            runs: Some("v2.7.5".to_owned()),
            manifests: "v2.7.5".to_owned(),
            source: facts::RELEASES[3].source.to_owned(),
        }
    );
    // The only note: without notification-controller the events address is empty.
    assert_eq!(explanation.notes.len(), 1, "{:?}", explanation.notes);
    assert!(explanation.notes[0].starts_with("notification-controller is not a component"));
    let kustomize = controller(&explanation, Component::KustomizeController);
    // Flux 2.7.5 ships kustomize-controller v1.7.3; 2.9.4 ships v1.9.4.
    assert_eq!(kustomize.version, "v1.7.3");
    let leader = arg(kustomize, "--enable-leader-election").unwrap();
    assert_eq!(leader.set_by, "Flux v2.7.5 manifests");
    let memory = kustomize.resources.iter().find(|r| r.name == "limits.memory").unwrap();
    assert_eq!(
        (memory.value.as_str(), memory.set_by.as_str()),
        ("1Gi", "Flux v2.7.5 manifests")
    );
    // The default, for comparison.
    let latest = explained("      distribution: { version: 2.9.x }\n");
    assert_eq!(latest.flux.manifests, "v2.9.4");
    assert_eq!(controller(&latest, Component::KustomizeController).version, "v1.9.4");
}

#[test]
fn versions_fluxgen_does_not_know_are_explained_against_the_nearest_with_a_note() {
    let newer = explained("      distribution: { version: \">=2.10.0\" }\n");
    assert_eq!(newer.flux.manifests, "v2.9.4");
    assert_eq!(newer.flux.runs, None);
    assert!(
        newer.notes[0].contains("newer than any Flux release fluxgen knows"),
        "{:?}",
        newer.notes
    );
    let older = explained("      distribution: { version: 2.3.x }\n");
    assert_eq!(
        (older.flux.manifests.as_str(), older.flux.runs.as_deref()),
        ("v2.4.0", Some("v2.3.0"))
    );
    assert!(older.notes[0].contains("older than"), "{:?}", older.notes);
    let pinned = explained("      distribution: { version: v2.8.3 }\n");
    assert_eq!(pinned.flux.manifests, "v2.8.8");
    assert!(
        pinned.notes[0].contains("the cluster runs v2.8.3"),
        "{:?}",
        pinned.notes
    );
}

#[test]
fn source_watcher_before_2_7_is_left_out_with_a_note() {
    let explanation =
        explained("      distribution: { version: 2.6.x }\n      components: [source-controller, source-watcher]\n");
    assert_eq!(explanation.flux.manifests, "v2.6.4");
    assert_eq!(
        explanation.controllers.iter().map(|r| r.controller).collect::<Vec<_>>(),
        [Component::SourceController]
    );
    assert_eq!(
        explanation.notes[1..],
        ["source-watcher is not part of Flux v2.6.4 (the operator runs it from Flux 2.7 on): not explained"]
    );
}

#[test]
fn multitenancy_adds_the_operator_s_lockdown_flags_to_exactly_the_controllers_it_patches() {
    let explanation = explained(
        "      components: [source-controller, kustomize-controller, helm-controller, notification-controller, \
         image-reflector-controller, image-automation-controller, source-watcher]\n      \
         cluster: { multitenant: true, tenantDefaultServiceAccount: flux-tenant }\n",
    );
    assert!(
        explanation
            .profiles
            .iter()
            .any(|p| p.starts_with("cluster.multitenant") && p.contains("`flux-tenant`")),
        "{:?}",
        explanation.profiles
    );
    for report in &explanation.controllers {
        let component = report.controller;
        let value = |flag: &str| arg(report, flag).map(|a| (a.value.as_str(), a.set_by.as_str()));
        let locked = (component != Component::SourceController).then_some(("true", MULTITENANT));
        assert_eq!(value("--no-cross-namespace-refs"), locked, "{component}");
        let remote = (component == Component::KustomizeController).then_some(("true", MULTITENANT));
        assert_eq!(value("--no-remote-bases"), remote, "{component}");
        let account = matches!(component, Component::KustomizeController | Component::HelmController)
            .then_some(("flux-tenant", MULTITENANT));
        assert_eq!(value("--default-service-account"), account, "{component}");
    }
    let off = explained("      cluster: { multitenant: false }\n");
    assert!(off.profiles.is_empty());
    assert!(
        off.controllers
            .iter()
            .all(|r| arg(r, "--no-cross-namespace-refs").is_none())
    );
}

#[test]
fn openshift_applies_its_profile_first() {
    let explanation = explained("      cluster: { type: openshift, size: small }\n");
    assert_eq!(explanation.profiles.len(), 2);
    assert!(explanation.profiles[0].starts_with("cluster.type: openshift"));
    assert_eq!(explanation.profiles[1], "cluster.size: small");
    let aws = explained("      cluster: { type: aws }\n");
    assert!(aws.profiles.is_empty());
}

#[test]
fn without_notification_controller_the_events_address_is_empty_and_said_so() {
    let explanation = explained("      components: [source-controller, kustomize-controller]\n");
    let kustomize = controller(&explanation, Component::KustomizeController);
    let events = arg(kustomize, "--events-addr").unwrap();
    assert_eq!(
        (events.value.as_str(), events.set_by.as_str()),
        ("", "the operator's build (argument rewrites)")
    );
    assert!(
        explanation.notes.iter().any(|n| n.contains("`--events-addr=` (empty)")),
        "{:?}",
        explanation.notes
    );
    let with = explained("      components: [source-controller, kustomize-controller, notification-controller]\n");
    assert_eq!(
        arg(controller(&with, Component::KustomizeController), "--events-addr")
            .unwrap()
            .value,
        "http://notification-controller.flux-system.svc.cluster.local./"
    );
}
