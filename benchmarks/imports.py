"""What a new Python process pays to import what a chapter's kernel imports.

    python benchmarks/imports.py              # 3 interleaved rounds
    python benchmarks/imports.py --rounds 5

Every chapter runs in a kernel of its own, and ``digits-book run`` and the book's build
are processes too, so a start-up cost is paid about ten times per ``make book``. Two
costs were found and removed; this script measures both side by side, interleaved:

- bytecode: where ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machines),
  Python never writes ``__pycache__``, and a venv installed without
  ``--compile-bytecode`` compiles TensorFlow, scikit-learn, pandas... from source in
  every process. "without" points ``PYTHONPYCACHEPREFIX`` at an empty folder, so that
  no bytecode is found; "with" reads what ``make venv`` compiled.
- rfc3987-syntax: jsonschema imports it when it is installed and builds 38 lark
  grammars; ``myst_nb.glue`` imports jsonschema through nbformat. ``make lock`` now
  leaves it out (``tools/lock-excludes.txt``); "glue" times the first glue call.

Writes ``benchmarks/results/imports.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import described, package_versions

RESULTS = Path(__file__).resolve().parent / "results"
# What the chapters' kernels import before their first computation.
KERNEL_IMPORTS = (
    "import tensorflow, sklearn.neural_network, sklearn.model_selection, pandas, scipy.stats,"
    " plotly.graph_objects"
)
GLUE = "from myst_nb import glue; glue('x', 1, display=False)"
CASES = {
    "kernel imports, without bytecode": (KERNEL_IMPORTS, True),
    "kernel imports, with bytecode": (KERNEL_IMPORTS, False),
    "first glue, with bytecode": (GLUE, False),
}


def seconds(code: str, *, no_bytecode: bool) -> float:
    """Wall seconds of a new interpreter that runs ``code`` and exits."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", TF_CPP_MIN_LOG_LEVEL="3")
    with tempfile.TemporaryDirectory() as empty:
        if no_bytecode:
            env["PYTHONPYCACHEPREFIX"] = empty  # nothing compiled there: compile from source
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {case: [] for case in CASES}
    for round_ in range(args.rounds):
        for case, (code, no_bytecode) in CASES.items():
            timings[case].append(seconds(code, no_bytecode=no_bytecode))
            print(f"round {round_ + 1}: {case}: {timings[case][-1]:.2f} s", flush=True)
    try:
        import rfc3987_syntax  # noqa: F401

        rfc = "installed"
    except ImportError:
        rfc = "not installed"
    record = {"seconds": timings, "rfc3987_syntax": rfc, "versions": package_versions()}
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "imports.json", record)
    lines = [
        "# What a new process pays to import a chapter's libraries",
        "",
        f"{args.rounds} interleaved rounds on {described()}; `PYTHONDONTWRITEBYTECODE=1` as"
        f" on this project's machines; rfc3987-syntax {rfc}. `python benchmarks/imports.py`.",
        "",
        "| case | median s | min s | max s |",
        "|---|---|---|---|",
    ]
    for case, values in timings.items():
        lines.append(
            f"| {case} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"
        )
    (RESULTS / "imports.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
