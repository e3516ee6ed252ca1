"""Out-of-core benchmark: numba_act over an array larger than memory, on a Dask LocalCluster.

    python -m benchmarks.outofcore --quick                    # 0.25 GB smoke run, well under a minute
    python -m benchmarks.outofcore --gb 8 --workers 2 --chunk-mb 64 --json benchmarks/out/outofcore.json

Needs the `dask` extra (``pip install -e ".[dask]"``) and Linux for the
per-pipeline peak memory (elsewhere: the lifetime peak).

A float32 array of --gb GB (10^9 bytes), rows of --cols values, is generated
chunk by chunk (uniform in [-8, 8), seeded per chunk, so every pipeline sees
the same values) and reduced to one float64 number per activation, so no
pipeline ever holds more than a few chunks.  Pipelines, each timed end to
end (generation + activation + sum):

- "LocalCluster": a Dask array from the chunk generator, ``na.sigmoid(x)``
  or ``na.softmax(x, axis=-1)``, ``.sum()``, on --workers worker processes
  of --threads threads (with NUMBA_NUM_THREADS=1 in the workers, as Dask
  sets OMP_NUM_THREADS=1: Dask's threads already occupy the cores);
- "NumPy loop": one process, chunk after chunk: ``1/(1+np.exp(-x))`` and the
  SciPy-style softmax (max, exp, sum, divide);
- "numba_act loop": one process, chunk after chunk, numba_act's calls (which
  split large chunks over numba's threads);
- "generation only": the same pipelines without the activation, so that the
  activation's share is visible; the "act. only" column is the input size
  over (pipeline time - generation-only time of the same pipeline).

Each pipeline runs --repeat times and the best time is kept.  Then the
plain calls on one in-memory chunk (no generation; best of 5),
and the peak resident memory (VmHWM, reset before each pipeline) of every
worker and of the single process, next to its resident memory just before
the pipeline (Python, NumPy, Numba and Dask themselves: the difference is
what the pipeline's chunks took).  Throughput is input bytes over seconds.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

LOW, WIDTH = -8.0, 16.0  # inputs uniform in [LOW, LOW + WIDTH)


def gen_chunk(seed, index, rows, cols):
    """Chunk `index` of the array: float32, uniform in [-8, 8), seeded per chunk."""
    x = np.random.default_rng([seed, index]).random((rows, cols), dtype=np.float32)
    x *= np.float32(WIDTH)
    x += np.float32(LOW)
    return x


def _dask_chunk(block_info=None, *, seed, cols):
    info = block_info[None]
    return gen_chunk(seed, info["chunk-location"][0], info["chunk-shape"][0], cols)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


# ------------------------------------------------------------ peak memory
def reset_peak():
    """Reset this process's peak RSS (Linux: VmHWM, via /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def current_rss():
    """Resident memory of this process in bytes now (0 where unknown)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss():
    """Peak resident memory of this process in bytes since the last reset."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # lifetime peak (Linux: kB)


# ------------------------------------------------------------------ runs
def _sum_chunks(n_chunks, rows, cols, seed, act):
    total = 0.0
    for i in range(n_chunks):
        x = gen_chunk(seed, i, rows, cols)
        y = x if act is None else act(x)
        total += float(y.sum(dtype=np.float64))
    return total


def run_loop(n_chunks, rows, cols, seed, act, repeat):
    _sum_chunks(1, min(rows, 64), cols, seed + 1, act)  # warm-up (compiles numba_act)
    base = current_rss()
    reset_peak()
    dt = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        total = _sum_chunks(n_chunks, rows, cols, seed, act)
        dt = min(dt, time.perf_counter() - t)
    return {"seconds": dt, "sum": total, "peak_bytes": [peak_rss()], "base_bytes": [base]}


def run_cluster(client, x, which, repeat):
    import numba_act as na

    y = {"gen": lambda: x, "sigmoid": lambda: na.sigmoid(x), "softmax": lambda: na.softmax(x, axis=-1)}[which]()
    s = y.sum(dtype=np.float64)
    workers = sorted(client.scheduler_info()["workers"])
    base = client.run(current_rss, workers=workers)
    client.run(reset_peak, workers=workers)
    dt = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        total = float(client.compute(s, sync=True))
        dt = min(dt, time.perf_counter() - t)
    peaks = client.run(peak_rss, workers=workers)
    return {
        "seconds": dt,
        "sum": total,
        "peak_bytes": [peaks[w] for w in workers],
        "base_bytes": [base[w] for w in workers],
    }


def one_chunk(act, x, repeat):
    act(x)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        act(x)
        best = min(best, time.perf_counter() - t)
    return {"seconds": best, "bytes": x.nbytes}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gb", type=float, default=8.0, help="array size in GB (10^9 bytes) of float32 (default 8)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    ap.add_argument("--chunk-mb", type=float, default=64.0, help="chunk size in MB (default 64)")
    ap.add_argument("--cols", type=int, default=1024, help="row length, the softmax axis (default 1024)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each pipeline; the best is kept (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="smoke run: 0.25 GB in 16 MB chunks, one run each")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    if args.quick:
        args.gb, args.chunk_mb, args.repeat = 0.25, 16.0, 1

    import dask.array as da
    import numba
    from dask.distributed import Client, LocalCluster

    import numba_act as na

    cols = args.cols
    rows = max(1, int(args.chunk_mb * 1e6) // (4 * cols))
    n_chunks = max(1, round(args.gb * 1e9 / (4 * cols * rows)))
    nbytes = n_chunks * rows * cols * 4
    gb = nbytes / 1e9
    threads_here = numba.get_num_threads()
    print(
        f"array: {n_chunks} chunks of {rows} x {cols} float32 = {gb:.3f} GB "
        f"(chunk {rows * cols * 4 / 1e6:.1f} MB); cluster: {args.workers} workers x {args.threads} threads; "
        f"this process: numba threads {threads_here}, {os.cpu_count()} CPUs",
        flush=True,
    )

    results = {}
    env = {"NUMBA_NUM_THREADS": "1"}
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=args.threads,
            processes=True,
            dashboard_address=None,
            env=env,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        x = da.map_blocks(
            _dask_chunk,
            seed=args.seed,
            cols=cols,
            chunks=((rows,) * n_chunks, (cols,)),
            dtype=np.float32,
            meta=np.empty((0, 0), np.float32),
        )
        # Warm-up: every worker imports numba_act and compiles (or loads
        # from Numba's cache) on a small array first.
        xs = x[: min(64, rows) * args.workers * 2].rechunk({0: min(64, rows)})
        client.compute([na.sigmoid(xs).sum(), na.softmax(xs).sum()], sync=True)
        for which in ("gen", "sigmoid", "softmax"):
            results[("LocalCluster", which)] = run_cluster(client, x, which, args.repeat)
            print(".", end="", flush=True)

    for label, acts in [
        ("NumPy loop", {"gen": None, "sigmoid": _np_sigmoid, "softmax": _np_softmax}),
        ("numba_act loop", {"gen": None, "sigmoid": na.sigmoid, "softmax": na.softmax}),
    ]:
        for which, act in acts.items():
            if label == "numba_act loop" and which == "gen":
                results[(label, which)] = results[("NumPy loop", "gen")]
                continue
            results[(label, which)] = run_loop(n_chunks, rows, cols, args.seed, act, args.repeat)
            print(".", end="", flush=True)

    x0 = gen_chunk(args.seed, 0, rows, cols)
    chunk = {
        ("one chunk, NumPy", "sigmoid"): one_chunk(_np_sigmoid, x0, 5),
        ("one chunk, NumPy", "softmax"): one_chunk(_np_softmax, x0, 5),
        ("one chunk, numba_act", "sigmoid"): one_chunk(na.sigmoid, x0, 5),
        ("one chunk, numba_act", "softmax"): one_chunk(na.softmax, x0, 5),
    }
    print(flush=True)

    # Checks: the same data everywhere, so the sigmoid sums agree between
    # pipelines; every softmax row sums to 1.
    ref_sig = results[("numba_act loop", "sigmoid")]["sum"]
    n_rows = n_chunks * rows
    checks = {}
    for (label, which), r in results.items():
        if which == "sigmoid":
            checks[(label, which)] = abs(r["sum"] - ref_sig) / abs(ref_sig)
        elif which == "softmax":
            checks[(label, which)] = abs(r["sum"] - n_rows) / n_rows
        else:
            checks[(label, which)] = abs(r["sum"] - results[("NumPy loop", "gen")]["sum"]) / max(1.0, abs(r["sum"]))

    cores = {"LocalCluster": args.workers * args.threads, "NumPy loop": 1, "numba_act loop": threads_here}
    lines = [
        f"Out-of-core: {gb:.2f} GB float32 ({n_chunks} chunks of {rows} x {cols}), "
        f"{args.workers} workers x {args.threads} threads, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        "",
        "| pipeline | activation | cores | s | GB/s | act. only GB/s | peak RSS per process, MB (before) | check (rel.) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for (label, which), r in results.items():
        if label == "numba_act loop" and which == "gen":
            continue
        gbs = gb / r["seconds"]
        extra = r["seconds"] - results[(label, "gen")]["seconds"]
        act_only = f"{gb / extra:.2f}" if which != "gen" and extra > 0 else "-"
        peaks = ", ".join(f"{p / 1e6:.0f} ({b / 1e6:.0f})" for p, b in zip(r["peak_bytes"], r["base_bytes"]))
        name = "generation only" if which == "gen" else which
        lines.append(
            f"| {label} | {name} | {cores[label]} | {r['seconds']:.2f} | {gbs:.2f} | {act_only} | {peaks} | "
            f"{checks[(label, which)]:.1e} |"
        )
    for (label, which), r in chunk.items():
        c = threads_here if "numba_act" in label else 1
        lines.append(
            f"| {label} ({r['bytes'] / 1e6:.0f} MB, in memory) | {which} | {c} | {r['seconds']:.4f} | "
            f"{r['bytes'] / 1e9 / r['seconds']:.2f} | - | - | - |"
        )
    per_worker = {
        which: gb / results[("LocalCluster", which)]["seconds"] / args.workers for which in ("sigmoid", "softmax")
    }
    lines += [
        "",
        "Per worker (generation + activation + sum): "
        + ", ".join(f"{w} {v:.2f} GB/s" for w, v in per_worker.items())
        + f". With N workers, each on its own {args.threads} core(s) and memory bandwidth and producing its own "
        "chunks, the prediction is N times these figures (only the per-chunk float64 sums cross the network).",
    ]
    print("\n".join(lines))

    if args.json:
        out = {
            "args": vars(args),
            "gb": gb,
            "n_chunks": n_chunks,
            "chunk_shape": [rows, cols],
            "cpus": os.cpu_count(),
            "numba_threads_here": threads_here,
            "pipelines": [
                {
                    "pipeline": label,
                    "activation": which,
                    **r,
                    "gb_per_s": gb / r["seconds"],
                    "check": checks[(label, which)],
                }
                for (label, which), r in results.items()
            ],
            "one_chunk": [
                {"pipeline": label, "activation": which, **r, "gb_per_s": r["bytes"] / 1e9 / r["seconds"]}
                for (label, which), r in chunk.items()
            ],
            "per_worker_gb_per_s": per_worker,
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
