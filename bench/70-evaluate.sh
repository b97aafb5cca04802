#!/usr/bin/env bash
# engine: evaluate every check of controls/ over a store holding 1,000,000 generated fact rows.
# Target (issue 7): all checks together < 2 s. BENCH_FACT_ROWS overrides the row count.
# The rows are spread over every fact table the store knows (generators below; the biggest
# tables get most rows) and over 10 captures, so the checks' capture filters matter.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
W=$(pwd)/bench-work/evaluate
ROWS=${BENCH_FACT_ROWS:-1000000}
mkdir -p "$W/etc" bench/out
echo "a" > "$W/etc/hosts"
DB=$W/eval-$ROWS.db
if [ ! -f "$DB.done" ]; then
  rm -f "$DB" "$DB"-wal "$DB"-shm
  for i in $(seq 1 10); do "$VOUCH" collect --store "$DB" --source "files=$W/etc" > /dev/null; done
  python3 bench/gen-facts.py "$DB" "$ROWS"
  touch "$DB.done"
fi
echo "store: $(du -m "$DB" | cut -f1) MB, $(python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = [r[0] for r in db.execute("SELECT name FROM fact_table ORDER BY name")]
counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
print(sum(counts.values()), "fact rows:", ", ".join(f"{t} {n}" for t, n in counts.items() if n))
PY
)"
export VOUCH_CONTROLS=$(pwd)/controls
hyperfine --warmup 1 --runs 5 --export-json bench/out/evaluate.json \
  -n "evaluate (checks only)" "$VOUCH evaluate --store $DB --no-verify > /dev/null || true" \
  -n "sqlite3 count(*) of every fact table" "sqlite3 $DB \"$(python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(" UNION ALL ".join(f"SELECT count(*) FROM {r[0]}" for r in db.execute("SELECT name FROM fact_table")) + ";")
PY
)\" > /dev/null"
python3 - "$DB" <<'PY'
import json, sqlite3, sys
res = {x["command"]: x for x in json.load(open("bench/out/evaluate.json"))["results"]}
r = {k: v["mean"] for k, v in res.items()}
ev = r["evaluate (checks only)"]; ref = r["sqlite3 count(*) of every fact table"]
cpu = res["evaluate (checks only)"]["user"] + res["evaluate (checks only)"]["system"]
import os
print(f"evaluate CPU time (user+sys) {cpu:.3f} s; load average during the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
db = sqlite3.connect(sys.argv[1])
last = db.execute("SELECT max(id) FROM evaluation").fetchone()[0]
total, n, worst = db.execute("SELECT sum(duration_ms), count(*), max(duration_ms) FROM evaluation_check WHERE evaluation_id = ?", (last,)).fetchone()
slow = db.execute("SELECT check_id, duration_ms FROM evaluation_check WHERE evaluation_id = ? ORDER BY duration_ms DESC LIMIT 3", (last,)).fetchall()
print(f"evaluate: {ev:.3f} s wall for {n} checks (target < 2 s); the checks' own time {total} ms, slowest {worst} ms: {slow}")
print(f"ratio evaluate / a full count(*) scan of every fact table = {ev / ref:.2f}")
PY
/usr/bin/time -f "%M" -o "$W/rss" "$VOUCH" evaluate --store "$DB" --no-verify > /dev/null || true
echo "peak RSS evaluate: $(( $(tail -1 "$W/rss") / 1024 )) MB"
