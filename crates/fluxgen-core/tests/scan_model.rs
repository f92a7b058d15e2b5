//! What the scanner keeps of each file for `doctor`, which reads nothing else: labels and
//! annotations, `commonMetadata` and `commonAnnotations`, the key names of ConfigMaps, Secrets
//! (SOPS-encrypted too) and generators, ExternalSecrets, and `${VAR}` references. Key names
//! only: no value of a Secret, a SOPS file, a literal or an env file reaches the model.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use fluxgen_core::scan::{Location, ScannedRepository};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn keys<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    names.into_iter().map(String::as_str).collect()
}

fn at(file: &str, line: u32) -> Location {
    Location {
        file: file.to_owned(),
        line,
    }
}

/// The model as Debug and JSON, where no value may appear.
fn rendered(repository: &ScannedRepository) -> String {
    format!("{repository:?}\n{}", serde_json::to_string(repository).unwrap())
}

#[test]
fn objects_keep_labels_annotations_and_key_names() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "apps/ks.yaml",
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  \
                 labels: {app: web, replicas: 3, enabled: true}\nspec:\n  commonMetadata:\n    annotations:\n      \
                 kustomize.toolkit.fluxcd.io/prune: disabled\n    labels: {team: a}\n",
            ),
            (
                "apps/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    note: kept\n    \
                 nested: {a: 1}\n    kubectl.kubernetes.io/last-applied-configuration: \
                 '{\"stringData\":{\"PASSWORD\":\"plaintext-password\"}}'\n\
                 data:\n  TOKEN: c2VjcmV0LXRva2Vu\nstringData:\n  PASSWORD: plaintext-password\n",
            ),
            (
                "apps/externalsecret.yaml",
                "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: token}\n\
                 spec:\n  secretStoreRef: {name: onepassword}\n---\n\
                 apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: other}\n\
                 spec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault}\n  target: {name: webhook}\n",
            ),
        ],
    );
    let repository = fluxgen_core::scan(dir.path()).unwrap();

    let ks = repository.object(&at("apps/ks.yaml", 1)).expect("the Kustomization");
    assert_eq!(ks.labels["app"], "web");
    assert_eq!(ks.labels["replicas"], "3");
    assert_eq!(ks.labels["enabled"], "true");
    let common = repository.kustomizations[0].common_metadata.as_ref().unwrap();
    assert_eq!(common.annotations["kustomize.toolkit.fluxcd.io/prune"], "disabled");
    assert_eq!(common.labels["team"], "a");

    let secret = repository.object(&at("apps/secret.yaml", 1)).expect("the Secret");
    assert_eq!(keys(&secret.data_keys), ["TOKEN", "PASSWORD"]);
    // A mapping is not a scalar, and kubectl's copy of the Secret holds its values: left out.
    assert_eq!(keys(secret.annotations.keys()), ["note"]);
    assert!(repository.object(&at("apps/secret.yaml", 2)).is_none());

    let [token, other] = &repository.external_secrets[..] else {
        panic!("{:?}", repository.external_secrets)
    };
    assert_eq!(
        (token.store_kind.as_str(), token.store.as_deref(), token.target.as_str()),
        ("SecretStore", Some("onepassword"), "token")
    );
    assert_eq!(
        (other.store_kind.as_str(), other.store.as_deref(), other.target.as_str()),
        ("ClusterSecretStore", Some("vault"), "webhook")
    );
    assert_eq!(other.at, at("apps/externalsecret.yaml", 7));

    let model = rendered(&repository);
    for value in ["c2VjcmV0LXRva2Vu", "plaintext-password"] {
        assert!(!model.contains(value), "a Secret value reached the model: {value}");
    }
}

#[test]
fn a_sops_secret_gives_key_names_and_no_value() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "vars/cluster-secrets.sops.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\nstringData:\n  \
             SECRET_DOMAIN: ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]\n  \
             ENC[AES256_GCM,data:a2V5,type:str]: ENC[AES256_GCM,data:dmFs,type:str]\n\
             sops:\n  mac: ENC[AES256_GCM,data:bWFj,type:str]\n  age:\n    - recipient: age1qqqq\n",
        )],
    );
    let repository = fluxgen_core::scan(dir.path()).unwrap();
    let document = &repository.sops_files[0].documents[0];
    assert_eq!(document.name.as_deref(), Some("cluster-secrets"));
    assert_eq!(keys(&document.data_keys), ["SECRET_DOMAIN"]);
    assert!(repository.objects.is_empty());
    assert!(repository.variable_uses.is_empty());
    let model = rendered(&repository);
    for ciphertext in ["ENC[", "c2VjcmV0", "age1"] {
        assert!(!model.contains(ciphertext), "`{ciphertext}` reached the model");
    }
}

#[test]
fn generators_keep_literal_and_env_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "vars/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                 commonAnnotations: {kustomize.toolkit.fluxcd.io/prune: disabled}\ncommonLabels: {tier: vars}\n\
                 configMapGenerator:\n  - name: settings\n    literals: [DOMAIN=example.com, \" SPACED = x\"]\n    \
                 envs: [settings.env, missing.env]\n\
                 secretGenerator:\n  - name: secrets\n    literals: [TOKEN=literal-token-value]\n    \
                 envs: [secret.sops.yaml]\n",
            ),
            ("vars/settings.env", "# a comment\nTIMEZONE=Europe/Paris\n\n  BARE\n"),
            (
                "vars/secret.sops.yaml",
                "API_KEY: ENC[AES256_GCM,data:a2V5,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:bWFj]\n",
            ),
        ],
    );
    let repository = fluxgen_core::scan(dir.path()).unwrap();
    let file = repository.kustomize_file("vars").expect("the kustomization");
    assert_eq!(file.common_annotations["kustomize.toolkit.fluxcd.io/prune"], "disabled");
    assert_eq!(file.common_labels["tier"], "vars");
    let settings = &file.config_map_generators[0];
    assert_eq!(keys(&settings.literal_keys), ["DOMAIN", "SPACED"]);
    assert_eq!(keys(&settings.env_keys), ["TIMEZONE", "BARE"]);
    let secrets = &file.secret_generators[0];
    assert_eq!(keys(&secrets.literal_keys), ["TOKEN"]);
    // An encrypted env file is not read.
    assert!(secrets.env_keys.is_empty());
    let model = rendered(&repository);
    for value in ["example.com", "Europe/Paris", "literal-token-value", "API_KEY", "ENC["] {
        assert!(!model.contains(value), "`{value}` reached the model");
    }
}

#[test]
fn variable_references_are_kept_per_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "apps/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
                 resources: [configmap.yaml, extra.json, .hidden/h.yaml]\n",
            ),
            (
                "apps/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: ${DOMAIN}\n  b: \
                 ${TZ:=UTC}\n  c: $${HOME}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: off\n  \
                 annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}\ndata: {d: '${OFF}'}\n",
            ),
            (
                "apps/extra.json",
                "{\"kind\": \"ConfigMap\", \"data\": {\"x\": \"${JSON}\"}}\n",
            ),
            ("apps/.hidden/h.yaml", "x: ${HIDDEN}\n"),
            ("apps/template.yaml", "a: {{ .x }}\nb: ${TEMPLATED}\n"),
            (
                "apps/none.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\n",
            ),
            (
                "apps/s.sops.yaml",
                "x: ${ENCRYPTED}\nsops:\n  mac: ENC[AES256_GCM,data:bWFj]\n",
            ),
        ],
    );
    let repository = fluxgen_core::scan(dir.path()).unwrap();
    let found: BTreeSet<(&str, &str, bool, u32)> = repository
        .variable_uses
        .iter()
        .flat_map(|(file, uses)| {
            uses.iter()
                .map(move |u| (file.as_str(), u.name.as_str(), u.has_default, u.line))
        })
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([
            ("apps/.hidden/h.yaml", "HIDDEN", false, 1),
            ("apps/configmap.yaml", "DOMAIN", false, 5),
            ("apps/configmap.yaml", "TZ", true, 6),
            ("apps/extra.json", "JSON", false, 1),
            ("apps/template.yaml", "TEMPLATED", false, 2),
        ])
    );
}
