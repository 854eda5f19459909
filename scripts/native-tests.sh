#!/usr/bin/env bash
# Builds the native unit tests (parser, chunked decoder) under ASan/UBSan in
# build-native-tests/ and runs them. stdout is the binary's TAP and nothing else (the
# build's output goes to stderr); the exit status is the binary's.
#   bash scripts/native-tests.sh [name-filter]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-native-tests"

if ! command -v cmake >/dev/null 2>&1; then
  echo "native-tests: cmake not found (apt-get install cmake g++)" >&2
  exit 1
fi

{
  cmake -S "$root" -B "$build" -DSYSHTTP_SANITIZE=ON -DSYSHTTP_TESTS=ON -DSYSHTTP_FUZZ=OFF \
    -DCMAKE_BUILD_TYPE=Debug
  cmake --build "$build" --target parser_tests -j2
} >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$build/parser_tests" "$@"
