#!/usr/bin/env bash
# A new crate in a temporary directory with fluxgen-core (by path) as its only dependency, whose
# main is the README's library example ("Using the library"): it must build and run with no
# Kubernetes version chosen by the user (fluxgen-core's default `k8s-openapi-latest` feature).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/src"
cat >"$dir/Cargo.toml" <<TOML
[package]
name = "uses-fluxgen-core"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
fluxgen-core = { path = "$root/crates/fluxgen-core" }

[workspace]
TOML
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
# The workspace's target directory: the dependencies built for fluxgen-core are reused.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" cargo run -q --manifest-path "$dir/Cargo.toml"
