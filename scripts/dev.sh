#!/usr/bin/env bash
# One entry point for people and CI: installs what is missing, configures, builds,
# then runs the demo or the tests.
#   scripts/dev.sh demo     build, then log sample photos into an offline run
#   scripts/dev.sh test     build, then run the whole test suite (ctest)
#   scripts/dev.sh build    build only
#   scripts/dev.sh bench    build, then run the benchmark suite
#   scripts/dev.sh fuzz [seconds]
#                           build the libFuzzer programs with clang in build-fuzz/,
#                           then run each for `seconds` (default 600), one at a time
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WANDB_IMAGE_BUILD_DIR:-$root/build}"
what="${1:-test}"
shift || true

if [ "$what" = fuzz ]; then  # its own build folder and compiler: see fuzz/run.sh
  bash "$root/scripts/install-deps.sh" --fuzz
  exec bash "$root/fuzz/run.sh" "$@"
fi

bash "$root/scripts/install-deps.sh"

jobs="$(nproc 2>/dev/null || echo 2)"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --parallel "$jobs"

case "$what" in
  build) ;;
  demo) "$build/examples/wandb_demo" "$@" ;;
  test) ctest --test-dir "$build" --output-on-failure --parallel "$jobs" "$@" ;;
  bench) bash "$root/bench/run.sh" "$build" "$@" ;;
  *) echo "usage: scripts/dev.sh demo|test|build|bench|fuzz [seconds]" >&2; exit 2 ;;
esac
