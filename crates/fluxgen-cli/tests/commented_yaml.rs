//! YAML files with long comment blocks, as charts and manifests have them (hundreds of comment
//! lines under a key, commented-out sections), read by `fluxgen doctor` and `fluxgen import`
//! exactly as the same files without the comments.
//!
//! The repository is the core crate's `repos/single-cluster` test repository, copied twice into
//! a temporary directory: once as it is, once with comment blocks written into its Flux objects
//! and with a chart values file and a Deployment that are mostly comments added. Both runs must
//! print the same and write the same `fluxgen.yaml`.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::Path;

use support::{Run, fluxgen, run};

/// The files of `single-cluster` that get comment blocks: Flux objects without block scalars
/// (a comment line inside a `|` block would be text, not a comment).
const COMMENTED: [&str; 4] = [
    "kubernetes/apps/default/echo-server/app/helmrelease.yaml",
    "kubernetes/apps/default/echo-server/ks.yaml",
    "kubernetes/apps/default/echo-server/app/kustomization.yaml",
    "kubernetes/apps/kube-system/metrics-server/app/helmrelease.yaml",
];

/// `count` comment lines indented by `indent` spaces, as a chart's values file writes them.
fn comment_block(indent: usize, count: usize) -> String {
    let pad = " ".repeat(indent);
    (0..count)
        .map(|i| match i % 3 {
            0 => format!("{pad}## @param line {i}: what the setting below does, and its default\n"),
            1 => format!("{pad}# option{i}: value  # commented out\n"),
            _ => format!("{pad}#\n"),
        })
        .collect()
}

/// `text` with a comment block after every line that ends in `:` (so the parser has to look
/// past the block to know what the key holds), 40 to 640 lines each, and a commented-out
/// section at the end.
fn with_comments(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim_start();
        if trimmed.ends_with(':') && !trimmed.starts_with('#') {
            out.push_str(&comment_block(line.len() - trimmed.len() + 2, 40 + (i * 137) % 601));
        }
    }
    out.push_str(&comment_block(0, 300));
    out
}

/// A chart values file: a 650-line header and a comment block under every key.
fn values_file() -> String {
    let values = "global:\n  imageRegistry: \"\"\nimage:\n  repository: ghcr.io/example/app\n  tag: \"1.2.3\"\n\
                  extraVolumes:\n  - name: data\n    emptyDir: {}\nresources:\naffinity:\ntolerations: []\n\
                  ingress:\n  enabled: true\n  hosts:\n    - host: app.example.com\n";
    format!("{}{}", comment_block(0, 650), with_comments(values))
}

/// A Deployment whose sidecar (600 lines) is commented out, then a Service.
fn manifest_file() -> String {
    let deployment = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n";
    format!(
        "{deployment}{}        - name: web\n          image: nginx:1.27\n{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
        comment_block(8, 600),
        comment_block(0, 100)
    )
}

/// `fluxgen doctor` and `fluxgen import` on `repo/` in `dir`.
fn doctor_and_import(dir: &Path) -> (Run, Run, String) {
    let doctor = run(fluxgen(dir, &["doctor", "--repo", "repo"]));
    let import = run(fluxgen(dir, &["import", "--repo", "repo", "-o", "fluxgen.yaml"]));
    let written = fs::read_to_string(dir.join("fluxgen.yaml")).unwrap_or_default();
    (doctor, import, written)
}

#[test]
fn long_comment_blocks_change_nothing() {
    let source = support::core_tests().join("repos/single-cluster");
    let plain = support::workdir();
    support::copy_tree(&source, &plain.path().join("repo"));
    let commented = support::workdir();
    let repo = commented.path().join("repo");
    support::copy_tree(&source, &repo);
    let mut comment_lines = 0;
    for file in COMMENTED {
        let text = with_comments(&fs::read_to_string(repo.join(file)).unwrap());
        comment_lines += text.lines().filter(|l| l.trim_start().starts_with('#')).count();
        fs::write(repo.join(file), text).unwrap();
    }
    let chart = repo.join("kubernetes/apps/default/echo-server/chart");
    fs::create_dir_all(&chart).unwrap();
    fs::write(chart.join("values.yaml"), values_file()).unwrap();
    fs::write(chart.join("web.yaml"), manifest_file()).unwrap();
    assert!(comment_lines > 5000, "{comment_lines} comment lines");

    let (doctor, import, written) = doctor_and_import(plain.path());
    assert_eq!(doctor.code, Some(0), "{}\n{}", doctor.stdout, doctor.stderr);
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    let (commented_doctor, commented_import, commented_written) = doctor_and_import(commented.path());
    for output in [
        &commented_doctor.stdout,
        &commented_doctor.stderr,
        &commented_import.stderr,
    ] {
        assert!(!output.contains("malformed"), "{output}");
        assert!(!output.contains("comments"), "{output}");
        assert!(
            !output.contains("values.yaml") && !output.contains("web.yaml"),
            "{output}"
        );
    }
    assert_eq!(commented_doctor.code, doctor.code);
    assert_eq!(commented_doctor.stdout, doctor.stdout);
    assert_eq!(commented_doctor.stderr, doctor.stderr);
    assert_eq!(commented_import.code, import.code);
    assert_eq!(commented_import.stderr, import.stderr);
    assert_eq!(commented_written, written);
}
