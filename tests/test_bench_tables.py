"""benchmarks.tables: the README's per-activation tables from result JSON."""

import json

from benchmarks import tables


def _cell(fn, threads, na_ms, copy_ms, torch_ms=None, shape=(10_000_000,), size="1e7"):
    times = {"numba_act": {"median_ms": na_ms}, "copy": {"median_ms": copy_ms}}
    if torch_ms is not None:
        times["torch"] = {"median_ms": torch_ms}
    return {"dtype": "float32", "shape": list(shape), "size": size, "threads": threads, "function": fn, "times": times}


def test_speed_table_rows_and_overlay(tmp_path):
    first = tmp_path / "a.json"
    first.write_text(
        json.dumps(
            {
                "cells": [
                    _cell("sigmoid", 2, 5.0, 2.5, 4.0),
                    _cell("sigmoid_grad", 2, 6.0, 3.0, 6.0),
                    _cell("sigmoid_backward", 2, 8.0, 2.0),
                    _cell("sigmoid", 1, 9.0, 3.0, 9.0),
                    _cell("softmax", 2, 2.0, 1.0, 1.0, shape=(1000, 1000), size="1000x1000"),
                ]
            }
        )
    )
    rerun = tmp_path / "b.json"
    rerun.write_text(json.dumps({"cells": [_cell("sigmoid_grad", 2, 3.0, 3.0, 6.0)]}))
    out = tables.speed_table([str(first), str(rerun)], threads=2).splitlines()
    sig = next(line for line in out if "| sigmoid |" in line)
    # 5 ms / 1e7 = 0.50 ns, 5 / 2.5 = 2.00 copy, 5 / 4 = 1.25 torch; grad from the rerun; no torch backward
    assert sig == "| float32 | 1e7 | sigmoid | 0.50 | 2.00 | 1.25 | 0.30 | 1.00 | 0.50 | 0.80 | 4.00 | - |"
    smax = next(line for line in out if "| softmax |" in line)
    assert smax == "| float32 | 1000x1000 | softmax | 2.00 | 2.00 | 2.00 | - | - | - | - | - | - |"
    assert not any("| tanh |" in line for line in out)  # functions not run are left out


def test_accuracy_table(tmp_path):
    r = {"max": 1.5, "at": -2.0, "sub_max": 0.5, "nan_bad": 0, "inf_bad": 0}
    f32 = {f"relu{s}": dict(r, max=0.0) for s in ("", "_grad", "_backward")}
    f32.update({f"tanh{s}": r for s in ("", "_grad", "_backward")})
    f32["tanh_backward"] = dict(r, max=3.25, nan_bad=1)
    p = tmp_path / "acc.json"
    p.write_text(json.dumps({"float32": f32, "float64": {"tanh": {"max": 2.0}}}))
    out = tables.accuracy_table([str(p)]).splitlines()
    assert "| relu | 0.00 (-) | - | 0.00 (-) | - | 0.00 (-) | - | 0.50 | 0 |" in out
    assert "| tanh | 1.50 (-2) | 2.0 | 1.50 (-2) | - | 3.25 (-2) | - | 0.50 | 1 |" in out
