#!/bin/bash
# Fastify's own test suite (its npm tarball ships test/) on node:http and with syshttp/node
# swapped in; prints the tests that pass only on node:http. Needs the npm registry and a
# built checkout (npm install). Usage: scripts/compat/fastify.sh [version] [workdir]
set -euo pipefail
version=${1:-5.12.8}
work=${2:-/tmp/syshttp-compat-fastify}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work" && cd "$work"
if [ ! -d fastify ]; then
  npm pack "fastify@$version" --silent >/dev/null
  tar xzf "fastify-$version.tgz" && mv package fastify
  (cd fastify && npm install --no-audit --no-fund --silent)
fi
cd fastify
# Each file alone (a hang costs one file); HTTP/2 and TLS servers are not swapped.
find test -maxdepth 2 -name '*.test.js' | grep -v -E 'http2|https|types|bundler|esm|build' | sort > ../files.txt
for mode in plain swap; do
  out="$work/results/$mode"; rm -rf "$out"; mkdir -p "$out"
  while read -r f; do
    n=$(echo "$f" | tr '/' '_')
    if [ "$mode" = swap ]; then pre=(--require "$here/swap.cjs"); else pre=(); fi
    timeout -k 5 60 node "${pre[@]}" --test --test-reporter="$here/reporter.mjs" \
      --test-reporter-destination="$out/$n.jsonl" "$f" >"$out/$n.log" 2>&1 || true
  done < ../files.txt
done
node "$here/diff.cjs" "$work/results/plain" "$work/results/swap"
