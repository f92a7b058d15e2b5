//! The release artefacts agree with what installers read: the cargo-binstall metadata of this
//! crate names exactly the archives `.github/workflows/release.yml` packs, for every target it
//! builds, in the format it packs them.

use std::path::Path;

fn workspace_file(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// A `key = "value"` line of a TOML table, as written.
fn toml_value(text: &str, table: &str, key: &str) -> String {
    let start = text
        .find(&format!("[{table}]"))
        .unwrap_or_else(|| panic!("no [{table}]"));
    let body = &text[start..];
    let body = &body[body.find('\n').unwrap_or(0)..];
    let body = &body[..body.find("\n[").unwrap_or(body.len())];
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("{key} = ")))
        .map(|value| value.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no {key} in [{table}]"))
}

#[test]
fn binstall_finds_the_archives_the_release_workflow_packs() {
    let manifest = workspace_file("crates/fluxgen-cli/Cargo.toml");
    let workflow = workspace_file(".github/workflows/release.yml");
    let url = toml_value(&manifest, "package.metadata.binstall", "pkg-url");
    assert_eq!(toml_value(&manifest, "package.metadata.binstall", "pkg-fmt"), "tgz");
    assert_eq!(
        toml_value(
            &manifest,
            "package.metadata.binstall.overrides.x86_64-pc-windows-msvc",
            "pkg-fmt"
        ),
        "zip"
    );
    // The workflow names each archive `fluxgen-${GITHUB_REF_NAME}-<target>` (the tag `v<version>`).
    assert!(workflow.contains(r#"name="fluxgen-${GITHUB_REF_NAME}-${{ matrix.target }}""#));
    assert!(workflow.contains(r#"archive="$name.tar.gz""#) && workflow.contains(r#"archive="$name.zip""#));
    let targets: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- {target: "))
        .filter_map(|rest| rest.split(',').next())
        .collect();
    assert_eq!(targets.len(), 5, "{targets:?}");
    for target in targets {
        let suffix = if target.contains("windows") { ".zip" } else { ".tar.gz" };
        let expanded = url
            .replace("{ repo }", "https://github.com/o/r")
            .replace("{ version }", "1.2.3")
            .replace("{ target }", target)
            .replace("{ archive-suffix }", suffix);
        assert_eq!(
            expanded,
            format!("https://github.com/o/r/releases/download/v1.2.3/fluxgen-v1.2.3-{target}{suffix}")
        );
    }
}
