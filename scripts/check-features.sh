#!/usr/bin/env bash
# fluxgen-core's feature sets each build alone, without warnings: none (the objects, `render`,
# `Tree` and the safe writer; with `k8s-openapi-latest` for k8s-openapi's version), then each
# feature with what it includes. `cargo clippy` is `cargo check` with the lints, so one run per
# set checks both. The default set (all of them) is what the workspace's clippy run checks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for features in k8s-openapi-latest k8s-openapi-latest,tuning k8s-openapi-latest,generator k8s-openapi-latest,migration; do
    echo "fluxgen-core with --no-default-features --features $features" >&2
    cargo clippy -p fluxgen-core --lib --locked --no-default-features --features "$features" -- -D warnings
done
