//! Hostile repositories through the `fluxgen` binary: what a pull request from anyone can put in a
//! repository (links leaving it, credentials in URLs, text that would inject lines) never reaches
//! a file fluxgen writes or what it prints, and nothing outside the repository is read or written.

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use support::{Run, fluxgen, run_lossy, workdir};

/// A string no repository holds: a file that has it is outside the repository.
const SECRET: &str = "OUTSIDE-SECRET-7f3c9a";

/// A one-cluster GOTK-era repository (cluster `edge`), the bootstrap kustomization given as its
/// text.
fn gotk_repository(root: &Path, bootstrap: &str) {
    let files = [
        ("kubernetes/edge/bootstrap/flux/kustomization.yaml", bootstrap),
        (
            "kubernetes/edge/flux/config/cluster.yaml",
            "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  \
             namespace: flux-system\nspec:\n  interval: 30m\n  url: ssh://git@github.com/example/home-ops\n  ref:\n    \
             branch: main\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: \
             cluster\n  namespace: flux-system\nspec:\n  interval: 30m\n  path: ./kubernetes/edge/flux\n  prune: true\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "kubernetes/edge/flux/config/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./cluster.yaml\n",
        ),
        (
            "kubernetes/edge/flux/apps.yaml",
            "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: cluster-apps\n  \
             namespace: flux-system\nspec:\n  interval: 30m\n  path: ./kubernetes/edge/apps\n  prune: true\n  \
             sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "kubernetes/edge/apps/kustomization.yaml",
            "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
        ),
    ];
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create a directory");
        fs::write(path, text).expect("write a file");
    }
}

/// A file outside the repository holding [`SECRET`], as a kustomize patch of a controller.
fn outside_patch() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(
        outside.path().join("patch.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  annotations:\n    \
             token: {SECRET}\n"
        ),
    )
    .expect("write a file");
    outside
}

fn assert_no_secret(label: &str, run: &Run) {
    assert!(
        !run.stdout.contains(SECRET),
        "{label}: the outside file reached stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(SECRET),
        "{label}: the outside file reached stderr:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{label}: {}", run.stderr);
}

#[test]
fn a_patch_file_linked_outside_the_repository_is_never_read() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\npatches:\n  - path: token.yaml\n",
    );
    let outside = outside_patch();
    let link = repo.join("kubernetes/edge/bootstrap/flux/token.yaml");
    symlink(outside.path().join("patch.yaml"), &link).expect("create a link");

    let doctor = run_lossy(fluxgen(dir.path(), &["doctor", "--repo", "repo"]));
    assert_no_secret("doctor", &doctor);
    assert!(
        doctor.stdout.contains("kubernetes/edge/bootstrap/flux/token.yaml") || doctor.stderr.contains("token.yaml"),
        "doctor reports the link it did not follow:\n{}\n{}",
        doctor.stdout,
        doctor.stderr
    );

    let import = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_no_secret("import", &import);
    assert!(
        import.stderr.contains("kubernetes/edge/bootstrap/flux/token.yaml"),
        "import reports the link it did not follow:\n{}",
        import.stderr
    );
    assert!(
        import.stderr.contains("outside the repository"),
        "import says why the link is not followed:\n{}",
        import.stderr
    );
    if let Ok(config) = fs::read_to_string(dir.path().join("fluxgen.yaml")) {
        assert!(
            !config.contains(SECRET),
            "the outside file reached fluxgen.yaml:\n{config}"
        );
    }
}

#[test]
fn a_values_file_linked_outside_the_repository_is_never_read() {
    // A flux-instance HelmRelease whose values come from a configMapGenerator file: the file
    // is a link to a file outside holding a FluxInstance whose sync names the secret.
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n",
    );
    let app = repo.join("kubernetes/edge/apps/flux-system/flux-instance/app");
    fs::create_dir_all(&app).expect("create a directory");
    fs::write(
        app.join("kustomization.yaml"),
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ./helmrelease.yaml\n\
         configMapGenerator:\n  - name: flux-instance-values\n    files:\n      - values.yaml=./values.yaml\n",
    )
    .expect("write a file");
    fs::write(
        app.join("helmrelease.yaml"),
        "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\n  \
         namespace: flux-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: flux-instance\n      \
         sourceRef:\n        kind: HelmRepository\n        name: controlplaneio\n  valuesFrom:\n    - kind: ConfigMap\n      \
         name: flux-instance-values\n",
    )
    .expect("write a file");
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(
        outside.path().join("values.yaml"),
        format!(
            "instance:\n  distribution:\n    version: 2.4.x\n    registry: ghcr.io/{SECRET}\n  sync:\n    kind: \
             GitRepository\n    url: https://github.com/{SECRET}/x\n    ref: refs/heads/main\n    path: {SECRET}\n    \
             name: {SECRET}\n"
        ),
    )
    .expect("write a file");
    symlink(outside.path().join("values.yaml"), app.join("values.yaml")).expect("create a link");

    for format in ["text", "markdown", "json"] {
        let doctor = run_lossy(fluxgen(dir.path(), &["doctor", "--repo", "repo", "--format", format]));
        assert_no_secret(&format!("doctor --format {format}"), &doctor);
    }
    let import = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_no_secret("import", &import);
    if let Ok(config) = fs::read_to_string(dir.path().join("fluxgen.yaml")) {
        assert!(
            !config.contains(SECRET),
            "the outside file reached fluxgen.yaml:\n{config}"
        );
    }
}

#[test]
fn credentials_in_a_repository_url_are_never_copied_or_printed() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n",
    );
    let source = repo.join("kubernetes/edge/flux/config/cluster.yaml");
    let text = fs::read_to_string(&source).expect("read the source");
    fs::write(
        &source,
        text.replace(
            "ssh://git@github.com/example/home-ops",
            &format!("https://oauth2:{SECRET}@github.com/example/home-ops"),
        ),
    )
    .expect("write the source");

    let import = run_lossy(fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    assert_no_secret("import", &import);
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    let config = fs::read_to_string(dir.path().join("fluxgen.yaml")).expect("import wrote fluxgen.yaml");
    assert!(!config.contains(SECRET), "the token reached fluxgen.yaml:\n{config}");
    assert!(
        config.contains("url: https://github.com/example/home-ops"),
        "the URL is kept without its credentials:\n{config}"
    );
    assert!(
        import.stderr.contains("kubernetes/edge/flux/config/cluster.yaml:") && import.stderr.contains("credentials"),
        "import says where the credentials are:\n{}",
        import.stderr
    );

    for format in ["text", "markdown", "json"] {
        // With text, --graph prints only the graph: the report is judged without it.
        let graph: &[&str] = if format == "text" { &[] } else { &["--graph", "mermaid"] };
        let doctor = run_lossy(fluxgen(&repo, &[&["doctor", "--format", format][..], graph].concat()));
        assert_no_secret(&format!("doctor --format {format}"), &doctor);
        assert_eq!(
            doctor.code,
            Some(1),
            "committed credentials are an error: {}",
            doctor.stdout
        );
        assert!(doctor.stdout.contains("committed-credentials"), "{}", doctor.stdout);
    }
}

/// A config with `repository.url` and one cluster whose settings are `settings` (YAML flow).
fn config_with(url: &str, settings: &str) -> String {
    format!(
        "repository:\n  url: {url}\ndefaults:\n  {settings}\nclusters:\n  edge:\n    phase: instance\nrollout: [edge]\n"
    )
}

#[test]
fn a_url_with_credentials_in_the_config_is_refused_without_being_echoed() {
    for (url, settings, key) in [
        (
            format!("\"https://oauth2:{SECRET}@github.com/example/home-ops\""),
            "namespace: flux-system".to_owned(),
            "repository.url",
        ),
        (
            format!("\"https://{SECRET}@github.com/example/home-ops\""),
            "namespace: flux-system".to_owned(),
            "repository.url",
        ),
        (
            "ssh://git@github.com/example/home-ops".to_owned(),
            format!("schemaBaseUrl: \"https://x:{SECRET}@example.com\""),
            "defaults.schemaBaseUrl",
        ),
    ] {
        let dir = workdir();
        fs::write(dir.path().join("fluxgen.yaml"), config_with(&url, &settings)).expect("write the config");
        for command in [
            &["emit", "edge"][..],
            &["check", "--all"],
            &["plan", "edge"],
            &["emit", "--all"],
        ] {
            let run = run_lossy(fluxgen(dir.path(), command));
            let label = format!("{key} with `fluxgen {}`", command.join(" "));
            assert_no_secret(&label, &run);
            assert_eq!(run.code, Some(2), "{label}: {}", run.stderr);
            assert!(
                run.stderr.contains(key),
                "{label}: the error names the key: {}",
                run.stderr
            );
            assert!(run.stderr.contains("credentials"), "{label}: {}", run.stderr);
            assert!(
                !dir.path().join("kubernetes").exists(),
                "{label}: an error writes nothing"
            );
        }
    }
}

#[test]
fn a_schema_url_cannot_add_lines_to_generated_files() {
    let dir = workdir();
    let injected = "https://example.com\\n---\\napiVersion: rbac.authorization.k8s.io/v1\\nkind: ClusterRoleBinding";
    fs::write(
        dir.path().join("fluxgen.yaml"),
        config_with(
            "ssh://git@github.com/example/home-ops",
            &format!("schemaBaseUrl: \"{injected}\""),
        ),
    )
    .expect("write the config");
    let run = run_lossy(fluxgen(dir.path(), &["emit", "edge"]));
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    assert!(!run.stdout.contains("ClusterRoleBinding"), "{}", run.stdout);
    assert!(run.stderr.contains("defaults.schemaBaseUrl"), "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .all(|line| !line.starts_with("---") && !line.starts_with("kind:")),
        "the error quotes the value on one line: {}",
        run.stderr
    );
}

#[test]
fn a_secret_in_a_secret_name_field_is_refused_and_never_echoed() {
    let token = format!("AGE-SECRET-KEY-1{SECRET}");
    for settings in [
        format!("instance: {{ distribution: {{ imagePullSecret: \"{token}\" }} }}"),
        format!("instance: {{ distribution: {{ artifactPullSecret: \"{token}\" }} }}"),
        format!("tuning: {{ sopsAgeSecret: \"{token}\" }}"),
        format!("tuning: {{ syncKustomization: {{ decryptionSecret: \"{token}\" }} }}"),
        format!("tuning: {{ syncKustomization: {{ substituteFrom: [{{ kind: Secret, name: \"{token}\" }}] }} }}"),
        format!("webhook: {{ provider: github, token: {{ secret: \"{token}\" }} }}"),
        format!(
            "webhook: {{ provider: github, token: {{ externalSecret: {{ store: \"{token}\", key: flux, property: t }} }} }}"
        ),
    ] {
        let dir = workdir();
        fs::write(
            dir.path().join("fluxgen.yaml"),
            config_with("ssh://git@github.com/example/home-ops", &settings),
        )
        .expect("write the config");
        let run = run_lossy(fluxgen(dir.path(), &["emit", "edge"]));
        assert_eq!(run.code, Some(2), "{settings}: {}", run.stdout);
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "{settings}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("DNS-1123"), "{settings}: {}", run.stderr);
    }
}

#[test]
fn an_external_secret_property_is_quoted_as_go_templates_require() {
    let dir = workdir();
    fs::write(
        dir.path().join("fluxgen.yaml"),
        config_with(
            "ssh://git@github.com/example/home-ops",
            "webhook: { provider: github, token: { externalSecret: { store: onepassword, key: flux, property: \
             \"flux-token }}{{ .other\" } } }",
        ),
    )
    .expect("write the config");
    let run = run_lossy(fluxgen(dir.path(), &["emit", "edge"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains(r#"token: "{{ index . \"flux-token }}{{ .other\" }}""#),
        "the property is one quoted Go string:\n{}",
        run.stdout
    );
}

#[test]
fn names_and_paths_from_the_repository_stay_in_their_place_in_doctor_reports() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n",
    );
    // A Kustomization whose name and path hold a line break, a Markdown heading, an HTML tag,
    // a Mermaid label end and a terminal escape.
    fs::write(
        repo.join("kubernetes/edge/flux/extra.yaml"),
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: \"x\\\"]\\nINJECTED[\\\"y\"\n  \
         namespace: flux-system\nspec:\n  interval: 30m\n  path: \"./missing\\n## INJECTED <img src=https://e.example/p.png> \
         \\e[2J\"\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    )
    .expect("write a file");
    let markdown = run_lossy(fluxgen(
        &repo,
        &["doctor", "--format", "markdown", "--graph", "mermaid"],
    ));
    assert!(
        markdown.stdout.contains("INJECTED"),
        "the case reaches the report:\n{}",
        markdown.stdout
    );
    assert!(
        !markdown.stdout.contains("<img"),
        "an HTML tag reached the Markdown:\n{}",
        markdown.stdout
    );
    for line in markdown.stdout.lines() {
        assert!(
            !line.trim_start().starts_with("INJECTED") && !line.starts_with("## INJECTED"),
            "a value added a line:\n{}",
            markdown.stdout
        );
    }
    let text = run_lossy(fluxgen(&repo, &["doctor"]));
    assert!(
        text.stdout.contains("INJECTED"),
        "the case reaches the report:\n{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains('\u{1b}'),
        "a terminal escape reached the report:\n{}",
        text.stdout
    );
    assert!(
        text.stdout.lines().all(|line| !line.starts_with("## INJECTED")),
        "a value added a line:\n{}",
        text.stdout
    );
}

#[test]
fn import_force_replaces_the_config_whole_or_not_at_all() {
    let dir = workdir();
    let repo = dir.path().join("repo");
    gotk_repository(
        &repo,
        "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - \
         github.com/fluxcd/flux2/manifests/install?ref=v2.4.0\n",
    );
    let config = dir.path().join("fluxgen.yaml");
    let old =
        "# the user's config\nrepository: { url: ssh://git@github.com/example/home-ops }\nclusters: { edge: {} }\n";
    fs::write(&config, old).expect("write the config");
    // A disk that fills up after 1 KiB: the write is cut short (SIGXFSZ ends the process).
    let binary = insta_cmd::get_cargo_bin("fluxgen");
    let mut limited = std::process::Command::new("sh");
    limited
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args([
            "-c",
            "ulimit -f 1; exec \"$0\" import --repo repo -o fluxgen.yaml --force",
        ])
        .arg(&binary);
    let cut = support::run_lossy(limited);
    assert_ne!(cut.code, Some(0), "the write was cut short: {}", cut.stderr);
    assert_eq!(
        fs::read_to_string(&config).expect("read the config"),
        old,
        "a cut-short import left a fragment"
    );
    // Another reader's view of the old file (a hard link) keeps it whole through a full run.
    fs::hard_link(&config, dir.path().join("old.yaml")).expect("link the config");
    let run = run_lossy(fluxgen(
        dir.path(),
        &["import", "--repo", "repo", "-o", "fluxgen.yaml", "--force"],
    ));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(fs::read_to_string(dir.path().join("old.yaml")).expect("read"), old);
    assert!(fs::read_to_string(&config).expect("read").contains("edge:"));
}
