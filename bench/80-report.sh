#!/usr/bin/env bash
# Reports: a store with 50,000 check results over 93 controls and 2,000 evidence items.
# Targets (issue 8): HTML < 2 s and < 10 MB; OSCAL < 3 s. Side by side with sqlite3 reading the same
# results (the floor: what just reading the rows costs). BENCH_RESULTS and BENCH_ITEMS override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
RESULTS=${BENCH_RESULTS:-50000}
ITEMS=${BENCH_ITEMS:-2000}
W=$(pwd)/bench-work/report
mkdir -p "$W" bench/out
DB="$W/store-$RESULTS.db"
if [ ! -f "$DB.done" ]; then
  rm -rf "$W/tree" "$DB"*
  mkdir -p "$W/tree"
  python3 - "$W/tree" "$ITEMS" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"{root}/host{i % 50:02}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/setting{i:05}.conf", "w") as fh:
        fh.write(f"# setting {i}\nvalue = {i * 7919 % 10007}\n")
PY
  "$VOUCH" collect --store "$DB" --source "files=$W/tree" > /dev/null
  # The engine's results tables, filled as `vouch evaluate` would: 40 checks, 93 controls.
  sqlite3 "$DB" <<SQL
INSERT INTO evaluation(id, capture_id, evaluated_at, catalog_sha256, tool_version)
  VALUES (1, 1, '2026-01-01T00:00:00.000Z', '$(printf 'c%.0s' $(seq 64))', 'bench');
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $RESULTS - 1)
INSERT INTO check_result(evaluation_id, capture_id, check_id, resource, status, reason, severity, evidence, exception)
SELECT 1, 1, 'check.' || (i % 40), 'host' || (i % 50) || '/resource-' || i,
       CASE WHEN i % 7 = 0 THEN 'fail' WHEN i % 31 = 0 THEN 'error' WHEN i % 53 = 0 THEN 'skip' ELSE 'pass' END,
       'setting ' || i || ' compared with the declared value', 'medium',
       '[' || (SELECT min(id) FROM item) + (i % $ITEMS) || ']',
       CASE WHEN i % 301 = 0 THEN '{"reason":"migration in progress","approver":"CISO","expires":"2026-06-30","expired":false}' END
FROM n;
WITH RECURSIVE t(theme, n, prefix) AS (VALUES ('Organizational', 37, 'A.5.'), ('People', 8, 'A.6.'),
                                              ('Physical', 14, 'A.7.'), ('Technological', 34, 'A.8.')),
  c(theme, prefix, k, n) AS (SELECT theme, prefix, 1, n FROM t UNION ALL SELECT theme, prefix, k + 1, n FROM c WHERE k < n)
INSERT INTO control_result(evaluation_id, capture_id, control_id, title, theme, applicable, justification, status, checks,
                           pass_count, fail_count, error_count)
SELECT 1, 1, prefix || k, 'Control ' || prefix || k, theme, (k % 9) <> 0,
       CASE WHEN k % 9 = 0 THEN 'not in scope for the bench' END,
       CASE WHEN k % 9 = 0 THEN 'not_applicable' WHEN k % 4 = 0 THEN 'not_implemented' WHEN k % 3 = 0 THEN 'partially_implemented'
            ELSE 'implemented' END,
       '["check.' || (k % 40) || '","check.' || ((k + 13) % 40) || '"]', 0, 0, 0
FROM c;
SQL
  touch "$DB.done"
fi
echo "store: $(sqlite3 "$DB" 'SELECT count(*) FROM check_result') results, $(sqlite3 "$DB" 'SELECT count(*) FROM control_result') controls, $(sqlite3 "$DB" 'SELECT count(*) FROM item') items"
hyperfine --warmup 1 --runs 5 --export-json bench/out/report.json \
  -n sqlite3-read "sqlite3 $DB 'SELECT * FROM check_result' > /dev/null" \
  -n vouch-html "$VOUCH report --store $DB --format html --out $W/out --generated-at 2026-01-01T00:00:00Z > /dev/null" \
  -n vouch-oscal "$VOUCH report --store $DB --format oscal --out $W/out --generated-at 2026-01-01T00:00:00Z > /dev/null"
python3 - <<'PY'
import json
r = {x["command"]: x["mean"] for x in json.load(open("bench/out/report.json"))["results"]}
print(f"html: {r['vouch-html']:.2f} s (target < 2 s), {r['vouch-html'] / r['sqlite3-read']:.1f}x sqlite3 reading the rows")
print(f"oscal: {r['vouch-oscal']:.2f} s (target < 3 s), {r['vouch-oscal'] / r['sqlite3-read']:.1f}x sqlite3 reading the rows")
PY
echo "report.html: $(( $(stat -c %s "$W/out/report.html") / 1024 )) KB (target < 10 MB); report.xml: $(( $(stat -c %s "$W/out/report.xml") / 1024 )) KB"
for f in html oscal json; do
  /usr/bin/time -f "%e %M" -o "$W/t" "$VOUCH" report --store "$DB" --format $f --out "$W/out" --generated-at 2026-01-01T00:00:00Z > /dev/null
  read -r secs rss < "$W/t"
  echo "$f: ${secs} s, peak RSS $((rss / 1024)) MB"
done
