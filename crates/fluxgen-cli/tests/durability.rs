//! The durability contract of `fluxgen emit` (README "Guarantees"): by default written files
//! are renamed into place without a flush, and a file that a power cut left empty (or full of
//! zeros) is replaced by the next run; `--durable` flushes every file before the first rename.
//! The kill test (`kill.rs`) holds the other half: a killed run leaves every file old or new.

#![cfg(unix)]

#[allow(dead_code)]
mod support;

use std::fs;

use support::{fluxgen, on_path, run, workdir};

const HELMRELEASE: &str = "kubernetes/edge/apps/flux-system/flux-operator/app/helmrelease.yaml";
const KS: &str = "kubernetes/edge/apps/flux-system/flux-instance/ks.yaml";

#[test]
fn a_file_a_power_cut_left_empty_or_zeroed_is_replaced_and_a_users_file_is_still_refused() {
    let dir = workdir();
    let root = dir.path();
    assert_eq!(run(fluxgen(root, &["init"])).code, Some(0));
    let first = run(fluxgen(root, &["emit", "--all"]));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let helmrelease = fs::read(root.join(HELMRELEASE)).unwrap();
    let ks = fs::read(root.join(KS)).unwrap();

    // What an unflushed write can look like after a power cut: no data, or the size without it.
    fs::write(root.join(HELMRELEASE), b"").unwrap();
    fs::write(root.join(KS), vec![0u8; ks.len()]).unwrap();
    let rerun = run(fluxgen(root, &["emit", "--all"]));
    assert_eq!(rerun.code, Some(0), "{}", rerun.stderr);
    assert!(rerun.stderr.contains("2 written"), "{}", rerun.stderr);
    assert_eq!(fs::read(root.join(HELMRELEASE)).unwrap(), helmrelease);
    assert_eq!(fs::read(root.join(KS)).unwrap(), ks);
    assert_eq!(run(fluxgen(root, &["check", "--all"])).code, Some(0));

    // A file with anything else in it, a single character included, is the user's.
    fs::write(root.join(HELMRELEASE), b"\n").unwrap();
    fs::write(root.join(KS), b"# mine\n").unwrap();
    let refused = run(fluxgen(root, &["emit", "--all"]));
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(refused.stderr.contains("helmrelease.yaml"), "{}", refused.stderr);
    assert_eq!(fs::read(root.join(HELMRELEASE)).unwrap(), b"\n");
    assert_eq!(fs::read(root.join(KS)).unwrap(), b"# mine\n");
}

/// The system calls that make data durable, seen with `strace` (skipped, with the reason, where
/// it is not installed: it is not one of the validators CI installs).
#[test]
fn only_a_durable_write_flushes_and_it_flushes_before_the_first_rename() {
    let Some(strace) = on_path("strace") else {
        eprintln!("skipping: strace is not on PATH (this test watches the system calls of a write)");
        return;
    };
    let calls = |durable: bool| -> Vec<String> {
        let dir = workdir();
        let root = dir.path();
        assert_eq!(run(fluxgen(root, &["init"])).code, Some(0));
        let trace = root.join("trace");
        let mut args = vec!["emit", "--all"];
        if durable {
            args.push("--durable");
        }
        let traced = fluxgen(root, &args);
        let mut cmd = std::process::Command::new(&strace);
        cmd.current_dir(root)
            .args(["-f", "-qq", "-o"])
            .arg(&trace)
            .args(["-e", "trace=syncfs,fsync,fdatasync,sync,rename,renameat,renameat2"])
            .arg(traced.get_program())
            .args(traced.get_args())
            .env("NO_COLOR", "1");
        let done = run(cmd);
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        let text = fs::read_to_string(&trace).unwrap();
        text.lines()
            .filter_map(|line| {
                let call = line.split_whitespace().nth(1)?;
                Some(call.split('(').next()?.to_owned())
            })
            .collect()
    };
    let plain = calls(false);
    assert!(
        plain.iter().any(|c| c.starts_with("rename")),
        "files are renamed into place: {plain:?}"
    );
    assert!(
        !plain.iter().any(|c| c.contains("sync")),
        "nothing is flushed by default: {plain:?}"
    );
    let durable = calls(true);
    let first_rename = durable.iter().position(|c| c.starts_with("rename")).expect("renames");
    let first_flush = durable
        .iter()
        .position(|c| c.contains("sync"))
        .expect("--durable flushes");
    assert!(
        first_flush < first_rename,
        "the flush comes before the first rename: {durable:?}"
    );
}
