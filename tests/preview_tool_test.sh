#!/usr/bin/env bash
# preview_tool_test.sh TOOL PIPELINE: wandb-image-preview on the run that the
# OpenCV pipeline example logs (8 images at step 0, each at most 320 pixels):
# the run folder or its .wandb file, options before or after it, --columns,
# --size, --legend, -o and its default, --version, and the exit status and
# stderr line of bad command lines (2) and runtime failures (1).
set -u
tool="$1"
pipeline="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$pipeline" > /dev/null 2>&1 || { echo "FAIL: $pipeline could not log a run"; exit 1; }
run="$(echo wandb/offline-run-*)"
wandb_file="$(echo "$run"/*.wandb)"
[ -f "$wandb_file" ] || { echo "FAIL: no .wandb file in $run"; exit 1; }
status=0
fail() { echo "FAIL: $*"; status=1; }

# Width and height of a PNG, from its IHDR chunk.
png_size() {
  od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4, $5*16777216 + $6*65536 + $7*256 + $8 }'
}

# run_tool EXPECTED_STATUS ARGS...: runs the tool, keeps stdout/stderr in out.txt/err.txt.
run_tool() {
  local expected="$1"
  shift
  "$tool" "$@" > out.txt 2> err.txt
  local code=$?
  if [ "$code" -ne "$expected" ]; then
    fail "'$*' exited $code, expected $expected; stderr: $(cat err.txt)"
    return 1
  fi
}

# One stderr line, "wandb-image-preview: ...", containing $1.
expect_one_error_line() {
  local lines
  lines="$(wc -l < err.txt)"
  [ "$lines" -eq 1 ] || fail "expected one stderr line, got $lines: $(cat err.txt)"
  grep -q "^wandb-image-preview: .*$1" err.txt || fail "stderr does not name '$1': $(cat err.txt)"
  [ -s out.txt ] && fail "a failure printed on stdout: $(cat out.txt)"
}

# Default output: <run folder>/previews/grid-step<N>.png.
if run_tool 0 "$run"; then
  [ -f "$run/previews/grid-step0.png" ] || fail "default output $run/previews/grid-step0.png missing"
  grep -q "grid-step0.png" out.txt || fail "stdout does not name the output: $(cat out.txt)"
fi

# The .wandb file instead of the folder, options before it: 2 columns of 100 pixels
# with padding 2 are 2 * 102 + 2 = 206 pixels wide; 8 images make 4 rows.
if run_tool 0 --columns 2 --size 100 -o small.png "$wandb_file"; then
  read -r w h < <(png_size small.png)
  [ "$w" -eq 206 ] || fail "--columns 2 --size 100: width $w, expected 206"
  [ "$h" -gt 400 ] || fail "--columns 2 --size 100: height $h, expected 4 rows of 100 and more"
fi

# Options after the folder, --legend adds a panel on the right.
if run_tool 0 "$run" --size 100 --output legend.png --legend --columns 2; then
  read -r w h < <(png_size legend.png)
  [ "$w" -gt 206 ] || fail "--legend: width $w, expected more than 206"
fi

# --key: the 4 images of the "all" list, at their own size (320 pixels at most).
if run_tool 0 "$run" --key all -o all.png; then
  read -r w h < <(png_size all.png)
  [ "$w" -eq $((4 * 322 + 2)) ] || fail "--key all: width $w, expected $((4 * 322 + 2))"
fi

if run_tool 0 --version; then
  grep -q '^wandb-image-preview (wandb-image) [0-9][0-9.]*$' out.txt || fail "--version printed: $(cat out.txt)"
fi

# Bad command lines: status 2, one stderr line naming the option, nothing written.
before="$(ls -A)"
run_tool 2 "$run" --columns 0 && expect_one_error_line "--columns"
run_tool 2 "$run" --columns many && expect_one_error_line "--columns"
run_tool 2 --size 3 "$run" && expect_one_error_line "--size"
run_tool 2 "$run" --step 1.5 && expect_one_error_line "--step"
run_tool 2 "$run" -o out.unknown && expect_one_error_line "--output"
run_tool 2 "$run" --bogus && expect_one_error_line "--bogus"
run_tool 2 && expect_one_error_line "run"
after="$(ls -A)"
[ "$before" = "$after" ] || fail "a bad command line changed the folder: $before -> $after"

# Runtime failures: status 1, "wandb-image-preview: <message>".
run_tool 1 "$run" --step 7 && expect_one_error_line "no images logged at step 7"
run_tool 1 "$work/no-such-run" && expect_one_error_line "no-such-run"
run_tool 1 "$run/files" && expect_one_error_line "cannot find a .wandb file"

[ "$status" -eq 0 ] && echo "ok: wandb-image-preview options"
exit "$status"
