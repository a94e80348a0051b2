#!/usr/bin/env bash
# Builds the libFuzzer programs with clang in a build folder of their own, then
# runs each in turn on its seed corpus, and prints how many inputs each ran.
#   fuzz/run.sh [seconds per target, default 600] [target ...]
# WANDB_IMAGE_FUZZ_BUILD_DIR (default build-fuzz/) and WANDB_IMAGE_FUZZ_CXX
# (default clang++-14) change the folder and the compiler.
# Inputs that add coverage go to <build>/fuzz-corpus/<target>/, so the seeds in
# fuzz/corpus/ stay small; crashes, timeouts and out-of-memory inputs go to
# <build>/fuzz-artifacts/<target>/. Copy one worth keeping into
# fuzz/regressions/<target>/ and ctest replays it on every build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WANDB_IMAGE_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(run_file boxes_json masks_json classes_json image_bytes image_file run_keys)
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="${WANDB_IMAGE_FUZZ_CXX:-clang++-14}" -DWANDB_IMAGE_FUZZ=ON
fi
nice -n 10 cmake --build "$build" --parallel "$(nproc 2>/dev/null || echo 2)" --target wandb_fuzzers

for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  artifacts="$build/fuzz-artifacts/$target"
  log="$build/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  before=$(find "$artifacts" -type f | wc -l)
  # One process at a time (-fork=1: a single child, restarted after a crash,
  # so a known defect does not end the run before the time is up).
  nice -n 10 "$build/fuzz/fuzz_$target" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -max_total_time="$seconds" -timeout=25 -artifact_prefix="$artifacts/" \
    "$corpus" "$root/fuzz/corpus/$target" >"$log" 2>&1 || true
  # Fork mode's status lines start "#<inputs run so far>:".
  execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  found=$(( $(find "$artifacts" -type f | wc -l) - before ))
  printf '%-13s %10s inputs in %ss, %d new crash/timeout/oom inputs in %s\n' \
    "$target" "${execs:-?}" "$seconds" "$found" "$artifacts"
done
echo "logs: $build/fuzz-logs/"
