#!/usr/bin/env bash
# netpol source: 10,000 generated policies (NetworkPolicy, CiliumNetworkPolicy with L7, a few clusterwide) over
# 200 namespaces, as multi-document YAML files and as one kubectl JSON List, collected and normalized.
# Target (issue 6): < 2 s. No reference tool exists for this job; Python's own YAML/JSON parsers reading the
# same files are shown side by side as a floor. BENCH_NETPOL_N overrides the policy count (default 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
N=${BENCH_NETPOL_N:-10000}
W=$(pwd)/bench-work/netpol
mkdir -p "$W" bench/out
if [ ! -f "$W/.done-$N" ]; then
  rm -rf "$W/yaml" "$W/json"; mkdir -p "$W/yaml" "$W/json"
  python3 - "$W" "$N" <<'PY'
import json, sys, random
w, n = sys.argv[1], int(sys.argv[2]); random.seed(60)
items = []
for i in range(n):
    ns = f"team-{i % 200:03}"
    if i % 500 == 0:
        items.append({"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                      "metadata": {"name": f"ccnp-{i}"},
                      "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": ns}},
                               "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}]}})
    elif i % 2 == 0:
        items.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                      "metadata": {"name": f"np-{i}", "namespace": ns},
                      "spec": {"podSelector": {} if i % 10 == 0 else {"matchLabels": {"app": f"app-{i % 37}"}},
                               "policyTypes": ["Ingress", "Egress"],
                               "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}},
                                                     {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                                            "ports": [{"port": 8080 + i % 5, "protocol": "TCP"}, {"port": "metrics"}]}],
                               "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}}],
                                           "ports": [{"port": 5432}]}]}})
    else:
        items.append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                      "metadata": {"name": f"cnp-{i}", "namespace": ns},
                      "spec": {"endpointSelector": {"matchLabels": {"app": f"svc-{i % 41}"}},
                               "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:app": "client"}}],
                                            "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                         "rules": {"http": [{"method": "GET", "path": "/api/.*"}]}}]},
                                           {"fromEntities": ["world"] if i % 7 == 0 else ["cluster"]}],
                               "egress": [{"toFQDNs": [{"matchName": f"api{i % 13}.example.com"}],
                                           "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}})
sys.path.insert(0, "bench")
from yaml_emit import dump
for f in range(10):
    chunk = items[f::10]
    with open(f"{w}/yaml/policies-{f}.yaml", "w") as fh:
        fh.write("\n---\n".join("\n".join(dump(o)) for o in chunk) + "\n")
with open(f"{w}/json/all.json", "w") as fh:
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, fh)
PY
  touch "$W/.done-$N"
fi
echo "netpol: $N policies; YAML $(du -sk "$W/yaml" | cut -f1) KB in 10 files, JSON $(du -sk "$W/json" | cut -f1) KB"
hyperfine --warmup 1 --runs 5 --export-json bench/out/netpol.json \
  --prepare "rm -f $W/b.db $W/b.db-wal $W/b.db-shm" \
  -n python-json-parse "python3 -c 'import json; json.load(open(\"$W/json/all.json\"))'" \
  -n vouch-json "$VOUCH collect --store $W/b.db --source netpol=$W/json > /dev/null" \
  -n vouch-yaml "$VOUCH collect --store $W/b.db --source netpol=$W/yaml > /dev/null"
python3 - <<'PY'
import json
res = {x["command"]: x for x in json.load(open("bench/out/netpol.json"))["results"]}
r = {k: v["mean"] for k, v in res.items()}
cpu = {k: v["user"] + v["system"] for k, v in res.items()}
# On a shared machine the wall time includes waiting for a core: the CPU time is shown beside it.
print(f"vouch JSON {r['vouch-json']:.2f} s wall / {cpu['vouch-json']:.2f} s CPU, YAML {r['vouch-yaml']:.2f} s wall / "
      f"{cpu['vouch-yaml']:.2f} s CPU (target < 2 s); ratio JSON vs python json parse only = {r['vouch-json'] / r['python-json-parse']:.1f}")
PY
rm -f "$W/b.db"*
/usr/bin/time -f "%e %M" -o "$W/rss" "$VOUCH" collect --store "$W/b.db" --source "netpol=$W/yaml" > /dev/null
read -r secs rss < "$W/rss"
rows=$(sqlite3 "$W/b.db" "SELECT count(*) FROM policy_rule")
echo "YAML capture: ${secs} s, peak RSS $((rss / 1024)) MB, policy_rule rows: ${rows}"
