#!/usr/bin/env bash
# A new crate in a temporary directory with fluxgen-core (by path) as its only dependency, whose
# main is the README's library example ("Using the library"): it must build and run with no
# Kubernetes version chosen by the user (fluxgen-core's default `k8s-openapi-latest` feature).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/dependent-crate-scaffold.sh
new_dependent_crate uses-fluxgen-core ""
# The first ```rust block after "## Using the library", as the body of main.
{
    echo '#[allow(unused_variables)]'
    echo 'fn main() {'
    awk '/^## Using the library/ { section = 1 }
         section && /^```rust$/ { inside = 1; next }
         inside && /^```$/ { exit }
         inside { print "    " $0 }' README.md
    echo '    println!("the README library example ran");'
    echo '}'
} >"$dir/src/main.rs"
grep -q 'fluxgen_core::plan' "$dir/src/main.rs" || { echo "no library example found in README.md" >&2; exit 1; }
run_dependent_crate
