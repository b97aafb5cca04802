#!/usr/bin/env bash
# Fuzzes Vouch's Nix lexer and parser with libFuzzer (outside the SwiftPM targets; not part of `make test`).
# Usage: fuzz/nix-parser/run.sh [SECONDS]   (default 600). Crashes land in fuzz/nix-parser/crashes/.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_TO_RUN=${1:-600}
SRC=../../Sources/VouchCollectors/NixOS
mkdir -p .build corpus crashes
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name NixFuzz \
  "$SRC/NixToken.swift" "$SRC/NixLexer.swift" "$SRC/NixAST.swift" "$SRC/NixParser.swift" \
  "$SRC/NixParser+Operators.swift" "$SRC/NixParser+Simple.swift" "$SRC/NixIndentedString.swift" "$SRC/NixDuplicateCheck.swift" "$SRC/NixPrinter.swift" \
  FuzzNixParser.swift -o .build/nix-parser-fuzzer 2> .build/swiftc.log || { cat .build/swiftc.log; exit 1; }
# Seed the corpus from the sample estate (once).
if [ -z "$(ls -A corpus)" ]; then
  find ../../fixtures/nixos -name '*.nix' -exec cp {} corpus/ \;
  printf '%s' 'let a = "${toString 1}d"; in { x.y = a; z = [ ./p/${a}.nix ''\n  i${a}''\$x'' ]; }' > corpus/seed-strings.nix
fi
exec ./.build/nix-parser-fuzzer -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=crashes/ -print_final_stats=1 corpus
