#!/usr/bin/env python3
"""Fills every fact table of a Vouch store with deterministic rows (for bench/70-evaluate.sh).

Usage: gen-facts.py STORE ROWS. Rows are spread over the captures already in the store and over
every table listed in fact_table, more to the tables that grow big in real estates. Columns are
filled by type; CHECK (col IN (...)) lists are honoured; rows that would break a UNIQUE key are skipped.
"""
import random, re, sqlite3, sys

path, total = sys.argv[1], int(sys.argv[2])
random.seed(7)
db = sqlite3.connect(path)
captures = [r[0] for r in db.execute("SELECT id FROM capture ORDER BY id")]
item = db.execute("SELECT min(id) FROM item").fetchone()[0]
tables = [r[0] for r in db.execute("SELECT name FROM fact_table ORDER BY name")]
big = {"policy_rule": 4, "talos_setting": 4, "git_change": 4, "bpf_map_entry": 4, "nixos_option": 3, "git_commit": 3,
       "cilium_policy_entry": 3, "bpf_program": 1, "bpf_map": 1}
weights = {t: big.get(t, 1) for t in tables}
scale = total / sum(weights.values())
for t in tables:
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
    cols = [(r[1], (r[2] or "").upper()) for r in db.execute(f"PRAGMA table_info({t})") if r[5] == 0 or r[1] != "id"]
    choices = {m.group(1): [v.strip().strip("'") for v in m.group(2).split(",")]
               for m in re.finditer(r"(\w+)\s+\w+[^,]*?CHECK\s*\(\s*\1\s+IN\s*\(([^)]*)\)\s*\)", sql)}
    n = int(weights[t] * scale)
    def row(i):
        out = []
        for name, typ in cols:
            if name == "capture_id": out.append(captures[i % len(captures)])
            elif name == "evidence_id": out.append(item)
            elif name in choices: out.append(choices[name][i % len(choices[name])])
            elif "INT" in typ: out.append(i % 2 if i % 3 else (i * 7919) % 100000)
            elif "REAL" in typ: out.append(float(i % 1000))
            else: out.append(f"{name}-{(i * 31) % 5000}")
        return out
    names = ", ".join(c[0] for c in cols)
    marks = ", ".join("?" for _ in cols)
    db.executemany(f"INSERT OR IGNORE INTO {t}({names}) VALUES ({marks})", (row(i) for i in range(n)))
    print(f"  {t}: {n} rows", file=sys.stderr)
# Every source the tables belong to is recorded as collected in every capture, so checks run.
set_id = db.execute("SELECT min(id) FROM item_set").fetchone()[0]
for c in captures:
    seq = db.execute("SELECT max(seq) FROM capture_source WHERE capture_id = ?", (c,)).fetchone()[0] or 0
    at = db.execute("SELECT finished_at FROM capture WHERE id = ?", (c,)).fetchone()[0]
    for src in sorted({r[0] for r in db.execute("SELECT source FROM fact_table")} - {"files"}):
        seq += 1
        db.execute("""INSERT INTO capture_source(capture_id, seq, source, target, set_id, status, item_count, error_count,
                      started_at, finished_at) VALUES (?, ?, ?, 'bench', ?, 'ok', 0, 0, ?, ?)""", (c, seq, src, set_id, at, at))
db.commit()
