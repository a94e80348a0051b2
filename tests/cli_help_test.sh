#!/usr/bin/env bash
# cli_help_test.sh PROGRAM: `PROGRAM --help` (and -h, and --help after other
# arguments) prints usage on stdout only, exits 0, and leaves the folder it
# runs in untouched.
set -u
program="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
status=0
for args in "--help" "-h" "some-argument --help"; do
  # shellcheck disable=SC2086
  "$program" $args > out.txt 2> err.txt
  code=$?
  if [ "$code" -ne 0 ]; then echo "FAIL: '$args' exited $code"; status=1; fi
  if ! head -1 out.txt | grep -q '^usage: '; then echo "FAIL: '$args' printed no usage line first:"; cat out.txt; status=1; fi
  if [ -s err.txt ]; then echo "FAIL: '$args' wrote to stderr:"; cat err.txt; status=1; fi
  extra="$(ls -A | grep -v -x -e out.txt -e err.txt)"
  if [ -n "$extra" ]; then echo "FAIL: '$args' created: $extra"; status=1; fi
  rm -f out.txt err.txt
done
[ "$status" -eq 0 ] && echo "ok: $(basename "$program") --help"
exit "$status"
