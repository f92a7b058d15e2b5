//! The bad-repository corpus through the `fluxgen` binary: every directory of
//! `tests/bad_repos/` is a small GOTK-era repository with one defect (malformed YAML, tabs,
//! bytes that are not UTF-8, a binary file, a file over the scanner's size limit, symbolic-link
//! loops and other links, an alias bomb, duplicate keys, only templates, nothing at all, Flux
//! fields of the wrong type), and its `CASE.md` says what is wrong and what must happen.
//!
//! Each case is copied into a temporary directory (symbolic links recreated as links, inputs too
//! large to commit written by [`generate`]), then `fluxgen doctor --repo repo` and `fluxgen
//! import --repo repo -o fluxgen.yaml` run there (doctor first, so it judges the repository as
//! committed, not a config import wrote). One snapshot per case, `snapshots/bad-repos/<case>.snap`,
//! holds both runs: exit code, stdout, stderr. Besides the snapshot, every case must:
//!
//! - exit as the `Expected:` line of its `CASE.md` says, and never panic;
//! - when import refuses the repository, list exactly the files `CASE.md` names, each as
//!   `path:line:column: reason` (a line that exists) or `path: reason` where there is no
//!   position, then say that nothing was written and how to go on; doctor reports the same
//!   files at the same positions;
//! - write nothing unless import succeeds, and then only `fluxgen.yaml`.
//!
//! A new directory with a `CASE.md` is a new case; the corpus must keep at least 10.

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::Run;

/// The corpus.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_repos")
}

/// Every case directory, sorted; each must have a `CASE.md`.
fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(corpus())
        .expect("read the corpus")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    for case in &cases {
        assert!(
            case.join("CASE.md").is_file(),
            "{}: every case has a CASE.md saying its defect and the expected result",
            case.display()
        );
    }
    assert!(cases.len() >= 10, "the corpus has {} cases, fewer than 10", cases.len());
    cases
}

fn name(case: &Path) -> String {
    case.file_name().expect("a case name").to_string_lossy().into_owned()
}

/// What a case's `CASE.md` promises, from its `Expected:` paragraph.
#[derive(Debug, Default)]
struct Expected {
    /// `fluxgen import` exits ...
    import: i32,
    /// `fluxgen doctor` exits ...
    doctor: i32,
    /// Files import refuses, and whether each has a line and column.
    listed: Vec<(String, bool)>,
    /// Links import notes and lets pass.
    noted: Vec<String>,
}

impl Expected {
    /// Reads `Expected: `fluxgen import` exits 2 and lists `a.yaml` at a line and column, and
    /// `b` with no position; `fluxgen doctor` exits 0.` (or `... exits 0 with a note on `c``).
    fn read(case: &Path) -> Expected {
        let text = fs::read_to_string(case.join("CASE.md")).expect("read CASE.md");
        let paragraph = text
            .split("\n\n")
            .find(|p| p.starts_with("Expected: "))
            .unwrap_or_else(|| panic!("{}: CASE.md has no `Expected:` paragraph", case.display()))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let exit = |command: &str| -> i32 {
            let marker = format!("`fluxgen {command}` exits ");
            let at = paragraph
                .find(&marker)
                .unwrap_or_else(|| panic!("{}: no `{marker}` in {paragraph}", case.display()));
            paragraph[at + marker.len()..][..1].parse().expect("an exit code")
        };
        let mut expected = Expected {
            import: exit("import"),
            doctor: exit("doctor"),
            ..Expected::default()
        };
        // Odd pieces of a split at backticks are the quoted names.
        let pieces: Vec<&str> = paragraph.split('`').collect();
        for (index, quoted) in pieces.iter().enumerate().skip(1).step_by(2) {
            let (before, after) = (pieces[index - 1], pieces.get(index + 1).copied().unwrap_or_default());
            if after.starts_with(" at a line and column") {
                expected.listed.push(((*quoted).to_owned(), true));
            } else if after.starts_with(" with no position") {
                expected.listed.push(((*quoted).to_owned(), false));
            } else if before.ends_with("with a note on ") {
                expected.noted.push((*quoted).to_owned());
            }
        }
        expected
    }
}

/// Adds what a case does not commit: `huge-file`'s 20 MiB of YAML (over the scanner's 16 MiB),
/// and `symlink-outside`'s link to `/etc` (committed, it would pull `/etc` into whatever follows
/// links, `cargo package` first).
fn generate(case: &str, repo: &Path) {
    match case {
        "huge-file" => write_dashboards(&repo.join("kubernetes/edge/apps/default/echo/dashboards.yaml")),
        "symlink-outside" => {
            symlink("/etc", repo.join("kubernetes/edge/apps/default/echo/host")).expect("create a link");
        }
        _ => {}
    }
}

/// A ConfigMap of more than 20 MiB of valid YAML.
fn write_dashboards(path: &Path) {
    let mut out = std::io::BufWriter::new(fs::File::create(path).expect("create dashboards.yaml"));
    out.write_all(b"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards\ndata:\n")
        .expect("write");
    let mut written = 0usize;
    for index in 0.. {
        let line = format!("  panel-{index:07}.json: '{{\"title\": \"panel {index}\", \"type\": \"timeseries\"}}'\n");
        out.write_all(line.as_bytes()).expect("write");
        written += line.len();
        if written > 20 << 20 {
            break;
        }
    }
    out.flush().expect("flush");
}

/// What a path holds, for comparing trees byte for byte.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    Directory,
    File(Vec<u8>),
    Link(PathBuf),
}

/// Everything below `root`, links as links.
fn tree(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read a directory") {
            let entry = entry.expect("a directory entry");
            let path = entry.path();
            let kind = entry.file_type().expect("a file type");
            let node = if kind.is_symlink() {
                Node::Link(fs::read_link(&path).expect("read a link"))
            } else if kind.is_dir() {
                pending.push(path.clone());
                Node::Directory
            } else {
                Node::File(fs::read(&path).expect("read a file"))
            };
            found.insert(path.strip_prefix(root).expect("below root").to_path_buf(), node);
        }
    }
    found
}

/// A run's command line, exit code, stdout and stderr, as one section of a case's snapshot.
fn section(run: &Run) -> String {
    format!(
        "$ {}\nexit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        run.command,
        run.code.map_or_else(|| "none (killed)".to_owned(), |c| c.to_string()),
        run.stdout,
        run.stderr
    )
}

/// `fluxgen <args>` in `dir`, which must end within 30 seconds. The output is taken as it comes,
/// UTF-8 or not: the cases hold bytes that are not UTF-8.
fn fluxgen(dir: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let run = support::run_lossy(support::fluxgen(dir, args));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "`{}` took {:?}",
        run.command,
        started.elapsed()
    );
    run
}

/// A temporary directory holding the case as `repo/`, with no `fluxgen.yaml` above it.
fn workdir(case: &Path) -> tempfile::TempDir {
    let dir = support::workdir();
    let repo = dir.path().join("repo");
    support::copy_tree_keeping_links(case, &repo);
    generate(&name(case), &repo);
    dir
}

/// `path:line:column: ` at the start of `line` (after the two-space indent of a listed file):
/// the path and, when there is one, the position.
fn listed(line: &str) -> Option<(&str, Option<(u32, u32)>)> {
    let rest = line.strip_prefix("  ")?;
    let (head, _) = rest.split_once(": ")?;
    let mut parts = head.rsplitn(3, ':');
    let (column, line_number) = (parts.next()?, parts.next());
    match (line_number, parts.next()) {
        (Some(line_number), Some(path)) => Some((path, Some((line_number.parse().ok()?, column.parse().ok()?)))),
        _ => Some((head, None)),
    }
}

/// Checks an import that refused the repository: exactly the expected files, each located
/// where it has a position, and the closing line.
fn assert_refusal(label: &str, repo: &Path, expected: &Expected, import: &Run, doctor: &Run) {
    let lines: Vec<&str> = import.stderr.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("error: repo: ") && l.contains("could not be read")),
        "{label}: {}",
        import.stderr
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("nothing was written: ") && l.contains("--skip-unreadable")),
        "{label}: the last line says nothing was written and how to go on\n{}",
        import.stderr
    );
    let mut found = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        let (path, at) = listed(line).unwrap_or_else(|| panic!("{label}: not `path: reason`: {line}"));
        assert!(
            fs::symlink_metadata(repo.join(path)).is_ok(),
            "{label}: {path} is not in the repository"
        );
        let position = match at {
            Some((line_number, column)) => {
                let bytes = fs::read(repo.join(path)).expect("read a listed file");
                let lines = String::from_utf8_lossy(&bytes).lines().count();
                assert!(
                    line_number >= 1 && line_number as usize <= lines && column >= 1,
                    "{label}: {path}:{line_number}:{column} is not in the file"
                );
                format!("] {path}:{line_number}:{column}\n")
            }
            None => format!("] {path}\n"),
        };
        // Doctor reports the same file at the same position.
        assert!(
            doctor.stdout.contains(&position),
            "{label}: doctor lacks `{position}`\n{}",
            doctor.stdout
        );
        found.push((path.to_owned(), at.is_some()));
    }
    found.dedup();
    let mut wanted = expected.listed.clone();
    wanted.sort();
    found.sort();
    assert_eq!(found, wanted, "{label}: the files listed, and whether each is located");
}

#[test]
fn every_bad_repository_is_refused_located_or_let_pass_as_its_case_says() {
    let mut settings = support::snapshot_settings("bad-repos");
    settings.set_omit_expression(true);
    for case in cases() {
        let label = name(&case);
        let expected = Expected::read(&case);
        let dir = workdir(&case);
        let repo = dir.path().join("repo");
        let before = tree(dir.path());
        let doctor = fluxgen(dir.path(), &["doctor", "--repo", "repo"]);
        assert_eq!(tree(dir.path()), before, "{label}: doctor changed the files");
        let import = fluxgen(dir.path(), &["import", "--repo", "repo", "-o", "fluxgen.yaml"]);
        for run in [&doctor, &import] {
            assert!(
                !run.stderr.contains("panicked"),
                "{label}: `{}` panicked\n{}",
                run.command,
                run.stderr
            );
        }
        assert_eq!(
            doctor.code,
            Some(expected.doctor),
            "{label}: doctor's exit code\n{}",
            doctor.stdout
        );
        assert_eq!(
            import.code,
            Some(expected.import),
            "{label}: import's exit code\n{}",
            import.stderr
        );
        assert_eq!(import.stdout, "", "{label}: import printed on stdout");
        if expected.import == 0 {
            let mut after = tree(dir.path());
            let written = after.remove(Path::new("fluxgen.yaml"));
            assert!(
                matches!(written, Some(Node::File(ref bytes)) if bytes.starts_with(b"# fluxgen.yaml written by `fluxgen import`")),
                "{label}: import wrote no fluxgen.yaml"
            );
            assert_eq!(after, before, "{label}: import changed more than fluxgen.yaml");
            for path in &expected.noted {
                assert!(
                    import.stderr.contains(&format!("note: {path}: ")),
                    "{label}: no note on {path}\n{}",
                    import.stderr
                );
            }
        } else {
            assert_eq!(
                tree(dir.path()),
                before,
                "{label}: import refused but changed the files"
            );
            if expected.listed.is_empty() {
                assert!(
                    import.stderr.contains("error: no cluster found in repo"),
                    "{label}: {}",
                    import.stderr
                );
            } else {
                assert_refusal(&label, &repo, &expected, &import, &doctor);
            }
        }
        settings.set_input_file(case.join("CASE.md"));
        settings.bind(|| {
            insta::assert_snapshot!(label.clone(), format!("{}\n{}", section(&doctor), section(&import)));
        });
    }
}

#[test]
fn skip_unreadable_lets_every_refused_file_pass_as_a_located_warning() {
    for case in cases() {
        let label = name(&case);
        let expected = Expected::read(&case);
        if expected.listed.is_empty() {
            continue;
        }
        let dir = workdir(&case);
        let before = tree(dir.path());
        let run = fluxgen(
            dir.path(),
            &["import", "--repo", "repo", "-o", "-", "--skip-unreadable"],
        );
        assert!(!run.stderr.contains("panicked"), "{label}: {}", run.stderr);
        // Without the file, import may still find nothing to sync from (the root Kustomization
        // was in it): that is a refusal of its own, never a config that does not load.
        assert!(!run.stderr.contains("a fluxgen bug"), "{label}: {}", run.stderr);
        match run.code {
            Some(0) => assert!(
                run.stdout.starts_with("# fluxgen.yaml written by `fluxgen import`"),
                "{label}"
            ),
            Some(2) => assert!(
                run.stderr.contains("error: no Git repository to sync from"),
                "{label}: {}",
                run.stderr
            ),
            other => panic!("{label}: exit code {other:?}\n{}", run.stderr),
        }
        for (path, _) in &expected.listed {
            assert!(
                run.stderr.contains(&format!("warning: {path}")),
                "{label}: no warning on {path}\n{}",
                run.stderr
            );
        }
        assert!(run.stderr.contains("(--skip-unreadable)"), "{label}: {}", run.stderr);
        assert_eq!(tree(dir.path()), before, "{label}: `-o -` wrote a file");
    }
}

#[test]
fn a_document_that_does_not_parse_leaves_the_others_of_its_file() {
    // unterminated-quote: the ConfigMap before `cluster-apps` is lost, `cluster-apps` is not.
    let dir = workdir(&corpus().join("unterminated-quote"));
    let run = fluxgen(
        dir.path(),
        &["import", "--repo", "repo", "-o", "-", "--skip-unreadable"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: kubernetes/edge/flux/apps.yaml:8:13: malformed YAML"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`cluster-apps`"), "{}", run.stderr);
}
