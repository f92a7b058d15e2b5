# Sourced by scripts/dependent-crate.sh and scripts/objects-only-crate.sh: a new crate in a
# temporary directory (removed on exit) that depends on the workspace's fluxgen-core by path.
#   new_dependent_crate NAME DEPENDENCY-OPTIONS  sets $root (the workspace) and $dir (the crate,
#   with an empty src/); DEPENDENCY-OPTIONS go inside fluxgen-core's `{ path = ... }` table.
#   run_dependent_crate [ARGS...]                builds and runs it, reusing the workspace's
#   target directory (the dependencies built for fluxgen-core are not built again).
new_dependent_crate() {
    root=$PWD
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    mkdir "$dir/src"
    cat >"$dir/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
fluxgen-core = { path = "$root/crates/fluxgen-core"$2 }

[workspace]
TOML
}

run_dependent_crate() {
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" cargo run -q --manifest-path "$dir/Cargo.toml" -- "$@"
}
