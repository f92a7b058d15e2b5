#!/usr/bin/env bash
# Installs the real validators (kubectl, yamllint, ...) into .tools and runs the workspace tests
# with them on PATH, so the differential tests in crates/fluxgen-core/tests/real_validators.rs run
# instead of skipping. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared="${FLUXGEN_SHARED:-$(pwd)/../shared}"
eval "$(bash "$shared/tools/install-validators.sh" .tools)"
cargo test --workspace --locked "$@"
