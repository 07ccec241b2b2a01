"""Measure how much the nbval-checked outputs move with the CPU's floating-point kernels.

Executes the committed notebooks (their default, smoke parameters) once per variant,
each variant a set of documented environment switches that make OpenBLAS and oneDNN
pick other kernels, or another ``model_seed`` (a stand-in for "some other summation
order": it gives the chaotic training another start). Every number in every cell
tagged ``nbval-check-output`` is then compared with the committed output, and the
largest deviation per cell is printed. The tolerances in ``tests/nbval_tolerance.py``
and the methods page come from this script's output.

    python tools/kernel_variation.py --out variation.json            # every variant
    python tools/kernel_variation.py --variant haswell-avx2 --out x.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

from digits_helpers.core.registry import STAGES
from digits_helpers.run.pipeline import KERNEL_NAME, LocalKernelManager

ROOT = Path(__file__).resolve().parents[1]
CHECK_TAG = "nbval-check-output"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# name -> (environment switches, parameters). OPENBLAS_CORETYPE and ONEDNN_MAX_CPU_ISA
# are the libraries' documented switches; TF_ENABLE_ONEDNN_OPTS=0 replaces oneDNN's
# kernels with Eigen's.
VARIANTS: dict[str, tuple[dict[str, str], dict[str, int]]] = {
    "this-machine": ({}, {}),
    "sandybridge-avx": ({"OPENBLAS_CORETYPE": "SandyBridge", "ONEDNN_MAX_CPU_ISA": "AVX"}, {}),
    "prescott-sse41": ({"OPENBLAS_CORETYPE": "Prescott", "ONEDNN_MAX_CPU_ISA": "SSE41"}, {}),
    "nehalem-eigen": ({"OPENBLAS_CORETYPE": "Nehalem", "TF_ENABLE_ONEDNN_OPTS": "0"}, {}),
    "model-seed-0": ({}, {"model_seed": 0}),
    "model-seed-1": ({}, {"model_seed": 1}),
    "model-seed-2": ({}, {"model_seed": 2}),
}


def checked_outputs(path: Path) -> dict[str, str]:
    """The text of every nbval-checked cell, keyed by its rank among the checked cells.

    (Not by cell index: papermill inserts a cell when it injects parameters.)
    """
    nb = nbformat.read(path, as_version=4)
    texts = {}
    checked = [c for c in nb.cells if CHECK_TAG in c.metadata.get("tags", [])]
    for index, cell in enumerate(checked):
        if cell.cell_type == "code":
            parts = []
            for output in cell.outputs:
                if output.output_type == "stream":
                    parts.append(output.text)
                elif "text/plain" in output.get("data", {}):
                    parts.append(output["data"]["text/plain"])
            texts[str(index)] = "".join(parts)
    return texts


def execute_variant(env: dict[str, str], parameters: dict[str, int]) -> dict[str, dict]:
    """Execute the five notebooks under ``env`` in a scratch copy; their checked outputs."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # inherited by each notebook's kernel
    try:
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            found = {}
            for step in STAGES:
                source = ROOT / "notebooks" / step.filename
                declared = papermill.inspect_notebook(str(source))
                given = {k: v for k, v in parameters.items() if k in declared}
                output = work / step.filename
                papermill.execute_notebook(
                    str(source),
                    str(output),
                    parameters=given,
                    kernel_name=KERNEL_NAME,
                    cwd=str(work),
                    progress_bar=False,
                    kernel_manager_class=LocalKernelManager,
                )
                found[step.notebook] = checked_outputs(output)
            return found
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def deviations(reference: str, other: str) -> list[tuple[str, str]]:
    """Pairs of numbers that differ between two texts of the same shape."""
    ref_numbers, other_numbers = NUMBER.findall(reference), NUMBER.findall(other)
    if NUMBER.sub("#", reference) != NUMBER.sub("#", other):
        return [("text", "differs")]
    return [(a, b) for a, b in zip(ref_numbers, other_numbers, strict=True) if a != b]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--out", type=Path, required=True, help="JSON file of all outputs")
    args = parser.parse_args()
    committed = {
        step.notebook: checked_outputs(ROOT / "notebooks" / step.filename) for step in STAGES
    }
    measured = {"committed": committed}
    for name in args.variant or list(VARIANTS):
        env, parameters = VARIANTS[name]
        print(f"executing the notebooks: {name}", file=sys.stderr)
        measured[name] = execute_variant(env, parameters)
        for notebook, cells in measured[name].items():
            for index, text in cells.items():
                moved = deviations(committed[notebook][index], text)
                if moved:
                    print(f"  {notebook} checked cell {index}: {moved}", file=sys.stderr)
        tmp = args.out.with_suffix(".tmp")  # after each variant: a crash keeps the rest
        tmp.write_text(json.dumps(measured, indent=1))
        shutil.move(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
