#!/usr/bin/env bash
# Builds the native unit tests (parser, chunked decoder) under ASan/UBSan in
# build-native-tests/ and runs them. stdout is the binary's TAP and nothing else (the
# build's output goes to stderr); the exit status is the binary's.
#   bash scripts/native-tests.sh [name-filter]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-native-tests"

if command -v cmake >/dev/null 2>&1; then
  {
    cmake -S "$root" -B "$build" -DSYSHTTP_SANITIZE=ON -DSYSHTTP_TESTS=ON -DSYSHTTP_FUZZ=OFF \
      -DCMAKE_BUILD_TYPE=Debug
    cmake --build "$build" --target parser_tests -j2
  } >&2
else
  # No cmake (a machine with only what node-gyp needs): one compiler call over the same
  # source list, with the same sanitizers, so `npm test` still runs these tests.
  echo "native-tests: cmake not found, building with ${CXX:-g++} directly" >&2
  mkdir -p "$build"
  # shellcheck disable=SC2046
  ${CXX:-g++} -std=c++20 -fno-exceptions -Wall -Wextra -Werror -Wno-missing-field-initializers \
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 \
    -I"$root/native" \
    $(cd "$root" && node scripts/sources.js http | tr ' ' '\n' | sed "s|^|$root/|") \
    "$root"/test/native/*.cc -o "$build/parser_tests" >&2
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$build/parser_tests" "$@"
