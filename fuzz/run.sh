#!/usr/bin/env bash
# Runs one fuzz target for a given time, on the stable toolchain:
#
#   fuzz/run.sh TARGET SECONDS [--seed N] [--timeout S]
#
# TARGET is config, tuning or scan. The corpus grows in fuzz/corpus/TARGET and crash inputs
# land in fuzz/artifacts/TARGET (both ignored by Git). A crash that kills the process (a stack
# overflow, an abort) is kept as crash-killed-*, and the run goes on for the time that is left.
# Replay an input with: cargo run --release -p fluxgen-fuzz -- replay TARGET FILE
# Exit status 1 when any crash or timeout was found.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target="${1:?usage: fuzz/run.sh TARGET SECONDS [options]}"
seconds="${2:?usage: fuzz/run.sh TARGET SECONDS [options]}"
shift 2
cargo build --release -q -p fluxgen-fuzz
driver=target/release/fluxgen-fuzz
artifacts="fuzz/artifacts/$target"
corpus="fuzz/corpus/$target"
mkdir -p "$artifacts" "$corpus"
found=0
end=$(( $(date +%s) + seconds ))
while :; do
  left=$(( end - $(date +%s) ))
  (( left > 0 )) || break
  status=0
  "$driver" run "$target" --seconds "$left" --corpus "$corpus" --artifacts "$artifacts" "$@" || status=$?
  case $status in
    0) break ;;
    1) found=1; break ;;
    3) found=1 ;;   # a timeout, saved by the driver; go on
    *)
      found=1
      kept="$artifacts/crash-killed-$(date +%s)"
      if [[ -f "$artifacts/.current" ]]; then mv "$artifacts/.current" "$kept"; fi
      echo "the driver died with status $status; the input it was running is $kept" >&2
      ;;
  esac
done
ls "$artifacts" | sed 's/^/artifact: /' >&2 || true
exit "$found"
