#!/usr/bin/env bash
# Installs the real validators (kubectl, yamllint, ...) into .tools and runs the workspace tests
# with them on PATH, so the differential tests in crates/fluxgen-core/tests/real_validators.rs run
# instead of skipping. Extra arguments go to `cargo test`.
#
# Also installs the CEL evaluator the CRD rule checks use: cel-python (PyPI) in .tools/cel, with
# `crd-cel-rules` (scripts/crd-cel-rules.py) on PATH, so the FluxInstance CRD's
# `x-kubernetes-validations` rules are evaluated on emitted objects as the API server would.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shared="${FLUXGEN_SHARED:-$(pwd)/../shared}"
eval "$(bash "$shared/tools/install-validators.sh" .tools)"
if [ ! -x .tools/cel/bin/python ] || ! .tools/cel/bin/python -c 'import celpy, yaml' 2>/dev/null; then
  python3 -m venv .tools/cel >&2
  .tools/cel/bin/pip install --quiet 'cel-python==0.5.0' 'PyYAML==6.0.4' >&2
fi
mkdir -p .tools/cel-bin
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$(pwd)/.tools/cel/bin/python" "$(pwd)/scripts/crd-cel-rules.py" \
  > .tools/cel-bin/crd-cel-rules
chmod +x .tools/cel-bin/crd-cel-rules
export PATH="$(pwd)/.tools/cel-bin:$PATH"
cargo test --workspace --locked "$@"
