#!/usr/bin/env bash
# talos source: 1,000 node configs (half v1alpha1 single-document, half 1.14-style multi-document, each with its own
# tokens and keys to redact), side by side with PyYAML parsing the same files (no redaction, no store).
# Target (issue 3): 1,000 node configs collected in < 2 s. Also: a 100 MB config and an alias bomb are refused fast.
# BENCH_TALOS_NODES overrides the node count (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
W=$(pwd)/bench-work/talos
N=${BENCH_TALOS_NODES:-1000}
mkdir -p "$W" bench/out
if [ ! -f "$W/nodes/.done-$N" ]; then
  rm -rf "$W/nodes"; mkdir -p "$W/nodes"
  python3 - "$W/nodes" "$N" fixtures/talos/estate <<'PY'
import hashlib, os, sys
out, n, estate = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cp = open(f"{estate}/cp-1.yaml").read()
wk = open(f"{estate}/worker-1.yaml").read()
def h(s): return hashlib.sha256(s.encode()).hexdigest()
for i in range(n):
    # Every node gets its own secrets, so redaction works as hard as on a real estate.
    tok = h(f"t{i}")
    if i % 2 == 0:
        text = cp.replace("hostname: cp-1", f"hostname: cp-{i}").replace("plant1.aaaabbbbccccdddd", f"{tok[:6]}.{tok[6:22]}")
        text = text.replace("planted-ephemeral-passphrase", f"pass-{tok[:24]}")
    else:
        text = wk.replace("hostname: worker-1", f"hostname: worker-{i}").replace("plant3.iiiijjjjkkkkllll", f"{tok[:6]}.{tok[6:22]}")
        text = text.replace("cGxhbnRlZC13aXJlZ3VhcmQtcHJpdmF0ZS1rZXk9PT0=", tok[:43] + "=")
    with open(f"{out}/node-{i:04}.yaml", "w") as f:
        f.write(text)
PY
  touch "$W/nodes/.done-$N"
fi
echo "talos: $N node configs, $(du -sk "$W/nodes" | cut -f1) KB"
cat > "$W/pyyaml.py" <<'PY'
import glob, sys, yaml
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for p in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    with open(p) as f:
        list(yaml.load_all(f, Loader=loader))
PY
hyperfine --warmup 1 --runs 5 --export-json bench/out/talos.json \
  --prepare "rm -f $W/t.db $W/t.db-wal $W/t.db-shm" \
  -n pyyaml-parse "python3 $W/pyyaml.py $W/nodes" \
  -n vouch-collect "$VOUCH collect --store $W/t.db --source talos=$W/nodes > /dev/null"
python3 - "$N" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open("bench/out/talos.json"))["results"]}
v = r["vouch-collect"]
print(f"vouch collect: {v:.2f} s for {sys.argv[1]} node configs (target < 2 s); "
      f"ratio vouch/pyyaml-parse = {v / r['pyyaml-parse']:.2f} (PyYAML only parses: no redaction, facts or store)")
PY
rm -f "$W/t.db"*
/usr/bin/time -f "%M" -o "$W/rss" "$VOUCH" collect --store "$W/t.db" --source "talos=$W/nodes" > /dev/null
echo "peak RSS: $(( $(cat "$W/rss") / 1024 )) MB; rows: $(sqlite3 "$W/t.db" 'SELECT count(*) FROM talos_setting') settings, $(sqlite3 "$W/t.db" 'SELECT count(*) FROM talos_node') nodes"

# Bad input: a sparse 100 MB config and a billion-laughs alias bomb are refused quickly, in bounded memory.
mkdir -p "$W/bad"
truncate -s 100M "$W/bad/huge.yaml"
python3 - "$W/bad/bomb.yaml" <<'PY'
import sys
s = "version: v1alpha1\nmachine:\n  type: worker\na0: &a0 [" + ", ".join(["lol"] * 10) + "]\n"
for i in range(1, 10):
    s += f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]\n"
open(sys.argv[1], "w").write(s)
PY
rm -f "$W/b.db"*
/usr/bin/time -f "%e %M" -o "$W/bad.t" "$VOUCH" collect --store "$W/b.db" --source "talos=$W/bad" > /dev/null || true
read -r secs rss < <(tail -n 1 "$W/bad.t")
echo "100 MB config + alias bomb: refused in ${secs} s, peak RSS $((rss / 1024)) MB, $(sqlite3 "$W/b.db" "SELECT count(*) FROM evidence WHERE status = 'error'") error items"
