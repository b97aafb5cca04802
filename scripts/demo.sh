#!/usr/bin/env bash
# make demo: collect the sample estate under fixtures/, evaluate, render, and say where everything went.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-.build/debug/vouch}
mkdir -p out
bash fixtures/git/make-infra-repo.sh out/git >/dev/null
store=out/demo.db
rm -f "$store" "$store"-wal "$store"-shm
export VOUCH_STORE="$store"
set +e
"$VOUCH" collect --profile fixtures/vouch.yaml
rc=$?
set -e
if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then echo "demo: collect failed ($rc)"; exit $rc; fi
"$VOUCH" verify
"$VOUCH" captures list
for cmd in evaluate report; do
  if ! "$VOUCH" help "$cmd" >/dev/null 2>&1; then echo "demo: 'vouch $cmd' is not built yet; skipping it"; fi
done
if "$VOUCH" help evaluate >/dev/null 2>&1; then "$VOUCH" evaluate --profile fixtures/vouch.yaml || [ $? -eq 1 ]; fi
if "$VOUCH" help report >/dev/null 2>&1; then
  "$VOUCH" report --format html,oscal,json --out out --generated-at 2026-01-01T00:00:00Z || [ $? -eq 1 ]
  echo "demo: the HTML report is $(pwd)/out/report.html"
  echo "demo: the OSCAL assessment results are $(pwd)/out/report.xml"
fi
echo "demo: the evidence store is $(pwd)/$store (try: $VOUCH query --store $store \"SELECT kind, count(*) FROM evidence GROUP BY kind\")"
