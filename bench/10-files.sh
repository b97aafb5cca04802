#!/usr/bin/env bash
# files source: 10,000 small files plus one 1 GB file, side by side with sha256sum over the same files.
# Targets (issue 2): ratio <= 1.2, peak RSS < 100 MB; re-capture with nothing changed < 0.5 s, store growth < 64 KB.
# BENCH_BIG_MB overrides the big file's size (default 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
W=$(pwd)/bench-work/files
BIG_MB=${BENCH_BIG_MB:-1024}
mkdir -p "$W" bench/out
if [ ! -f "$W/tree/.done-$BIG_MB" ]; then
  rm -rf "$W/tree"; mkdir -p "$W/tree"
  python3 - "$W/tree" <<'PY'
import os, sys, random
root = sys.argv[1]; random.seed(42)
for d in range(100):
    os.makedirs(f"{root}/d{d:03}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/d{d:03}/f{f:03}.conf", "wb") as fh:
            fh.write(random.randbytes(random.randint(200, 4000)))
PY
  head -c $((BIG_MB << 20)) /dev/urandom > "$W/tree/big.img"
  touch "$W/tree/.done-$BIG_MB"
fi
find "$W/tree" -type f ! -name '.done-*' -print0 > "$W/list"
echo "files: $(tr -cd '\0' < "$W/list" | wc -c) files, $(du -sm "$W/tree" | cut -f1) MB"
hyperfine --warmup 1 --runs 3 --export-json bench/out/files.json \
  --prepare "rm -f $W/b.db $W/b.db-wal $W/b.db-shm; sync" \
  -n sha256sum "xargs -0 sha256sum < $W/list > /dev/null" \
  -n vouch-collect "$VOUCH collect --store $W/b.db --source files=$W/tree > /dev/null"
python3 - <<'PY'
import json
r = {x["command"]: x["mean"] for x in json.load(open("bench/out/files.json"))["results"]}
print(f"ratio vouch/sha256sum = {r['vouch-collect'] / r['sha256sum']:.2f} (target <= 1.2)")
PY
rm -f "$W/b.db"*
/usr/bin/time -f "%M" -o "$W/rss" "$VOUCH" collect --store "$W/b.db" --source "files=$W/tree" > /dev/null
echo "peak RSS first capture: $(( $(cat "$W/rss") / 1024 )) MB (target < 100 MB)"
size_before=$(du -b "$W/b.db" | cut -f1)
/usr/bin/time -f "%e %M" -o "$W/re" "$VOUCH" collect --store "$W/b.db" --source "files=$W/tree" > /dev/null
size_after=$(du -b "$W/b.db" | cut -f1)
read -r secs rss < "$W/re"
echo "re-capture with nothing changed: ${secs} s (target < 0.5 s), store growth $(( (size_after - size_before) / 1024 )) KB (target < 64 KB), peak RSS $((rss / 1024)) MB"
