#!/usr/bin/env bash
# A new crate in a temporary directory that depends on fluxgen-core (by path) without its
# default features, as a tool that only builds objects does: it must build objects, render
# them and write them with fluxgen's safe writer, and must not compile the config validator,
# the templates or the scanner (none of their dependencies is in its dependency graph).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/dependent-crate-scaffold.sh
new_dependent_crate builds-flux-objects ', default-features = false, features = ["k8s-openapi-latest"]'
cat >"$dir/src/main.rs" <<'RUST'
use fluxgen_core::objects::OciRef;
use fluxgen_core::{HelmRelease, KustomizationFile, Manifest, OciRepository, Tree};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let chart = OciRepository::new("podinfo", "oci://ghcr.io/stefanprodan/charts/podinfo")
        .with_ref(OciRef::tag("6.9.2"))
        .with_helm_chart_layer();
    let release = HelmRelease::from_oci_repository("podinfo").with_interval("30m");
    assert!(chart.violations().is_empty() && release.violations().is_empty());
    let base = fluxgen_core::DEFAULT_SCHEMA_BASE_URL;
    let mut tree = Tree::new("edge", "apps/podinfo");
    tree.insert("app/helmrelease.yaml", &release, base)?;
    tree.insert("app/ocirepository.yaml", &chart, base)?;
    tree.insert_kustomization_file(
        "app/kustomization.yaml",
        &KustomizationFile::new(["./helmrelease.yaml", "./ocirepository.yaml"]),
    );
    let out = std::env::args().nth(1).ok_or("usage: builds-flux-objects <dir>")?;
    let dir = fluxgen_core::emit::tree_dir(std::path::Path::new(&out), &tree.root);
    let report = fluxgen_core::write(&[(dir.clone(), tree)])?;
    assert_eq!(report.written.len(), 3);
    assert_eq!(
        std::fs::read_to_string(dir.join("app/helmrelease.yaml"))?,
        fluxgen_core::render(&release, base)?
    );
    println!("the objects-only example ran");
    Ok(())
}
RUST
# What only the config, the templates and the scanner need stays out of the build.
heavy=$(cargo tree -q --manifest-path "$dir/Cargo.toml" -e normal,build --prefix none |
    awk '{ print $1 }' | grep -xE 'jsonschema|minijinja|regex|json-patch|schemars' | sort -u || true)
if [ -n "$heavy" ]; then
    echo "an objects-only dependent compiles what it does not need: $heavy" >&2
    exit 1
fi
mkdir "$dir/out"
run_dependent_crate "$dir/out"
