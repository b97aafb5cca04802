#!/usr/bin/env bash
# make bench: runs every bench/NN-*.sh in order against the release build and prints their figures.
# Each script is side by side with its reference tool (hyperfine) and writes its summary to bench/out/.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
for b in bench/[0-9][0-9]-*.sh; do
  [ -e "$b" ] || continue
  echo "=== $b"
  if ! bash "$b"; then echo "=== $b FAILED"; status=1; fi
done
exit $status
