"""The README's per-activation tables, from the JSON the benchmarks write.

    python -m benchmarks.tables speed RESULT.json [MORE.json ...] [--threads 2]
    python -m benchmarks.tables accuracy RESULT.json [MORE.json ...]

One row per activation: forward, _grad and _backward side by side.  Later
files replace the cells (or functions) of earlier ones, so a rerun of some
functions (`--only 'mish*'`) can be laid over a full run.
"""

import argparse
import json
import sys

from numba_act.registry import ACTIVATIONS

KINDS = (("forward", ""), ("grad", "_grad"), ("backward", "_backward"))
ROWS = ("softmax", "softmax_backward", "log_softmax", "log_softmax_backward", "logsumexp")


def _merged_cells(paths):
    cells = {}
    for path in paths:
        with open(path) as f:
            for c in json.load(f)["cells"]:
                cells[(c["dtype"], tuple(c["shape"]), c["function"], c["threads"])] = c
    return list(cells.values())


def _ratio(c, peer):
    t = c["times"]
    return t["numba_act"]["median_ms"] / t[peer]["median_ms"] if peer in t else None


def _speed_cell(c):
    if c is None:
        return "- | - | -"
    n = 1
    for s in c["shape"]:
        n *= s
    ns = c["times"]["numba_act"]["median_ms"] * 1e6 / n
    vs_torch = _ratio(c, "torch")
    return f"{ns:.2f} | {_ratio(c, 'copy'):.2f} | " + (f"{vs_torch:.2f}" if vs_torch is not None else "-")


def speed_table(paths, threads):
    """ns per element, over the copy and over torch, per activation (and
    the softmax family, forward and backward) at one thread count."""
    cells = [c for c in _merged_cells(paths) if c["threads"] == threads]
    by = {(c["dtype"], c["size"], c["function"]): c for c in cells}
    keys = list(dict.fromkeys((c["dtype"], c["size"]) for c in cells))  # in the order the benchmark ran
    lines = [
        "| dtype | size | activation | forward ns/el | /copy | /torch | grad ns/el | /copy | /torch "
        "| backward ns/el | /copy | /torch |",
        "|---|---|---|" + "---|---|---|" * 3,
    ]
    for dtype, size in keys:
        names = [a.name for a in ACTIVATIONS] + [r for r in ROWS if not r.endswith("_backward")]
        for name in names:
            if name in ROWS:
                parts = [by.get((dtype, size, name)), None, by.get((dtype, size, f"{name}_backward"))]
            else:
                parts = [by.get((dtype, size, name + suffix)) for _, suffix in KINDS]
            if any(parts):
                lines.append(f"| {dtype} | {size} | {name} | " + " | ".join(_speed_cell(p) for p in parts) + " |")
    return "\n".join(lines)


def accuracy_table(paths):
    """Max ulp (and where) per activation and kind, float32 and float64."""
    t32, t64 = {}, {}
    for path in paths:
        with open(path) as f:
            d = json.load(f)
        t32.update(d.get("float32", {}))
        t64.update(d.get("float64", {}))
    lines = [
        "| activation | forward f32 (at x) | f64 | grad f32 (at x) | f64 | backward f32 (at x) | f64 "
        "| f32 subnormal max (x 2^-149) | NaN/inf mismatches |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for act in ACTIVATIONS:
        fns = [act.name + suffix for _, suffix in KINDS]
        if not all(fn in t32 for fn in fns):
            continue
        cells, sub, bad = [], 0.0, 0
        for fn in fns:
            r = t32[fn]
            at = "-" if r["max"] == 0 else f"{r['at']:.7g}"
            f64 = f"{t64[fn]['max']:.1f}" if fn in t64 else "-"
            cells.append(f"{r['max']:.2f} ({at}) | {f64}")
            sub = max(sub, r["sub_max"])
            bad += r["nan_bad"] + r["inf_bad"]
        lines.append(f"| {act.name} | " + " | ".join(cells) + f" | {sub:.2f} | {bad} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("speed", "accuracy"))
    ap.add_argument("json", nargs="+", help="result files of python -m benchmarks / benchmarks.accuracy --json")
    ap.add_argument("--threads", type=int, default=2, help="thread count of the speed table (default 2)")
    args = ap.parse_args(argv)
    print(speed_table(args.json, args.threads) if args.kind == "speed" else accuracy_table(args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
