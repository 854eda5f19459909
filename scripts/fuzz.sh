#!/usr/bin/env bash
# Builds the libFuzzer target parser_fuzz with clang in build-fuzz/ and runs it on a copy
# of the seed corpus in a temporary directory (the repository is never written to).
#   npm run fuzz            # 60 seconds
#   npm run fuzz -- 300     # seconds
# Exits non-zero on a crash and prints the path of the input that caused it.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: bash scripts/fuzz.sh [seconds]   (default 60)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
fuzzdir="$root/test/native/fuzz"

install_hint() {
  echo "fuzz: $1" >&2
  echo "fuzz: libFuzzer needs clang and its runtime, e.g. on Debian/Ubuntu:" >&2
  echo "        sudo apt-get install clang libclang-rt-14-dev" >&2
  exit 1
}

command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1 \
  || install_hint "clang/clang++ not found"
command -v cmake >/dev/null 2>&1 || { echo "fuzz: cmake not found (apt-get install cmake)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/syshttp-fuzz.XXXXXX")"
# Probe for the libFuzzer runtime before configuring.
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
  >"$work/probe.cc"
if ! clang++ -fsanitize=fuzzer "$work/probe.cc" -o "$work/probe" >/dev/null 2>&1; then
  rm -rf "$work"
  install_hint "clang++ cannot link -fsanitize=fuzzer (libFuzzer runtime missing)"
fi
rm -f "$work/probe.cc" "$work/probe"

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSYSHTTP_FUZZ=ON -DSYSHTTP_TESTS=OFF >/dev/null
cmake --build "$build" --target parser_fuzz -j2

mkdir -p "$work/corpus" "$work/artifacts"
cp "$fuzzdir"/corpus/* "$work/corpus/"

echo "fuzz: running parser_fuzz for ${seconds}s in $work" >&2
cd "$work"
set +e
"$build/parser_fuzz" \
  -max_total_time="$seconds" \
  -dict="$fuzzdir/http.dict" \
  -artifact_prefix="$work/artifacts/" \
  -print_final_stats=1 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  "$work/corpus" 2>&1 | tee "$work/fuzz.log"
status="${PIPESTATUS[0]}"
set -e
cd "$root"

crashes=("$work"/artifacts/*)
if [ "$status" -ne 0 ] || [ -e "${crashes[0]}" ]; then
  echo "fuzz: FAILED (exit $status); log: $work/fuzz.log" >&2
  for f in "${crashes[@]}"; do
    [ -e "$f" ] && echo "fuzz: crash input: $f" >&2
  done
  echo "fuzz: reproduce with: $build/parser_fuzz <crash input>" >&2
  exit 1
fi

grep -E "^#[0-9]+ +DONE" "$work/fuzz.log" >&2 || true
rm -rf "$work"
echo "fuzz: clean" >&2
