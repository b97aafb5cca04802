#!/usr/bin/env bash
# git source: a generated repository of 50,000 commits (~5 changed files each, built with git fast-import),
# side by side with git itself. Targets (issue 4): full ingestion with per-file line stats vs
# `git log --all --numstat` <= 1.0; metadata only vs `git log --all --format=…` <= 2; incremental capture
# with nothing new < 0.2 s; peak RSS < 300 MB. BENCH_GIT_COMMITS overrides the commit count.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
N=${BENCH_GIT_COMMITS:-50000}
RUNS=${BENCH_GIT_RUNS:-3}      # hyperfine runs per command (warm-up: one run, unless RUNS is 1)
WARM=$([ "$RUNS" -gt 1 ] && echo 1 || echo 0)
W=$(pwd)/bench-work/git
R=$W/repo-$N
mkdir -p "$W" bench/out
if [ ! -f "$R.done" ]; then
  rm -rf "$R"; git init -q --bare "$R"
  # Deterministic stream: 300 files of 40 lines under talos/ nixos/ k8s/ app/; each commit rewrites one
  # line in each of ~5 files (chosen by a fixed-seed generator), one commit per 10 minutes.
  python3 - "$N" <<'PY' | git -C "$R" fast-import --quiet
import random, sys
n = int(sys.argv[1]); rnd = random.Random(4)
dirs = ["talos", "nixos", "k8s", "app"]
files = [f"{dirs[i % 4]}/mod{i // 4:03}/conf{i:03}.txt" for i in range(300)]
content = {f: [f"{f} line {j} value 0" for j in range(40)] for f in files}
out = sys.stdout.buffer
t0 = 1700000000
for c in range(1, n + 1):
    who = ["alice", "bob", "carol", "dave"][c % 4]
    changed = rnd.sample(files, 4 + (c % 3))
    msg = f"change {c}: tune {changed[0]}\n\nSigned-off-by: {who} <{who}@example.com>\n".encode()
    out.write(f"commit refs/heads/main\nmark :{c}\nauthor {who} <{who}@example.com> {t0 + c * 600} +0000\n"
              f"committer {who} <{who}@example.com> {t0 + c * 600} +0000\ndata {len(msg)}\n".encode() + msg)
    if c > 1: out.write(f"from :{c - 1}\n".encode())
    for f in changed:
        lines = content[f]; j = rnd.randrange(40); lines[j] = f"{f} line {j} value {c}"
        data = ("\n".join(lines) + "\n").encode()
        out.write(f"M 100644 inline {f}\ndata {len(data)}\n".encode() + data)
    out.write(b"\n")
PY
  git -C "$R" gc -q
  touch "$R.done"
fi
[ -n "${BENCH_GIT_GENERATE_ONLY:-}" ] && exit 0
echo "git: $(git -C "$R" rev-list --count --all) commits, $(du -sm "$R" | cut -f1) MB packed, $(nproc) cores"
printf 'sources:\n  - kind: git\n    target: %s\n    changes: lines\n' "$R" > "$W/full.yaml"
printf 'sources:\n  - kind: git\n    target: %s\n    changes: none\n' "$R" > "$W/meta.yaml"
hyperfine --warmup "$WARM" --runs "$RUNS" --export-json bench/out/git-full.json \
  --prepare "rm -f $W/full.db $W/full.db-wal $W/full.db-shm" \
  -n git-log-numstat "git -C $R log --all --numstat --format=%H > /dev/null" \
  -n vouch-full "$VOUCH collect --store $W/full.db --profile $W/full.yaml > /dev/null"
hyperfine --warmup "$WARM" --runs "$RUNS" --export-json bench/out/git-meta.json \
  --prepare "rm -f $W/meta.db $W/meta.db-wal $W/meta.db-shm" \
  -n git-log-format "git -C $R log --all --format='%H %T %P %an %ae %at %cn %ce %ct %s %(trailers)' > /dev/null" \
  -n vouch-metadata "$VOUCH collect --store $W/meta.db --profile $W/meta.yaml > /dev/null"
python3 - <<'PY'
import json
def means(p): return {x["command"]: x["mean"] for x in json.load(open(p))["results"]}
f = means("bench/out/git-full.json"); m = means("bench/out/git-meta.json")
print(f"full with line stats: vouch {f['vouch-full']:.2f} s, git log --numstat {f['git-log-numstat']:.2f} s, ratio {f['vouch-full'] / f['git-log-numstat']:.2f} (target <= 1.0)")
print(f"metadata only: vouch {m['vouch-metadata']:.2f} s, git log --format {m['git-log-format']:.2f} s, ratio {m['vouch-metadata'] / m['git-log-format']:.2f} (target <= 2)")
PY
rm -f "$W/full.db"*
/usr/bin/time -f "%e %M" -o "$W/rss" "$VOUCH" collect --store "$W/full.db" --profile "$W/full.yaml" > /dev/null
read -r secs rss < "$W/rss"
echo "full ingestion: ${secs} s, peak RSS $((rss / 1024)) MB (target < 300 MB), store $(du -sm "$W/full.db" | cut -f1) MB"
hyperfine --warmup 1 --runs 10 --export-json bench/out/git-incr.json \
  -n vouch-nothing-new "$VOUCH collect --store $W/full.db --profile $W/full.yaml > /dev/null"
python3 -c "import json; r=json.load(open('bench/out/git-incr.json'))['results'][0]; print(f\"incremental, nothing new: {r['mean']:.3f} s (target < 0.2 s)\")"
