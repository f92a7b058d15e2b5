//! No output of any command, in any format, contains a secret: every command that reads a
//! config or a repository runs on the suite's fixtures that hold a plaintext token (the
//! bad-config corpus) or a SOPS-encrypted file (`crates/fluxgen-core/tests/repos/`, and the
//! reference repositories of `$FLUXGEN_SHARED/refs` that have one), and its stdout, its stderr
//! and every file it writes are searched for each token and each SOPS value (ciphertext, IV,
//! tag, MAC, encrypted data keys, and the fixture's known plaintext).

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use support::{Links, core_tests, fluxgen, run_lossy, shared_dir};

/// Every regular file below `root` with its bytes (symbolic links left out, never followed).
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    support::read_tree(root, Links::Skip)
}

/// Copies the bytes of the regular files of `from` (no links, no permissions: every copy is
/// writable) to `to`.
fn copy_files(from: &Path, to: &Path) {
    for (relative, bytes) in tree(from) {
        let target = to.join(relative);
        fs::create_dir_all(target.parent().expect("a parent")).expect("create a directory");
        fs::write(target, bytes).expect("write a file");
    }
}

/// The plaintext tokens of the bad-config corpus: every word with `SECRET` in it.
fn tokens() -> Vec<(PathBuf, Vec<String>)> {
    let mut found = Vec::new();
    for (relative, bytes) in tree(&core_tests().join("config_errors")) {
        let text = String::from_utf8_lossy(&bytes);
        let mut words: Vec<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .filter(|w| w.contains("SECRET"))
            .map(str::to_owned)
            .collect();
        words.sort();
        words.dedup();
        if !words.is_empty() {
            found.push((core_tests().join("config_errors").join(relative), words));
        }
    }
    found
}

/// What a SOPS file must never leak: the data, IV, tag of every `ENC[...]` value and the lines
/// of each encrypted data key (at least 8 characters, so that no short word is taken for one).
fn sops_values(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    for (at, _) in text.match_indices("ENC[") {
        let end = text[at..].find(']').map_or(text.len(), |e| at + e);
        for part in text[at + 4..end].split(',') {
            if let Some((name, value)) = part.split_once(':')
                && matches!(name, "data" | "iv" | "tag")
            {
                values.push(value.to_owned());
            }
        }
    }
    let mut in_key = false;
    for line in text.lines() {
        let line = line.trim().trim_start_matches('|').trim();
        if line.contains("BEGIN AGE ENCRYPTED FILE") {
            in_key = true;
        } else if line.contains("END AGE ENCRYPTED FILE") {
            in_key = false;
        } else if in_key {
            values.push(line.to_owned());
        }
    }
    values.retain(|v| v.len() >= 8);
    values.sort();
    values.dedup();
    values
}

/// Repositories with SOPS files: the suite's own, and those of the reference set (when present).
fn sops_repositories() -> Vec<(PathBuf, Vec<String>)> {
    let mut roots: Vec<PathBuf> = Vec::new();
    for base in [core_tests().join("repos"), shared_dir().join("refs")] {
        let Ok(entries) = fs::read_dir(&base) else { continue };
        roots.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    roots.sort();
    roots
        .into_iter()
        .filter_map(|root| {
            let mut values = Vec::new();
            for (relative, bytes) in tree(&root) {
                let name = relative.to_string_lossy();
                let text = String::from_utf8_lossy(&bytes);
                if name.contains(".sops.") || text.contains("\nsops:") {
                    values.extend(sops_values(&text));
                }
            }
            (!values.is_empty()).then_some((root, values))
        })
        .collect()
}

/// Runs `fluxgen <args>` in `dir`, which must not panic, and returns stdout and stderr (taken as
/// they come, UTF-8 or not: a leak is searched for, whatever its encoding).
fn printed(dir: &Path, args: &[&str]) -> String {
    let run = run_lossy(fluxgen(dir, args));
    assert!(
        !run.stderr.contains("panicked"),
        "`{}` panicked:\n{}",
        run.command,
        run.stderr
    );
    format!("{}\n{}", run.stdout, run.stderr)
}

/// Every command, in every format, for each cluster, in `dir` (the repository root, with its
/// `fluxgen.yaml`); returns what they printed and the files they wrote or changed.
fn every_output(dir: &Path, clusters: &[&str]) -> Vec<(String, String)> {
    let before = tree(dir);
    let mut outputs = Vec::new();
    let mut run = |args: Vec<&str>| {
        outputs.push((format!("fluxgen {}", args.join(" ")), printed(dir, &args)));
    };
    run(vec!["import", "--repo", ".", "-o", "-"]);
    for cluster in clusters {
        run(vec!["emit", cluster]);
        run(vec!["explain", cluster]);
        run(vec!["explain", cluster, "--output", "json"]);
        run(vec!["plan", cluster]);
        run(vec!["check", cluster, "--format", "markdown"]);
        run(vec!["emit", cluster, "-o", "out"]);
    }
    run(vec!["check", "--all"]);
    run(vec!["check", "--all", "--format", "markdown"]);
    run(vec!["emit", "--all"]);
    run(vec!["check", "--all"]);
    run(vec!["import", "--repo", ".", "-o", "imported.yaml"]);
    for (relative, bytes) in tree(dir) {
        if before.get(&relative) != Some(&bytes) {
            outputs.push((
                format!("the file {}", relative.display()),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    outputs
}

fn assert_no_secret(label: &str, outputs: &[(String, String)], secrets: &[String]) {
    assert!(!secrets.is_empty(), "{label}: no secret to look for");
    for (what, text) in outputs {
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{label}: {what} contains the secret `{secret}`:\n{text}"
            );
        }
    }
}

#[test]
fn plaintext_tokens_of_the_corpus_appear_in_no_output() {
    let fixtures = tokens();
    assert!(fixtures.len() >= 2, "the corpus has configs with plaintext tokens");
    for (fixture, secrets) in fixtures {
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs::copy(&fixture, dir.path().join("fluxgen.yaml")).expect("copy the fixture");
        let outputs = every_output(dir.path(), &["edge", "main"]);
        assert_no_secret(&fixture.display().to_string(), &outputs, &secrets);
    }
}

#[test]
fn sops_values_appear_in_no_output() {
    let repositories = sops_repositories();
    assert!(
        repositories.iter().any(|(root, _)| root.ends_with("haynes-ops")),
        "the suite's haynes-ops repository has a SOPS file"
    );
    for (root, mut secrets) in repositories {
        if root.ends_with("haynes-ops") {
            // The fixture's ciphertext is the Base64 of a known value.
            assert!(secrets.contains(&"ZmFrZS1maXh0dXJlLXZhbHVl".to_owned()), "{secrets:?}");
            secrets.push("fake-fixture-value".to_owned());
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_files(&root, dir.path());
        // The repository as it is (fluxgen imports its config), then with the built-in example
        // (the haynes-ops clusters `edge` and `main`).
        let mut outputs = every_output(dir.path(), &["edge", "main"]);
        let imported = dir.path().join("imported.yaml");
        if imported.is_file() {
            fs::copy(&imported, dir.path().join("fluxgen.yaml")).expect("use the imported config");
            let clusters = cluster_names(&fs::read_to_string(&imported).expect("read the imported config"));
            let names: Vec<&str> = clusters.iter().map(String::as_str).collect();
            outputs.extend(every_output(dir.path(), &names));
        }
        eprintln!(
            "{}: {} outputs searched for {} SOPS values",
            root.display(),
            outputs.len(),
            secrets.len()
        );
        assert_no_secret(&root.display().to_string(), &outputs, &secrets);
    }
}

/// The cluster names of a config (the keys under `clusters:`), read as YAML.
fn cluster_names(config: &str) -> Vec<String> {
    let value: serde_json::Value = serde_saphyr::from_str(config).unwrap_or_default();
    value["clusters"]
        .as_object()
        .map(|clusters| clusters.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
#[should_panic(expected = "contains the secret")]
fn the_search_finds_a_leak() {
    let values = sops_values("a: ENC[AES256_GCM,data:ZmFrZS1maXh0dXJlLXZhbHVl,iv:AAAA,tag:BBBB,type:str]\n");
    assert_eq!(values, ["ZmFrZS1maXh0dXJlLXZhbHVl"]);
    let outputs = [("stdout".to_owned(), "value: ZmFrZS1maXh0dXJlLXZhbHVl\n".to_owned())];
    assert_no_secret("self-test", &outputs, &values);
}
