#!/usr/bin/env bash
# Runs the benchmark suite and prints the table (times and ratios to the bare
# encoder, PNG sizes and ratios to Pillow's default). A few minutes on 2 cores.
#   bash bench/run.sh <build dir> [Google Benchmark flags, e.g. --benchmark_filter=encode/]
# Results go to <build dir>/bench-results/ (bench.json, pillow.json, memory.txt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:?usage: bench/run.sh <build dir> [benchmark flags]}" && pwd)"
shift
bench="$build/bench/wandb_image_bench"
memory="$build/bench/wandb_image_memory"
if [ ! -x "$bench" ]; then
  echo "run.sh: $bench not found: configure with -DWANDB_IMAGE_BUILD_BENCH=ON and build" >&2
  exit 1
fi
out="$build/bench-results"
rm -rf "$out"
mkdir -p "$out/pixels"

echo "== benchmarks, about 3 minutes (console: $out/console.txt, JSON: $out/bench.json)" >&2
# Three short repetitions of each benchmark; the table takes the fastest (the
# one least disturbed by other work on the machine). Later flags override.
WANDB_BENCH_DUMP_DIR="$out/pixels" "$bench" \
  --benchmark_min_time=0.1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/bench.json" --benchmark_out_format=json \
  "$@" > "$out/console.txt"

report_args=("$out/bench.json")
# Pillow is a measurement reference only; Debian's python3-pil/numpy live in
# /usr/bin/python3 (a python3 earlier on PATH may lack them).
if /usr/bin/python3 -c 'import PIL, numpy' 2>/dev/null; then
  echo "== Pillow reference on the same pixels" >&2
  /usr/bin/python3 "$root/bench/pillow_reference.py" "$out/pixels" > "$out/pillow.json"
  report_args+=(--pillow "$out/pillow.json")
else
  echo "== no Pillow reference: /usr/bin/python3 lacks PIL or numpy (size ratios omitted)" >&2
fi

if [ -x "$memory" ]; then
  echo "== memory: 108-image list of 1024^2 RGB, 256 MiB queue cap" >&2
  "$memory" 256 | tee "$out/memory.txt" >&2
  report_args+=(--memory "$out/memory.txt")
fi
rm -rf "$out/pixels"

echo >&2
python="$(command -v python3 || echo /usr/bin/python3)"
"$python" "$root/bench/report.py" "${report_args[@]}" | tee "$out/table.txt"
