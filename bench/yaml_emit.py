"""A small YAML emitter (block style) for the benchmark generators, so they need no PyYAML."""
import json


def dump(v, ind=0):
    """The lines of `v` (dicts, lists, JSON scalars) as block-style YAML, indented `ind` levels."""
    pad = "  " * ind
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            key = json.dumps(k) if ":" in k else k
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{key}:"); out.extend(dump(x, ind + 1))
            else:
                out.append(f"{pad}{key}: {json.dumps(x)}")
    else:
        for x in v:
            sub = dump(x, ind + 1) if isinstance(x, (dict, list)) and x else [f"{pad}  {json.dumps(x)}"]
            out.append(f"{pad}- {sub[0].strip()}"); out.extend(sub[1:])
    return out
