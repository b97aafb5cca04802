#!/usr/bin/env bash
# Policy verification (issue 10): declared network policy vs the kernel's Cilium policy maps, for
# BENCH_POLICY_ENDPOINTS endpoints (default 1,000, 25 per namespace, over 20 nodes) under 200 declared policies
# (CiliumNetworkPolicy with entities, deny and L7 rules, NetworkPolicy with namespace/pod selectors), with
# BENCH_POLICY_ENTRIES policy map entries per endpoint (default 2,000: 2M in all). Target: verification < 5 s.
# Inputs go through the real collect path, as the tests' fixtures do: netpol YAML, and per node the bpftool -j
# policy map dumps (map show + map-dump-ID.json) with cilium-dbg endpoint/identity lists. The generator models
# the verifier's expectations, so most entries match; a few are planted missing, unexpected or mismatched.
# `vouch collect` and `vouch policy verify` are timed separately (hyperfine; GNU time for peak RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
VOUCH=${VOUCH:-$(pwd)/.build/release/vouch}
EPS=${BENCH_POLICY_ENDPOINTS:-1000}
ENTRIES=${BENCH_POLICY_ENTRIES:-2000}
W=$(pwd)/bench-work/policy
IN="$W/in-$EPS-$ENTRIES"
mkdir -p "$W" bench/out
if [ ! -f "$IN/.done" ]; then
  rm -rf "$W"/in-*
  python3 - "$IN" "$EPS" "$ENTRIES" <<'PY'
import json, os, random, sys
out, n_eps, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(82)
APPS = ["web", "api", "worker", "db", "cache"]
TIER = {"web": "frontend", "api": "backend", "worker": "backend", "db": "data", "cache": "data"}
REPLICAS, NODES = 5, 20
n_ns = max(2, n_eps // (len(APPS) * REPLICAS))
namespaces = [f"team-{i:02}" for i in range(n_ns)]
env = {ns: ("prod" if i % 2 == 0 else "staging") for i, ns in enumerate(namespaces)}

# --- identities: reserved, one per (namespace, app), CIDR identities for toCIDR/ipBlock peers
identities = {1: ["reserved:host"], 2: ["reserved:world"], 3: ["reserved:unmanaged"], 4: ["reserved:health"],
              5: ["reserved:init"], 6: ["reserved:remote-node"], 7: ["reserved:kube-apiserver"], 8: ["reserved:ingress"],
              9: ["reserved:world-ipv4"], 10: ["reserved:world-ipv6"]}
app_id = {}
used = set(identities)
for ns in namespaces:
    for app in APPS:
        i = random.randrange(256, 65535)
        while i in used: i = random.randrange(256, 65535)
        used.add(i)
        app_id[(ns, app)] = i
        identities[i] = sorted([f"k8s:app={app}", f"k8s:tier={TIER[app]}", f"k8s:io.kubernetes.pod.namespace={ns}",
                                f"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name={ns}",
                                f"k8s:io.cilium.k8s.namespace.labels.env={env[ns]}",
                                f"k8s:io.cilium.k8s.namespace.labels.team={ns}",
                                "k8s:io.cilium.k8s.policy.cluster=default", f"k8s:io.cilium.k8s.policy.serviceaccount={app}"])
CIDRS = ["203.0.113.10/32", "198.51.100.0/24"]
cidr_id = {}
for k, c in enumerate(CIDRS):
    cidr_id[c] = 16777217 + k
    identities[16777217 + k] = [f"cidr:{c}", "reserved:world"]

# --- a model of the verifier's expectations (Sources/VouchControls/PolicyVerify), for the constructs used here
def labels_of(i):
    d = {}
    for l in identities[i]:
        src, _, rest = l.partition(":")
        k, _, v = rest.partition("=")
        d[k if src in ("k8s", "any") else f"{src}:{k}"] = v
    return d
LAB = {i: labels_of(i) for i in identities}
RESERVED = {i for i in identities if any(k.startswith("reserved:") for k in LAB[i])}
MANAGED = sorted(i for i in identities if i not in RESERVED)
def sel_match(sel, labels): return all(labels.get(k) == v for k, v in sel.items())
def ns_labels(l):
    return {k[len("io.cilium.k8s.namespace.labels."):]: v for k, v in l.items() if k.startswith("io.cilium.k8s.namespace.labels.")}
def peer_ids(p):
    t = p[0]
    if t == "all": return [0]
    if t == "entity":
        return sorted([1, 3, 4, 5, 6, 7, 8] + MANAGED) if p[1] == "cluster" else {"world": [2], "host": [1], "kube-apiserver": [7]}[p[1]]
    if t == "endpoint":   # (selector, confining namespace or None)
        return sorted(i for i in identities if (p[2] is None or LAB[i].get("io.kubernetes.pod.namespace") == p[2]) and sel_match(p[1], LAB[i]))
    if t == "namespace":  # (namespace selector, pod selector)
        return sorted(i for i in MANAGED if "io.kubernetes.pod.namespace" in LAB[i] and sel_match(p[1], ns_labels(LAB[i])) and sel_match(p[2], LAB[i]))
    if t == "cidr": return [cidr_id[p[1]]]
    raise ValueError(t)
def blocks(s, e):
    out = []
    while s <= e:
        size, bits = 1, 16
        while bits > 0 and s % (size * 2) == 0 and s + size * 2 - 1 <= e: size *= 2; bits -= 1
        out.append((s, bits)); s += size
    return out
PROTO = {"TCP": [6], "UDP": [17], "ANY": [6, 17]}
def port_keys(ports):
    if not ports: return [(0, 0, 0)]
    out = []
    for (port, end, proto) in ports:
        for pr in PROTO[proto]:
            for b in blocks(port, end or port): out.append((pr, b[0], b[1]))
    return out

# --- declared policies: five per namespace (one per app), each rule kept both as YAML and as the model's terms
def tp(ports, l7=None):
    d = {"ports": [({"port": str(p), "endPort": e, "protocol": pr} if e else {"port": str(p), "protocol": pr}) for p, e, pr in ports]}
    if l7: d["rules"] = l7
    return d
HTTP = {"http": [{"method": "GET", "path": "/api/.*"}, {"method": "POST", "path": "/api/v1/orders"}]}
DNS = {"dns": [{"matchPattern": "*"}]}
def cnp_rule(direction, peer, ports=None, l7=None):
    """A CiliumNetworkPolicy rule: (YAML, model peer)."""
    pre = "from" if direction == "ingress" else "to"
    y = {}
    if peer[0] == "entity": y[pre + "Entities"] = [peer[1]]
    elif peer[0] == "endpoint": y[pre + "Endpoints"] = [{"matchLabels": peer[3]} if peer[3] else {}]
    elif peer[0] == "cidr": y[pre + "CIDR"] = [peer[1]]
    if ports: y["toPorts"] = [tp(ports, l7)]
    return y

policies = []          # YAML documents
rules = {}             # (ns, app) -> [(direction, deny, l7, peer, ports)]
def P(p): return [(x[0], x[1], x[2]) for x in p]
for nsi, ns in enumerate(namespaces):
    other = namespaces[(nsi + 1) % n_ns]
    E = env[ns]
    for app in APPS:
        R = []
        def add(direction, deny, l7, peer, ports): R.append((direction, deny, bool(l7), peer, ports))
        ep_in_ns = lambda sel: ("endpoint", sel, ns, sel)
        if app in ("web", "api", "cache"):
            spec = {"endpointSelector": {"matchLabels": {"app": app}}, "ingress": [], "egress": []}
            def rule(key, direction, deny, peer, ports=None, l7=None):
                spec.setdefault(key, []).append(cnp_rule(direction, peer, ports, l7))
                add(direction, deny, l7, peer, [(p, e, pr) for p, e, pr in (ports or [])])
            if app == "web":
                rule("ingress", "ingress", False, ("entity", "world"), [(443, None, "TCP"), (80, None, "TCP")], HTTP)
                rule("ingress", "ingress", False, ("entity", "cluster"), [(8080, None, "TCP"), (8443, None, "TCP")])
                rule("ingressDeny", "ingress", True, ("entity", "world"), [(22, None, "TCP")])
                rule("egress", "egress", False, ep_in_ns({"app": "api"}), [(8080, None, "TCP")], HTTP)
                rule("egress", "egress", False, ("entity", "cluster"), [(53, None, "ANY")], DNS)
                rule("egress", "egress", False, ("cidr", "198.51.100.0/24"), [(443, None, "TCP")])
            elif app == "api":
                rule("ingress", "ingress", False, ep_in_ns({"app": "web"}), [(8080, None, "TCP")], HTTP)
                sel = {"k8s:io.kubernetes.pod.namespace": other, "app": "worker"}
                spec["ingress"].append({"fromEndpoints": [{"matchLabels": sel}], "toPorts": [tp([(8080, None, "TCP")])]})
                add("ingress", False, False, ("endpoint", {"app": "worker", "io.kubernetes.pod.namespace": other}, other), [(8080, None, "TCP")])
                rule("ingress", "ingress", False, ("entity", "cluster"), [(30000, 30100, "TCP")])
                rule("egress", "egress", False, ep_in_ns({"app": "db"}), [(5432, None, "TCP")])
                rule("egress", "egress", False, ep_in_ns({"app": "cache"}), [(6379, None, "TCP")])
                rule("egress", "egress", False, ("entity", "cluster"), [(53, None, "ANY")], DNS)
                rule("egress", "egress", False, ("entity", "kube-apiserver"), [(443, None, "TCP")])
            else:
                rule("ingress", "ingress", False, ep_in_ns({}), [(6379, None, "TCP")])
                rule("ingress", "ingress", False, ("entity", "cluster"), [(9121, None, "TCP")])
                rule("ingressDeny", "ingress", True, ("entity", "world"))
                rule("egress", "egress", False, ("entity", "cluster"), [(53, None, "ANY")])
                rule("egressDeny", "egress", True, ("entity", "world"), [(25, None, "TCP")])
            coins = [("cluster", ("entity", "cluster")), ("env", ("endpoint", {"io.cilium.k8s.namespace.labels.env": E}, None)),
                     ("ns", ("endpoint", {}, ns)), ("world", ("entity", "world"))]
        else:
            spec = {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}
            def nprule(direction, peers, ports):
                y = {}
                if peers: y["from" if direction == "ingress" else "to"] = [p[0] for p in peers]
                if ports: y["ports"] = [{"port": p, "protocol": pr} if pr != "TCP" or p % 2 else {"port": p} for p, e, pr in ports]
                spec[direction].append(y)
                for p in (peers or [(None, ("all",))]): add(direction, False, None, p[1], ports)
            if app == "worker":
                nprule("ingress", [({"namespaceSelector": {"matchLabels": {"env": E}}}, ("namespace", {"env": E}, {}))],
                       [(9100, None, "TCP"), (9102, None, "TCP")])
                nprule("ingress", [({"podSelector": {}}, ("endpoint", {}, ns))], [(8080, None, "TCP")])
                nprule("egress", [({"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "api"}}}, ("namespace", {}, {"app": "api"}))],
                       [(8080, None, "TCP"), (8443, None, "TCP")])
                nprule("egress", None, [(53, None, "UDP"), (53, None, "TCP")])
            else:
                nprule("ingress", [({"podSelector": {"matchLabels": {"app": "api"}}}, ("endpoint", {"app": "api"}, ns)),
                                   ({"podSelector": {"matchLabels": {"app": "worker"}}}, ("endpoint", {"app": "worker"}, ns))],
                       [(5432, None, "TCP")])
                nprule("ingress", [({"namespaceSelector": {"matchLabels": {"env": E}}, "podSelector": {"matchLabels": {"tier": "backend"}}},
                                    ("namespace", {"env": E}, {"tier": "backend"}))], [(9187, None, "TCP")])
                nprule("egress", [({"ipBlock": {"cidr": "203.0.113.10/32"}}, ("cidr", "203.0.113.10/32"))], [(443, None, "TCP")])
            coins = [("allns", ("namespace", {}, {})), ("env", ("namespace", {"env": E}, {})), ("api", ("namespace", {}, {"app": "api"})),
                     ("ns", ("endpoint", {}, ns)), ("all", ("all",))]
        # Fill up to the entry target with egress rules over more ports (service ports, metrics, partner APIs).
        def expected_of(R):
            exp = {}
            for (d, deny, l7, peer, ports) in R:
                for i in peer_ids(peer):
                    for k in port_keys(ports):
                        key = (d, i) + k
                        x = exp.get(key, [False, False])
                        x[0] = x[0] or deny; x[1] = x[1] or (l7 and not deny)
                        exp[key] = x
            denies = [k for k, x in exp.items() if x[0]]
            for k in [k for k, x in exp.items() if not x[0]]:
                if any(d[0] == k[0] and d[1] in (0, k[1]) and d[2] in (0, k[2]) and (d[4] == 0 or (d[3] == k[3] and d[4] <= k[4])) for d in denies):
                    del exp[k]
            return exp
        need = target - 1 - len(expected_of(R))       # 1: Cilium's own allow-localhost entry
        base_port = {"cluster": 9400, "allns": 9400, "env": 9500, "api": 9600, "ns": 9700, "world": 9800, "all": 9800}
        for kind, peer in sorted(coins, key=lambda c: -len(peer_ids(c[1]))):
            value = len(peer_ids(peer))
            n, need = (need // value, need % value) if need > 0 else (0, need)
            ports = [(base_port[kind] + j, None, "TCP") for j in range(n)]
            for chunk in [ports[j:j + 40] for j in range(0, len(ports), 40)]:   # Cilium takes at most 40 ports per toPorts
                if kind == "cluster": rule("egress", "egress", False, ("entity", "cluster"), chunk)
                elif kind == "world": rule("egress", "egress", False, ("entity", "world"), chunk)
                elif kind == "ns" and app in ("web", "api", "cache"): rule("egress", "egress", False, ep_in_ns({}), chunk)
                elif kind == "env" and app in ("web", "api", "cache"):
                    sel = {"k8s:io.cilium.k8s.namespace.labels.env": E}
                    spec["egress"].append({"toEndpoints": [{"matchLabels": sel, "matchExpressions": [
                        {"key": "k8s:io.kubernetes.pod.namespace", "operator": "NotIn", "values": ["kube-system"]}]}],
                        "toPorts": [tp(chunk)]})
                    add("egress", False, False, ("endpoint", {"io.cilium.k8s.namespace.labels.env": E}, None), chunk)
                elif kind == "allns": nprule("egress", [({"namespaceSelector": {}}, ("namespace", {}, {}))], chunk)
                elif kind == "env": nprule("egress", [({"namespaceSelector": {"matchLabels": {"env": E}}}, ("namespace", {"env": E}, {}))], chunk)
                elif kind == "api": nprule("egress", [({"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "api"}}}, ("namespace", {}, {"app": "api"}))], chunk)
                elif kind == "ns": nprule("egress", [({"podSelector": {}}, ("endpoint", {}, ns))], chunk)
                elif kind == "all": nprule("egress", None, chunk)
        rules[(ns, app)] = expected_of(R)
        if app in ("web", "api", "cache"):
            policies.append({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": app, "namespace": ns}, "spec": spec})
        else:
            policies.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": app, "namespace": ns}, "spec": spec})

sys.path.insert(0, "bench")
from yaml_emit import dump
os.makedirs(f"{out}/netpol", exist_ok=True)
for f in range(10):
    with open(f"{out}/netpol/policies-{f}.yaml", "w") as fh:
        fh.write("\n---\n".join("\n".join(dump(o)) for o in policies[f::10]) + "\n")

# --- endpoints over the nodes, each with its policy map: the expectations, Cilium's allow-localhost, planted faults
HX = [f'"0x{b:02x}"' for b in range(256)]
def encode(key, deny, proxy):
    d, ident, proto, port, bits = key
    prefix = 40 if proto == 0 else 48 + (0 if port == 0 else bits)
    k = list(prefix.to_bytes(4, "little")) + list(ident.to_bytes(4, "little")) + [1 if d == "egress" else 0, proto] + list(port.to_bytes(2, "big"))
    v = list(proxy.to_bytes(2, "big")) + [(1 if deny else 0) | ((prefix - 40) << 3), 0, 0, 0, 0, 0, 0, 0, 0, 0]
    return '{"key":[' + ",".join(HX[b] for b in k) + '],"value":[' + ",".join(HX[b] for b in v) + "]}"
verdicts = {"match": 0, "missing": 0, "unexpected": 0, "mismatch": 0, "implicit": 0}
nodes = {f"node-{h + 1:02}": {"eps": [], "maps": [], "ids": set()} for h in range(NODES)}
total = 0
n = 0
for ns in namespaces:
    for app in APPS:
        exp = rules[(ns, app)]
        for r in range(REPLICAS):
            host = f"node-{n % NODES + 1:02}"
            node = nodes[host]
            epid = random.randrange(1, 4096)
            while epid in node["ids"]: epid = random.randrange(1, 4096)
            node["ids"].add(epid)
            pod = f"{app}-{random.getrandbits(32):08x}"[:len(app) + 6] + f"-{random.getrandbits(20):05x}"
            node["eps"].append({"id": epid, "status": {
                "external-identifiers": {"k8s-namespace": ns, "k8s-pod-name": pod},
                "identity": {"id": app_id[(ns, app)], "labels": identities[app_id[(ns, app)]]},
                "networking": {"addressing": [{"ipv4": f"10.{n % NODES}.{n // 250}.{n % 250 + 2}"}]},
                "policy": {"realized": {"policy-enabled": "both"}}, "state": "ready"}})
            entries = {k: (x[0], 15001 if x[1] else 0) for k, x in exp.items()}
            entries[("ingress", 1, 0, 0, 0)] = (False, 0)
            verdicts["implicit"] += 1
            keys = sorted(exp)
            ok = len(keys)
            if n % 20 == 7:          # two declared entries dropped, two allows planted
                for k in random.sample([k for k in keys if not exp[k][0]], 2): del entries[k]
                for p in (2222, 31337): entries[("ingress", 2, 6, p, 16)] = (False, 0)
                verdicts["missing"] += 2; verdicts["unexpected"] += 2; ok -= 2
            elif n % 47 == 13:       # one entry whose verdict differs: a deny enforced as allow, or a lost proxy redirect
                k = next((k for k in keys if exp[k][0]), None) or next((k for k in keys if exp[k][1]), None) or keys[0]
                deny, proxy = entries[k]
                entries[k] = (False, proxy) if deny else ((deny, 0) if proxy else (deny, 15002))
                verdicts["mismatch"] += 1; ok -= 1
            verdicts["match"] += ok
            mid = 1000 + 3 * len(node["maps"])
            node["maps"].append({"id": mid, "type": "lpm_trie", "name": "cilium_policy_v", "flags": 1, "bytes_key": 12,
                                 "bytes_value": 12, "max_entries": 16384, "frozen": 0,
                                 "pinned": [f"/sys/fs/bpf/tc/globals/cilium_policy_v2_{epid:05}"]})
            os.makedirs(f"{out}/bpf/{host}", exist_ok=True)
            with open(f"{out}/bpf/{host}/map-dump-{mid}.json", "w") as fh:
                fh.write("[" + ",".join(encode(k, *v) for k, v in sorted(entries.items())) + "]\n")
            total += len(entries)
            n += 1
idlist = [{"id": i, "labels": identities[i]} for i in sorted(identities)]
for host, node in nodes.items():
    if not node["eps"]: continue
    with open(f"{out}/bpf/{host}/endpoint-list.json", "w") as fh: json.dump(node["eps"], fh, indent=1)
    with open(f"{out}/bpf/{host}/identity-list.json", "w") as fh: json.dump(idlist, fh, indent=1)
    with open(f"{out}/bpf/{host}/map-show.json", "w") as fh: json.dump(node["maps"], fh)
with open(f"{out}/expected.json", "w") as fh:
    json.dump({"endpoints": n, "policies": len(policies), "namespaces": n_ns, "identities": len(identities),
               "entries": total, "verdicts": verdicts}, fh)
PY
  touch "$IN/.done"
fi
python3 -c "
import json; e = json.load(open('$IN/expected.json'))
print(f\"input: {e['endpoints']} endpoints in {e['namespaces']} namespaces, {e['identities']} identities, {e['policies']} policies, \"
      f\"{e['entries']} policy map entries; planted: {e['verdicts']}\")"
DB="$W/store.db"
SRC=(--source "netpol=$IN/netpol" --source "bpf=$IN/bpf")
# Collect: a fresh store each run (inputs are 360 MB of bpftool JSON; two runs, it is the slow half).
hyperfine --runs "${BENCH_POLICY_COLLECT_RUNS:-2}" --export-json "$W/collect.json" \
  --prepare "rm -f $DB $DB-wal $DB-shm" \
  -n vouch-collect "$VOUCH collect --store $DB ${SRC[*]} > /dev/null"
rm -f "$DB" "$DB"-wal "$DB"-shm
/usr/bin/time -f "%e %M" -o "$W/t-collect" "$VOUCH" collect --store "$DB" "${SRC[@]}" > /dev/null
CAP=$(sqlite3 "$DB" "SELECT max(id) FROM capture")
echo "store: $(sqlite3 "$DB" "SELECT count(*) FROM policy_rule WHERE capture_id = $CAP") policy_rule rows, \
$(sqlite3 "$DB" "SELECT count(*) FROM cilium_endpoint WHERE capture_id = $CAP") endpoints, \
$(sqlite3 "$DB" "SELECT count(*) FROM cilium_policy_entry WHERE capture_id = $CAP") cilium_policy_entry rows, \
$(( $(stat -c %s "$DB") >> 20 )) MB"
# Verify: exit 1 is expected (planted differences), so -i; each run replaces the capture's policy_verification rows.
"$VOUCH" policy verify --store "$DB" --capture "$CAP" --limit 3 > "$W/verify.txt" || true
head -4 "$W/verify.txt"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)   # before the timed runs: other jobs on the machine skew wall times
hyperfine -i --warmup 1 --runs "${BENCH_POLICY_VERIFY_RUNS:-5}" --export-json "$W/verify.json" \
  -n vouch-policy-verify "$VOUCH policy verify --store $DB --capture $CAP > /dev/null"
/usr/bin/time -f "%e %M" -o "$W/t-verify" "$VOUCH" policy verify --store "$DB" --capture "$CAP" > /dev/null || true
python3 - "$W" "$IN" "$LOAD" <<'PY' | tee bench/out/policy.txt
import json, sys
w, inp, load = sys.argv[1], sys.argv[2], sys.argv[3]
e = json.load(open(f"{inp}/expected.json"))
c = json.load(open(f"{w}/collect.json"))["results"][0]
v = json.load(open(f"{w}/verify.json"))["results"][0]
cs, crss = open(f"{w}/t-collect").read().split()[-2:]
vs, vrss = open(f"{w}/t-verify").read().split()[-2:]
got = open(f"{w}/verify.txt").readline().strip()
want = ", ".join(f"{e['verdicts'].get(k, 0)} {k}" for k in ["mismatch", "missing", "unexpected", "unverified", "implicit", "match"])
print(f"verdicts: {got}" + ("" if got.endswith(want) else f"  (generator expected: {want})"))
print(f"collect: {c['mean']:.2f} s wall / {c['user'] + c['system']:.2f} s CPU, peak RSS {int(crss) // 1024} MB")
per = e['entries'] // max(1, e['endpoints'])
print(f"policy verify: {e['endpoints']:,} endpoints x {e['policies']} rules x {per:,} entries: {v['mean']:.2f} s "
      f"(target < 5 s) {'OK' if v['mean'] < 5 else 'OVER'}, {v['user'] + v['system']:.2f} s CPU, peak RSS {int(vrss) // 1024} MB; load average {load}")
PY
