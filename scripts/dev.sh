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
#   scripts/dev.sh asan [ctest args]
#                           the test suite built with AddressSanitizer and
#                           UndefinedBehaviorSanitizer (GCC) in build-asan/
#   scripts/dev.sh tsan [ctest args]
#                           the test suite built with ThreadSanitizer (GCC) in build-tsan/
#   scripts/dev.sh compat [ctest args]
#                           the whole suite on Debian 13 (LibTorch 2.6, GCC 14) in a
#                           debootstrap chroot under build-compat/: see scripts/compat.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WANDB_IMAGE_BUILD_DIR:-$root/build}"
what="${1:-test}"
shift || true

if [ "$what" = fuzz ]; then  # its own build folder and compiler: see fuzz/run.sh
  bash "$root/scripts/install-deps.sh" --fuzz
  exec bash "$root/fuzz/run.sh" "$@"
fi

if [ "$what" = compat ]; then  # another system: see scripts/compat.sh
  exec bash "$root/scripts/compat.sh" "$@"
fi

bash "$root/scripts/install-deps.sh"

jobs="$(nproc 2>/dev/null || echo 2)"
if [ "$what" = tsan ]; then
  # Its own folder, so the main build stays warm. GCC: clang-14 cannot compile
  # LibTorch 1.13's headers as C++20. LibTorch and OpenCV are not instrumented;
  # scripts/tsan.supp lists the reports from inside them, each explained.
  tsan_build="$root/build-tsan"
  if [ ! -f "$tsan_build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$tsan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
      -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
      -DWANDB_IMAGE_BUILD_EXAMPLES=OFF -DWANDB_IMAGE_BUILD_BENCH=OFF -DWANDB_IMAGE_BUILD_OPS=OFF
  fi
  cmake --build "$tsan_build" --parallel "$jobs" --target wandb_run_tests wandb_image_tests
  export TSAN_OPTIONS="suppressions=$root/scripts/tsan.supp halt_on_error=1 second_deadlock_stack=1"
  # Every test of the two suites (the tests that need the examples, the ops,
  # the fuzz drivers or another project are not built here).
  exec ctest --test-dir "$tsan_build" --output-on-failure --parallel "$jobs" \
    -E '^(wandb_consumer_.*|fuzz_replay_.*|run_file_python_.*|cli_help_.*|wandb_ops_tests_NOT_BUILT|ops_script_model_python)$' "$@"
fi
if [ "$what" = asan ]; then
  # Its own folder and GCC, as for tsan. Every test runs but these: the two
  # consumer projects (they configure and build a project of their own), the
  # Python ops test and the deploy example's good call (python3 would need
  # libasan preloaded to load the instrumented ops library) and the three
  # OpsScripted tests that load the model it saves. UBSan reports
  # end the test (-fno-sanitize-recover). scripts/lsan.supp lists the leak
  # reports from inside uninstrumented libraries, each explained.
  asan_build="$root/build-asan"
  # The instrumentation makes GCC 12's flow warnings fire inside libstdc++'s
  # <regex> and LibTorch's IValue headers (-Wmaybe-uninitialized,
  # -Warray-bounds); the normal builds keep them on and stay warning-free.
  flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake -S "$root" -B "$asan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$flags -Wno-maybe-uninitialized -Wno-array-bounds" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
    -DWANDB_IMAGE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$asan_build" --parallel "$jobs"
  export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1"
  export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  exec ctest --test-dir "$asan_build" --output-on-failure --parallel "$jobs" \
    -E '^(wandb_consumer_.*|ops_script_model_python|cli_run_wandb_deploy_scripted|OpsScripted\..*)$' "$@"
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --parallel "$jobs"

case "$what" in
  build) ;;
  demo) "$build/examples/wandb_demo" "$@" ;;
  test) ctest --test-dir "$build" --output-on-failure --parallel "$jobs" "$@" ;;
  bench) bash "$root/bench/run.sh" "$build" "$@" ;;
  *) echo "usage: scripts/dev.sh demo|test|build|bench|fuzz [seconds]|asan|tsan|compat" >&2; exit 2 ;;
esac
