#!/usr/bin/env bash
# The command line of the project's programs (tools/cli.h), as users meet it.
# Each case runs in a fresh empty folder.
#
#   cli_test.sh help PROGRAM       --help and -h, alone, after an argument, next to a
#                                  bad option: usage on stdout (first line "usage: "),
#                                  nothing on stderr, exit 0, nothing created
#   cli_test.sh version PROGRAM    --version: one line "<name> (wandb-image) X.Y.Z" on
#                                  stdout, exit 0, nothing created
#   cli_test.sh bad EXPECTED PROGRAM ARGS...
#                                  exit 2, nothing on stdout, exactly one line on stderr,
#                                  starting with "<name>: EXPECTED"; nothing created
#   cli_test.sh run PROGRAM ARGS... [:: PROGRAM ARGS...]...
#                                  each command in turn exits 0; an argument with a *
#                                  is a glob. A python3 command that loads an
#                                  ASan-built library skips the test (status 77):
#                                  Python would need libasan preloaded.
set -u
mode="$1"
shift
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
status=0
fail() { echo "FAIL: $*"; status=1; }

# What the program left in the folder, besides the captured output.
created() { ls -A | grep -v -x -e out.txt -e err.txt; }

case "$mode" in
  help)
    program="$1"
    for args in "--help" "-h" "some-argument --help" "--no-such-option -h" "-h --no-such-option"; do
      # shellcheck disable=SC2086
      "$program" $args > out.txt 2> err.txt
      code=$?
      [ "$code" -eq 0 ] || fail "'$args' exited $code"
      head -1 out.txt | grep -q '^usage: ' || { fail "'$args' printed no usage line first:"; cat out.txt; }
      [ -s err.txt ] && { fail "'$args' wrote to stderr:"; cat err.txt; }
      extra="$(created)"
      [ -z "$extra" ] || fail "'$args' created: $extra"
      rm -f out.txt err.txt
    done
    ;;
  version)
    program="$1"
    name="$(basename "$program")"
    "$program" --version > out.txt 2> err.txt
    code=$?
    [ "$code" -eq 0 ] || fail "--version exited $code"
    grep -q -x -E "$name \(wandb-image\) [0-9]+\.[0-9]+\.[0-9]+" out.txt && [ "$(wc -l < out.txt)" -eq 1 ] ||
      { fail "--version printed:"; cat out.txt; }
    [ -s err.txt ] && { fail "--version wrote to stderr:"; cat err.txt; }
    extra="$(created)"
    [ -z "$extra" ] || fail "--version created: $extra"
    ;;
  bad)
    expected="$1"
    program="$2"
    shift 2
    name="$(basename "$program")"
    "$program" "$@" > out.txt 2> err.txt
    code=$?
    [ "$code" -eq 2 ] || fail "'$*' exited $code, expected 2"
    [ -s out.txt ] && { fail "'$*' wrote to stdout:"; cat out.txt; }
    [ "$(wc -l < err.txt)" -eq 1 ] || { fail "'$*' wrote other than one line to stderr:"; cat err.txt; }
    case "$(cat err.txt)" in
      "$name: $expected"*) ;;
      *) fail "'$*': expected \"$name: $expected...\" on stderr, got:"; cat err.txt ;;
    esac
    extra="$(created)"
    [ -z "$extra" ] || fail "'$*' created: $extra"
    ;;
  run)
    while [ $# -gt 0 ]; do
      command=()
      while [ $# -gt 0 ] && [ "$1" != "::" ]; do
        if [[ "$1" == *'*'* ]]; then
          mapfile -t matches < <(compgen -G "$1")
          [ ${#matches[@]} -gt 0 ] || { fail "nothing matches $1"; exit 1; }
          command+=("${matches[@]}")
        else
          command+=("$1")
        fi
        shift
      done
      [ $# -gt 0 ] && shift  # the ::
      if [[ "$(basename "${command[0]}")" == python* ]]; then
        for arg in "${command[@]:1}"; do
          if [[ "$arg" == *.so ]] && ldd "$arg" 2>/dev/null | grep -q libasan; then
            echo "skipped: python3 cannot load the ASan-built $arg"
            exit 77
          fi
        done
      fi
      echo "\$ ${command[*]}"
      "${command[@]}"
      code=$?
      [ "$code" -eq 0 ] || { fail "'${command[*]}' exited $code"; exit 1; }
    done
    ;;
  *)
    echo "usage: cli_test.sh help|version|bad|run ..." >&2
    exit 2
    ;;
esac
[ "$status" -eq 0 ] && echo "ok: $mode"
exit "$status"
