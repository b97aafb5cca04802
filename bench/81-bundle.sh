#!/usr/bin/env bash
# Auditor bundle: export and offline verify of a capture holding 100,000 evidence items and 1 GB of blobs.
# Targets (issue 11): each < 30 s, peak RSS < 200 MB. Side by side with Info-ZIP (zip -0 -q -r over the same
# files, and unzip -t) as the floor. BENCH_ITEMS and BENCH_BLOB_MB override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
ITEMS=${BENCH_ITEMS:-100000}
BLOB_MB=${BENCH_BLOB_MB:-1024}
W=$(pwd)/bench-work/bundle
mkdir -p "$W" bench/out
DB="$W/store-$ITEMS-$BLOB_MB.db"
if [ ! -f "$DB.done" ]; then
  rm -rf "$W/tree" "$W"/store-*
  python3 - "$W/tree" "$ITEMS" "$BLOB_MB" <<'PY'
import os, sys, random
root, items, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
big = max(1, mb)                      # files of 1 MB carry the blob volume
for i in range(items - big):
    d = f"{root}/small/{i // 1000:03}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/s{i:06}.conf", "w") as fh: fh.write(f"setting_{i} = {i * 2654435761 % 4294967296}\n")
os.makedirs(f"{root}/big", exist_ok=True)
for i in range(big):
    with open(f"{root}/big/b{i:04}.img", "wb") as fh: fh.write(random.randbytes(1 << 20))
PY
  "$VOUCH" keygen --out "$W/keys-$ITEMS" > /dev/null 2>&1 || true
  "$VOUCH" collect --store "$DB" --source "files=$W/tree" > /dev/null
  touch "$DB.done"
fi
KEY="$W/keys-$ITEMS/vouch-signing.key"; PUB="$W/keys-$ITEMS/vouch-signing.pub"
echo "store: $(sqlite3 "$DB" 'SELECT count(*) FROM item') items, $(( $(sqlite3 "$DB" 'SELECT sum(size) FROM blob') >> 20 )) MB of blobs"
rm -f "$W/b.zip" "$W/ref.zip"
/usr/bin/time -f "%e %M" -o "$W/t-export" "$VOUCH" export --store "$DB" --bundle "$W/b.zip" --sign-key "$KEY" \
  --generated-at 2026-01-01T00:00:00Z > /dev/null
/usr/bin/time -f "%e %M" -o "$W/t-verify" "$VOUCH" verify "$W/b.zip" --public-key "$PUB" > /dev/null
/usr/bin/time -f "%e %M" -o "$W/t-zip" bash -c "cd $W/tree && zip -0 -q -r $W/ref.zip ."
/usr/bin/time -f "%e %M" -o "$W/t-unzip" unzip -tq "$W/ref.zip" > /dev/null
read -r es er < "$W/t-export"; read -r vs vr < "$W/t-verify"; read -r zs zr < "$W/t-zip"; read -r us ur < "$W/t-unzip"
echo "export: ${es} s, peak RSS $((er / 1024)) MB (targets < 30 s, < 200 MB); zip -0 -r: ${zs} s -> ratio $(python3 -c "print(f'{$es/max($zs,0.01):.2f}')")"
echo "verify: ${vs} s, peak RSS $((vr / 1024)) MB (targets < 30 s, < 200 MB); unzip -t: ${us} s -> ratio $(python3 -c "print(f'{$vs/max($us,0.01):.2f}')")"
echo "bundle: $(( $(stat -c %s "$W/b.zip") >> 20 )) MB"
echo "export ${es}s ${er}KB verify ${vs}s ${vr}KB zip ${zs}s unzip ${us}s" > bench/out/bundle.txt
