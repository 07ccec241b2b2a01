"""nbval, with trained scores compared within a measured tolerance.

nbval compares the outputs of cells tagged ``nbval-check-output`` exactly. That is
right for what is decided before training (the split, the grid, counts, tables of
configurations): those are integers or fixed decimals, identical on every machine.
It is wrong for scores that come out of training: another CPU makes OpenBLAS and
oneDNN pick other kernels, another summation order gives another network, and the
accuracy on 360 test digits moves in steps of 0.28 points.

A checked cell that also carries the tag :data:`TOLERANCE_TAG` is compared with one
relaxation: every number written as a percentage with decimals (``98.61 %``, the form
every score takes) may differ from the committed one by up to :data:`PERCENT_POINTS`
points; a whole percentage such as the "95 %" of a confidence level stays exact.
Everything else in the cell (its words, its other numbers, how many percentages it
prints) must still match exactly, and a percentage outside the band fails with nbval's
usual diff. Runs of spaces are
compared as one space, since a table's column widths follow its numbers.

The tolerance comes from ``tools/kernel_variation.py``: the largest move seen across
kernels and model seeds, with a margin (the methods page gives the measurements).

Loaded by ``-p nbval_tolerance`` in ``pyproject.toml``'s pytest options.
"""

from __future__ import annotations

import copy
import re

import pytest
from nbval.plugin import IPyNbCell, coalesce_streams

TOLERANCE_TAG = "nbval-tolerance"
# Largest deviation measured across kernels and seeds: see the methods page.
PERCENT_POINTS = 3.0
PERCENTAGE = re.compile(r"(?<![\w.])(-?\d+\.\d+)( ?%)")  # a score has decimals
SPACES = re.compile(r"[ \t]+")


def align_percentages(test: str, reference: str, points: float = PERCENT_POINTS) -> str:
    """``test`` with each percentage within ``points`` of the reference's written as it.

    Parameters
    ----------
    test, reference
        The text a cell printed now and the text committed in the notebook.
    points
        The largest accepted difference, in percentage points.

    Returns
    -------
    str
        ``test``, unchanged where the two texts do not hold the same number of
        percentages or where a percentage is outside the band, so that the exact
        comparison that follows reports the difference.
    """
    found = list(PERCENTAGE.finditer(test))
    committed = PERCENTAGE.findall(reference)
    if len(found) != len(committed):
        return test
    pieces, last = [], 0
    for match, (number, unit) in zip(found, committed, strict=True):
        pieces.append(test[last : match.start()])
        inside = abs(float(match.group(1)) - float(number)) <= points + 1e-9
        pieces.append(number + unit if inside else match.group(0))
        last = match.end()
    pieces.append(test[last:])
    return "".join(pieces)


def _texts(output) -> list[tuple[dict, str]]:
    """The text-bearing places of one output: (mapping, key) pairs."""
    if output.get("output_type") == "stream":
        return [(output, "text")]
    data = output.get("data", {})
    return [(data, "text/plain")] if "text/plain" in data else []


def _squeeze(outputs: list) -> list:
    outputs = copy.deepcopy(outputs)
    for output in outputs:
        for holder, key in _texts(output):
            holder[key] = SPACES.sub(" ", holder[key])
    return outputs


class ToleranceCell(IPyNbCell):
    """A checked cell whose percentages may move within :data:`PERCENT_POINTS`."""

    def compare_outputs(self, test, ref, skip_compare=None):
        test = _squeeze(coalesce_streams(copy.deepcopy(test)))
        ref = _squeeze(coalesce_streams(copy.deepcopy(ref)))
        for test_output, ref_output in zip(test, ref, strict=False):
            pairs = zip(_texts(test_output), _texts(ref_output), strict=False)
            for (holder, key), (ref_holder, ref_key) in pairs:
                holder[key] = align_percentages(holder[key], ref_holder[ref_key])
        same = super().compare_outputs(test, ref, skip_compare)
        if not same:
            self.comparison_traceback.append(
                f"(percentages in this cell may differ by up to {PERCENT_POINTS} points; "
                "everything else must match exactly)"
            )
        return same


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Compare tables by their text, and cells tagged :data:`TOLERANCE_TAG` within the band.

    A table a reader sees is a DataFrame: its ``text/html`` is pandas' rendering of the
    same numbers as its ``text/plain``, and pandas versions render it differently, so
    only the text form is compared.
    """
    for item in items:
        if not isinstance(item, IPyNbCell):
            continue
        if "text/html" not in item.parent.skip_compare:
            item.parent.skip_compare = (*item.parent.skip_compare, "text/html")
        if TOLERANCE_TAG in item.cell.metadata.get("tags", []):
            item.__class__ = ToleranceCell
