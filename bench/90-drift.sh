#!/usr/bin/env bash
# bench/90-drift.sh: `vouch drift` between two captures of N items each with C changes
# (default 100,000 items, 1,000 changes: half changed, a quarter removed, a quarter added). Target: < 1 s.
# Reference: `diff` of the two captures exported as sorted JSON lines (what a shell pipeline would do).
# The captures are generated straight into the store with SQL (deterministic, seconds); drift reads
# only the store, so how the items got there does not matter to it.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${DRIFT_ITEMS:-100000}
C=${DRIFT_CHANGES:-1000}
VOUCH=${VOUCH:-.build/release/vouch}
work=bench-work/drift
rm -rf "$work"; mkdir -p "$work/empty"
store="$work/drift.db"
step=$(( N / (C / 2) )); remstep=$(( N / (C / 4) )); added=$(( C / 4 ))

"$VOUCH" collect --store "$store" --source "files=$work/empty" >/dev/null   # the schema, and capture 1
sqlite3 "$store" <<SQL
BEGIN;
CREATE TEMP TABLE s(i INTEGER PRIMARY KEY);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $N) INSERT INTO s SELECT i FROM g;
INSERT INTO item(sha256, source, kind, subject, origin, data, blob_sha256, status)
  SELECT 'base-' || i, 'bench', 'bench.thing', 'thing/' || i, '/bench/thing/' || i,
         '{"n":' || i || ',"spec":{"image":"registry/app:1.0","replicas":3},"tags":["a","b"]}', NULL, 'ok' FROM s;
INSERT INTO item(sha256, source, kind, subject, origin, data, blob_sha256, status)
  SELECT 'changed-' || i, 'bench', 'bench.thing', 'thing/' || i, '/bench/thing/' || i,
         '{"n":' || i || ',"spec":{"image":"registry/app:1.1","replicas":3},"tags":["a","b"]}', NULL, 'ok' FROM s WHERE i % $step = 0;
INSERT INTO item(sha256, source, kind, subject, origin, data, blob_sha256, status)
  SELECT 'added-' || i, 'bench', 'bench.thing', 'thing/new-' || i, '/bench/thing/new-' || i, '{"n":0}', NULL, 'ok' FROM s WHERE i <= $added;
INSERT INTO item_set(id, sha256, item_count) VALUES (100001, 'bench-set-a', $N), (100002, 'bench-set-b', $N);
INSERT INTO item_set_member(set_id, seq, item_id, kind, subject)
  SELECT 100001, i, (SELECT id FROM item WHERE sha256 = 'base-' || i), 'bench.thing', 'thing/' || i FROM s;
INSERT INTO item_set_member(set_id, seq, item_id, kind, subject)
  SELECT 100002, i, (SELECT id FROM item WHERE sha256 = CASE WHEN i % $step = 0 THEN 'changed-' ELSE 'base-' END || i),
         'bench.thing', 'thing/' || i FROM s WHERE i % $remstep <> 1;
INSERT INTO item_set_member(set_id, seq, item_id, kind, subject)
  SELECT 100002, $N + i, (SELECT id FROM item WHERE sha256 = 'added-' || i), 'bench.thing', 'thing/new-' || i FROM s WHERE i <= $added;
INSERT INTO capture(id, started_at, finished_at, host, tool_version, item_count, error_count, facts_sha256, manifest_sha256, prev_seal, seal)
  VALUES (2, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', 'bench', 'bench', $N, 0, '', '', '', 'bench-seal-2'),
         (3, '2026-01-01T01:00:00.000Z', '2026-01-01T01:00:01.000Z', 'bench', 'bench', $N, 0, '', '', '', 'bench-seal-3');
INSERT INTO capture_source(capture_id, seq, source, target, set_id, status, item_count, error_count, started_at, finished_at)
  VALUES (2, 0, 'bench', 'estate', 100001, 'ok', $N, 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'),
         (3, 0, 'bench', 'estate', 100002, 'ok', $N, 0, '2026-01-01T01:00:00.000Z', '2026-01-01T01:00:01.000Z');
COMMIT;
SQL
for c in 2 3; do
  sqlite3 "$store" "SELECT kind || ' ' || subject || ' ' || data FROM evidence WHERE capture_id = $c ORDER BY kind, subject" > "$work/capture-$c.jsonl"
done

out=$("$VOUCH" drift --store "$store" --from 2 --to 3 --format json || true)
echo "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print("drift found: %d added, %d removed, %d changed" % (s["items_added"], s["items_removed"], s["items_changed"]))'
/usr/bin/time -v "$VOUCH" drift --store "$store" --from 2 --to 3 --format json --out "$work/drift.json" 2> "$work/time.txt" || true
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/time.txt")
hyperfine -N -i --warmup 1 --runs 5 --export-json "$work/hyperfine.json" \
  -n "vouch drift" "$VOUCH drift --store $store --from 2 --to 3 --format json --out $work/drift.json" \
  -n "diff (reference)" "diff $work/capture-2.jsonl $work/capture-3.jsonl" > "$work/hyperfine.txt"
python3 - "$work/hyperfine.json" "$N" "$C" "$rss" <<'PY'
import json, sys
res = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
v, d = res["vouch drift"], res["diff (reference)"]
cpu = lambda x: x["user"] + x["system"]
print(f"drift of {int(sys.argv[2]):,} items with {int(sys.argv[3]):,} changes: vouch {v['mean']*1000:.0f} ms wall, {cpu(v)*1000:.0f} ms CPU "
      f"(target < 1000 ms: {'met' if v['mean'] < 1 else 'NOT met'} on wall clock), diff {d['mean']*1000:.0f} ms wall, {cpu(d)*1000:.0f} ms CPU; "
      f"ratio vouch/diff {v['mean']/d['mean']:.1f}x wall, {cpu(v)/cpu(d):.1f}x CPU; peak RSS {int(sys.argv[4])/1024:.0f} MiB")
PY
mkdir -p bench/out && cp "$work/hyperfine.txt" bench/out/90-drift.txt
