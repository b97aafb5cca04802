#!/usr/bin/env bash
# bpf source (issue 5), live, as root:
#  1. one hash map of BENCH_BPF_N entries (default 1,000,000; u32 key, 64-byte value): Vouch's capture of it
#     (every entry read by batch lookup, sorted, SHA-256 over all of it, 100,000 entry rows stored) side by side
#     with `bpftool map dump id N -j > /dev/null`. Targets: ratio (vouch / bpftool) <= 0.5, peak RSS < 400 MB.
#  2. enumerating BENCH_BPF_MAPS maps (default 1,000, pinned, one entry each) with their contents: < 1 s.
# Maps are pinned under a private bpffs in bench-work/ and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
N=${BENCH_BPF_N:-1000000}
MAPS=${BENCH_BPF_MAPS:-1000}
W=$(pwd)/bench-work/bpf
OUT=bench/out/50-bpf.txt
if [ "$(id -u)" != 0 ]; then echo "50-bpf: skipped: needs root (bpf() and a bpffs mount)"; exit 0; fi
mkdir -p "$W/fs" bench/out
cc -O2 -o "$W/bpf-fill" bench/bpf-fill.c -lbpf
mountpoint -q "$W/fs" || mount -t bpf bpf "$W/fs"
cleanup() { rm -rf "$W/fs/big" "$W/fs/many" 2>/dev/null || true; umount "$W/fs" 2>/dev/null || true; }
trap cleanup EXIT
rm -rf "$W/fs/big" "$W/fs/many"

ID=$("$W/bpf-fill" big "$N" "$W/fs/big")
cat > "$W/big.yaml" <<YAML
sources:
  - kind: bpf
    target: live
    map_ids: [$ID]
YAML
hyperfine --warmup 1 --runs 5 --export-json "$W/big.json" \
  --prepare "rm -f $W/big.db $W/big.db-wal $W/big.db-shm" \
  -n vouch "$VOUCH collect --store $W/big.db --profile $W/big.yaml" \
  -n bpftool "bpftool map dump id $ID -j > /dev/null"
rm -f "$W/big.db"*
/usr/bin/time -v "$VOUCH" collect --store "$W/big.db" --profile "$W/big.yaml" > /dev/null 2> "$W/time.txt"
RSS=$(awk '/Maximum resident set size/ {print $6}' "$W/time.txt")
"$VOUCH" query --store "$W/big.db" "SELECT entry_count, truncated, substr(content_sha256, 1, 16) AS sha FROM bpf_map WHERE map_id = $ID"
rm -f "$W/fs/big"

mkdir -p "$W/fs/many"
"$W/bpf-fill" many "$MAPS" "$W/fs/many"
hyperfine --warmup 1 --runs 5 --export-json "$W/many.json" \
  --prepare "rm -f $W/many.db $W/many.db-wal $W/many.db-shm" \
  -n "vouch-$MAPS-maps" "$VOUCH collect --store $W/many.db --source bpf=live" \
  -n "bpftool-map-show" "bpftool map show -j > /dev/null"

python3 - "$W" "$N" "$MAPS" "$RSS" <<'PY' | tee "$OUT"
import json, sys
w, n, maps, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
big = {r["command"]: r["mean"] for r in json.load(open(f"{w}/big.json"))["results"]}
many = {r["command"]: r["mean"] for r in json.load(open(f"{w}/many.json"))["results"]}
ratio = big["vouch"] / big["bpftool"]
print(f"50-bpf: {n} entries: vouch {big['vouch']:.3f} s, bpftool dump -j {big['bpftool']:.3f} s, ratio {ratio:.2f} (target <= 0.5) {'OK' if ratio <= 0.5 else 'OVER'}")
print(f"50-bpf: peak RSS {rss / 1024:.0f} MB (target < 400 MB) {'OK' if rss < 400 * 1024 else 'OVER'}")
m = many[f"vouch-{maps}-maps"]
print(f"50-bpf: {maps} maps collected live in {m:.3f} s (target < 1 s) {'OK' if m < 1 else 'OVER'}; bpftool map show {many['bpftool-map-show']:.3f} s")
PY
