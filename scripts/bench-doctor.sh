#!/usr/bin/env bash
# Times `fluxgen doctor` (release build) on a synthetic repository of 10,000 YAML files.
#
#   scripts/bench-doctor.sh [RUNS]          (default 9 runs; prints each and the median)
#
# FILES (default 10000) and CLUSTERS (default 20) size the repository; REPO picks where it is
# written (default: a temporary directory, removed afterwards). The target is under one second.
set -euo pipefail

cd "$(dirname "$0")/.."
runs="${1:-9}"
files="${FILES:-10000}"
clusters="${CLUSTERS:-20}"

cargo build --release --locked -q -p fluxgen-cli
binary="$PWD/target/release/fluxgen"

if [[ -n "${REPO:-}" ]]; then
  repo="$REPO"
else
  repo="$(mktemp -d)/synthetic"
  trap 'rm -rf "$(dirname "$repo")"' EXIT
fi
python3 scripts/make-synthetic-repo.py --out "$repo" --files "$files" --clusters "$clusters"
echo "repository: $(find "$repo" -name '*.yaml' | wc -l) YAML files, $clusters clusters" >&2

# One warm-up run (page cache), then the timed runs.
"$binary" doctor --repo "$repo" --format json >/dev/null 2>&1 || true
python3 - "$binary" "$repo" "$runs" <<'EOF'
import statistics, subprocess, sys, time
binary, repo, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    start = time.perf_counter()
    done = subprocess.run([binary, "doctor", "--repo", repo, "--format", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
    if done.returncode not in (0, 1):
        sys.exit(f"fluxgen doctor failed with exit {done.returncode}")
print("runs (s): " + " ".join(f"{t:.3f}" for t in times))
print(f"median: {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
EOF
