//! Bad input through the `fluxgen` binary: every config of the bad-config corpus
//! (`crates/fluxgen-core/tests/config_errors/`), bytes that are not UTF-8, a 5 MB config and an
//! endless one. Each must exit 2 with an error located at `file:line:column`, print nothing on
//! stdout, write nothing, and never panic.

#[allow(dead_code)]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The output is read with `run_lossy`, as it comes, UTF-8 or not: the input is not always UTF-8.
use support::{Links, fluxgen, read_tree, run_lossy};

/// The first `<file>:<line>:<column>:` in `text`, with line and column.
fn location(text: &str, file: &str) -> Option<(u32, u32)> {
    text.match_indices(&format!("{file}:")).find_map(|(at, found)| {
        let mut parts = text[at + found.len()..].splitn(3, ':');
        let line = parts.next()?.parse().ok()?;
        let column = parts.next()?.parse().ok()?;
        parts.next()?;
        Some((line, column))
    })
}

/// A temporary repository holding `fluxgen.yaml` with `bytes`, and a committed file beside it.
fn repository(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("fluxgen.yaml"), bytes).expect("write the config");
    fs::create_dir_all(dir.path().join("kubernetes/edge")).expect("create a directory");
    fs::write(dir.path().join("kubernetes/edge/keep.yaml"), "kind: ConfigMap\n").expect("write a file");
    dir
}

/// Every command that reads the config.
const EVERY_COMMAND: &[&[&str]] = &[
    &["emit", "--all"],
    &["emit", "edge", "-o", "out"],
    &["check", "--all"],
    &["explain", "edge"],
    &["plan", "edge"],
];

/// Runs `commands` and checks each refusal; returns the location.
fn assert_refused(dir: &Path, label: &str, commands: &[&[&str]]) -> (u32, u32) {
    let before = read_tree(dir, Links::Follow);
    let mut located = None;
    for args in commands {
        let run = run_lossy(fluxgen(dir, args));
        assert_eq!(
            run.code,
            Some(2),
            "{label}: `fluxgen {}` exit code\n{}",
            args.join(" "),
            run.stderr
        );
        assert_eq!(
            run.stdout,
            "",
            "{label}: `fluxgen {}` printed on stdout",
            args.join(" ")
        );
        assert!(!run.stderr.contains("panicked"), "{label}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{label}: {}", run.stderr);
        let at = location(&run.stderr, "fluxgen.yaml").unwrap_or_else(|| {
            panic!(
                "{label}: `fluxgen {}`: no fluxgen.yaml:line:column in\n{}",
                args.join(" "),
                run.stderr
            )
        });
        assert!(at.0 > 0 && at.1 > 0, "{label}: {}", run.stderr);
        located = Some(at);
        assert_eq!(
            read_tree(dir, Links::Follow),
            before,
            "{label}: `fluxgen {}` changed the files",
            args.join(" ")
        );
    }
    located.expect("at least one command ran")
}

#[test]
fn every_bad_config_of_the_corpus_exits_2_located_and_writes_nothing() {
    let corpus = support::core_tests().join("config_errors");
    let mut fixtures: Vec<PathBuf> = fs::read_dir(&corpus)
        .expect("read the corpus")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 40, "the corpus has {} configs", fixtures.len());
    for fixture in fixtures {
        let dir = repository(&fs::read(&fixture).expect("read a fixture"));
        // The commands share the loading; two of them keep the run short.
        assert_refused(dir.path(), &fixture.display().to_string(), &EVERY_COMMAND[..2]);
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused_at_their_line_and_column() {
    let cases: [(&str, &[u8], (u32, u32)); 4] = [
        (
            "latin-1 in a value",
            b"repository:\n  url: ssh://git@github.com/caf\xe9/x\nclusters: { edge: {} }\n",
            (2, 32),
        ),
        ("latin-1 in a comment", b"# r\xe9sum\xe9\nrepository: {}\n", (1, 4)),
        ("UTF-16 with a byte-order mark", b"\xff\xfer\0e\0p\0o\0:\0", (1, 1)),
        (
            "a truncated UTF-8 sequence",
            b"clusters:\n  edge: {}\n  \xe2\x82",
            (3, 3),
        ),
    ];
    for (label, bytes, expected) in cases {
        let dir = repository(bytes);
        let at = assert_refused(dir.path(), label, EVERY_COMMAND);
        assert_eq!(at, expected, "{label}");
        let run = run_lossy(fluxgen(dir.path(), &["emit", "--all"]));
        assert!(run.stderr.contains("not UTF-8"), "{label}: {}", run.stderr);
    }
}

#[test]
fn a_five_megabyte_config_is_refused_at_its_mistake_in_reasonable_time() {
    let mut text = String::from(
        "repository:\n  url: ssh://git@github.com/example/haynes-ops\ndefaults:\n  operator:\n    values:\n",
    );
    let mut index = 0;
    while text.len() < 5 << 20 {
        text.push_str(&format!("      key{index:06}: \"{}\"\n", "v".repeat(40)));
        index += 1;
    }
    let mistake = text.lines().count() as u32 + 2;
    text.push_str("  tuning:\n    workers: ten\nclusters:\n  edge: {}\n");
    let dir = repository(text.as_bytes());
    let started = Instant::now();
    let at = assert_refused(dir.path(), "5 MB config", &EVERY_COMMAND[..3]);
    assert_eq!(at, (mistake, 14));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "five runs took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_endless_config_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let run = run_lossy(fluxgen(dir.path(), &["-c", "/dev/zero", "emit", "--all"]));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("/dev/zero: the config is larger than 64 MiB"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(read_tree(dir.path(), Links::Follow).is_empty());
}

#[test]
fn a_config_that_is_a_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::create_dir(dir.path().join("fluxgen.yaml.d")).expect("create a directory");
    let run = run_lossy(fluxgen(dir.path(), &["-c", "fluxgen.yaml.d", "emit", "--all"]));
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("fluxgen.yaml.d"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

// --- Output trees that lead out through a symlink ----------------------------------------------

/// The built-in example's edge cluster (phase `instance`) as a config file.
const EDGE_CONFIG: &str = "repository: { url: ssh://git@github.com/example/haynes-ops }\nclusters: { edge: { phase: instance }, main: { phase: operator } }\nrollout: [edge, main]\n";

/// A generated file from an earlier run, in the directory a link points to.
const OLD_GENERATED: &str = "---\n# Generated by fluxgen from fluxgen.yaml: change the config and run `fluxgen emit`, not this file.\nkind: Old\n";

#[cfg(unix)]
fn symlinked_output(link: &str, command: &[&str]) {
    let dir = repository(EDGE_CONFIG.as_bytes());
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    fs::create_dir_all(elsewhere.path().join("app")).expect("create a directory");
    fs::write(elsewhere.path().join("ks.yaml"), OLD_GENERATED).expect("write a file");
    fs::write(elsewhere.path().join("app/helmrelease.yaml"), OLD_GENERATED).expect("write a file");
    let link_path = dir.path().join(link);
    fs::create_dir_all(link_path.parent().expect("a parent")).expect("create a directory");
    std::os::unix::fs::symlink(elsewhere.path(), &link_path).expect("create a symlink");
    let (inside, outside) = (
        read_tree(dir.path(), Links::Follow),
        read_tree(elsewhere.path(), Links::Follow),
    );
    let run = run_lossy(fluxgen(dir.path(), command));
    let label = format!("{link} with `fluxgen {}`", command.join(" "));
    assert_eq!(run.code, Some(2), "{label}: {}", run.stderr);
    assert!(run.stderr.contains("symlink"), "{label}: {}", run.stderr);
    assert!(
        run.stderr.contains(link),
        "{label}: the message names the link: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{label}: {}", run.stderr);
    assert_eq!(
        read_tree(dir.path(), Links::Follow),
        inside,
        "{label}: something was written inside"
    );
    assert_eq!(
        read_tree(elsewhere.path(), Links::Follow),
        outside,
        "{label}: something was written through the link"
    );
}

#[test]
#[cfg(unix)]
fn an_output_path_through_a_symlinked_directory_is_refused_and_nothing_is_written() {
    // An app directory, a directory inside one, with -o and with --all.
    symlinked_output("out/flux-operator", &["emit", "edge", "-o", "out"]);
    symlinked_output("out/flux-instance/app", &["emit", "edge", "-o", "out"]);
    symlinked_output("kubernetes/edge/apps/flux-system/flux-operator", &["emit", "--all"]);
    // `main` is at phase operator: its stale flux-instance files would be removed, but not
    // through a link.
    symlinked_output("kubernetes/main/apps/flux-system/flux-instance", &["emit", "--all"]);
    symlinked_output("kubernetes/edge/apps/flux-system/flux-instance", &["check", "--all"]);
}

#[test]
#[cfg(unix)]
fn an_output_directory_given_through_a_symlink_is_written() {
    // The directory itself is the user's choice; only what lies below it must stay below it.
    let dir = repository(EDGE_CONFIG.as_bytes());
    fs::create_dir(dir.path().join("real")).expect("create a directory");
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("out")).expect("create a symlink");
    let run = run_lossy(fluxgen(dir.path(), &["emit", "edge", "-o", "out"]));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(dir.path().join("real/flux-operator/ks.yaml").is_file());
}
