"""Print the README's catalogue table from the registry (one source of truth).

    python tools/catalogue_table.py

tests/test_docs.py checks that README.md contains exactly this output, so a
new registry entry, or a changed formula, default or convention, fails the
suite until the README is regenerated.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from numba_act.registry import ACTIVATIONS  # noqa: E402


def _cell(text):
    return text.replace("|", "\\|")


def _params(act):
    if not act.params:
        return "-"
    return ", ".join(f"{p.name}" if p.default is None else f"{p.name}={p.default!r}" for p in act.params)


def table():
    lines = [
        "| function | formula | parameters (PyTorch's defaults) | derivative (`_grad`) | convention |",
        "|---|---|---|---|---|",
    ]
    for act in ACTIVATIONS:
        lines.append(
            f"| `{act.name}` | {_cell(act.formula)} | {_cell(_params(act))} | {_cell(act.grad_formula)} "
            f"| {_cell(act.kink)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
