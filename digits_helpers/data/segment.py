"""Cut the ink mask of a strip of handwritten digits into one mask per digit, left to right.

A strip of a scanned form (a postcode, an amount) holds several digits side by side.
:func:`segment_strip` finds them with four simple rules, applied in this order:

1. **Components.** The ink is split into 8-connected components; a component smaller than
   ``min_ink_fraction`` of the largest one is a speck of noise and is dropped.
2. **Broken strokes.** Components whose column ranges overlap by at least ``merge_overlap``
   of the narrower one's width are parts of one digit (the separate top bar of a "5", a "4"
   or "7" written with a gap) and are merged, until no two pieces overlap so much. A small
   part lying entirely within another's columns overlaps by its whole width, so it merges too.
3. **Fragments.** Digits on a line are about as tall as each other: a piece less than half
   as tall as the tallest (``FRAGMENT_HEIGHT``) is a stroke the scan broke off, and joins the
   piece nearest to it by columns. A digit written much smaller than its neighbours would be
   joined to one of them.
4. **Touching digits.** Digits are about as tall as each other, and a handwritten digit is
   rarely wider than ``max_aspect`` (:data:`MAX_ASPECT`) times its height (:data:`LONE_ASPECT`
   for a strip of a single piece). A piece wider than that, compared with the median height
   of the strip's pieces, is taken for ``k`` touching digits and cut at the
   columns with the least ink near its ``k - 1`` evenly spaced cut positions (details in
   :func:`segment_strip`). The parts are marked ``split=True``: they are less certain.

The split is meant for the common case of two or three digits of about the same width
touching at their edges. Digits that overlap a lot, or of very different widths, may be cut
in the wrong place; a "1" stuck to another digit is usually no wider than one wide digit and
stays one unsplit piece. :func:`compose_strip` builds synthetic strips for the tests and the
book. This module depends only on numpy and scipy.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# The 8-neighbourhood: pixels touching at a corner belong to the same stroke.
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
# A component of ink smaller than this share of the largest one is a speck of noise.
SPECK_SHARE = 0.03
# A digit's width relative to the strip's digit height when no piece of ordinary width is
# there to measure it (a strip holding only touching digits).
TYPICAL_ASPECT = 0.6
# The narrowest digit width used to count touching digits, relative to the height (keeps a
# strip of narrow "1"s from making a wide piece look like many digits).
MIN_ASPECT = 0.5
# A piece less than this share of the tallest piece's height is a fragment of a digit (a
# stroke the scan broke off), not a digit: it joins its nearest neighbour.
FRAGMENT_HEIGHT = 0.5
# The widest a single handwritten digit is taken to be, as a share of the strip's digit
# height: a wider piece is touching digits. Real handwriting is wide: half of MNIST's
# digits are wider than 0.76 of their height and one in ten wider than 1.1. On 300
# five-digit strips of MNIST's validation digits (chapter 7's, never its held-out ones),
# drawn as chapter 7 draws them, the share cut into five pieces was 29 % at 0.9, 78 % at
# 1.0, 89 % at 1.1, 90 % at 1.2 and 89 % at 1.3 (benchmarks/results/segmentation.md).
MAX_ASPECT = 1.2
# A strip of a single piece has no other digit to compare it with: a piece wider than this
# share of its height is taken for touching digits (the rule of scikit-learn's 8x8 digits,
# whose bitmaps fill their box).
LONE_ASPECT = 0.9
# A cut is searched for within this share of a digit's width either side of its even position.
# Kept narrow: a loop's inside has less ink than two strokes pressed together, so a wide window
# cuts a "0" through its middle. On 369 synthetic pairs of touching digits (scikit-learn's,
# widths varied), about 5 % of the cuts missed the join by more than 3 px with 0.15, 10 % with
# 0.25 and 30 % with 0.5.
CUT_WINDOW = 0.15

_Span = tuple[int, int, tuple[int, ...]]  # columns left, right (one past) and component labels


@dataclass(frozen=True, eq=False)
class Piece:
    """One digit cut from a strip.

    Attributes
    ----------
    mask : numpy.ndarray
        Boolean, shape ``(bottom - top, right - left)``: the digit's ink only, cropped to its
        bounding box.
    left, right : int
        The columns of the piece's left edge in the strip and one past its right edge.
    top, bottom : int
        The rows of its top edge and one past its bottom edge.
    split : bool
        True when it was cut out of touching digits (less certain).
    """

    mask: np.ndarray
    left: int
    right: int
    top: int
    bottom: int
    split: bool = False


def _crop(mask: np.ndarray, left: int, top: int, split: bool) -> Piece | None:
    """The piece of ``mask`` (placed at ``left``, ``top``) cropped to its ink, or None."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    cropped = mask[r0:r1, c0:c1].copy()
    return Piece(cropped, left + int(c0), left + int(c1), top + int(r0), top + int(r1), split)


def _merge_broken(spans: list[_Span], merge_overlap: float) -> list[_Span]:
    """Merge column spans whose overlap is ``merge_overlap`` of the narrower's width or more."""
    while True:
        for a, b in itertools.combinations(spans, 2):
            overlap = min(a[1], b[1]) - max(a[0], b[0])
            if overlap >= merge_overlap * min(a[1] - a[0], b[1] - b[0]):
                merged = (min(a[0], b[0]), max(a[1], b[1]), a[2] + b[2])
                spans = [span for span in spans if span is not a and span is not b] + [merged]
                break
        else:
            return spans


def _attach_fragments(spans: list[_Span], rows: dict[int, tuple[int, int]]) -> list[_Span]:
    """Join each span much shorter than the tallest to its nearest neighbour by columns."""
    while len(spans) > 1:
        extents = [
            (min(rows[label][0] for label in span[2]), max(rows[label][1] for label in span[2]))
            for span in spans
        ]
        heights = [bottom - top for top, bottom in extents]
        short = [i for i, h in enumerate(heights) if h < FRAGMENT_HEIGHT * max(heights)]
        if not short:
            return spans
        fragment = spans[min(short, key=heights.__getitem__)]
        others = [span for span in spans if span is not fragment]
        nearest = min(others, key=lambda s: max(s[0] - fragment[1], fragment[0] - s[1], 0))
        merged = (
            min(fragment[0], nearest[0]),
            max(fragment[1], nearest[1]),
            fragment[2] + nearest[2],
        )
        spans = [s for s in spans if s is not fragment and s is not nearest] + [merged]
    return spans


def _cut(piece: Piece, k: int, digit_width: float) -> list[Piece]:
    """Cut ``piece`` into ``k`` parts at the least-inked columns near the even positions."""
    width = piece.right - piece.left
    profile = piece.mask.sum(axis=0)
    half = max(1, round(CUT_WINDOW * digit_width))
    cuts = [0]
    for j in range(1, k):
        even = round(j * width / k)
        columns = np.arange(max(cuts[-1] + 1, even - half), min(width - 1, even + half) + 1)
        if columns.size == 0:
            continue
        # the least ink; among equals, the column nearest the even position
        best = columns[np.lexsort((np.abs(columns - even), profile[columns]))[0]]
        cuts.append(int(best))
    cuts.append(width)
    parts = (
        _crop(piece.mask[:, a:b], piece.left + a, piece.top, True)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    )
    return [part for part in parts if part is not None]


def segment_strip(
    mask: np.ndarray,
    *,
    min_ink_fraction: float = SPECK_SHARE,
    merge_overlap: float = 0.5,
    max_aspect: float = MAX_ASPECT,
    split_touching: bool = True,
) -> list[Piece]:
    """Cut the ink mask of a strip into one piece per digit, left to right.

    The rules are the module's (:mod:`digits_helpers.data.segment`). For touching digits: with
    ``h`` the median height of the pieces, a piece wider than ``max_aspect * h`` is cut into
    ``k = max(2, round(width / w))`` parts, where ``w`` is the median width of the pieces not
    that wide, kept between ``MIN_ASPECT * h`` and ``max_aspect * h`` (``TYPICAL_ASPECT * h``
    when there are none). Each cut is at the column with the least ink (``mask.sum(axis=0)``)
    within ``CUT_WINDOW * w`` of its even position ``j * width / k``.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean, 2-D: the strip's ink (True), already thresholded.
    min_ink_fraction : float, default=SPECK_SHARE
        Components with fewer pixels than this share of the largest one are dropped as specks.
    merge_overlap : float, default=0.5
        Pieces whose column ranges overlap by at least this share of the narrower one's width
        are merged into one digit.
    max_aspect : float, default=MAX_ASPECT
        The widest a single digit can be, as a share of the strip's median piece height.
    split_touching : bool, default=True
        Apply the fourth rule; without it, a wide piece stays whole (a file meant to hold
        one digit, which may be wide).

    Returns
    -------
    list of Piece
        Sorted by their left edge; empty when the mask holds no ink.

    Raises
    ------
    ValueError
        If ``mask`` is not a 2-D boolean array, or a threshold is out of its range.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got {mask.ndim} dimension(s)")
    if mask.dtype != np.bool_:
        raise ValueError(f"mask must be a boolean array (True = ink), got dtype {mask.dtype}")
    if not 0 <= min_ink_fraction < 1:
        raise ValueError(f"min_ink_fraction must be in [0, 1), got {min_ink_fraction}")
    if not 0 < merge_overlap <= 1:
        raise ValueError(f"merge_overlap must be in (0, 1], got {merge_overlap}")
    if not max_aspect > 0:
        raise ValueError(f"max_aspect must be positive, got {max_aspect}")

    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count == 0:
        return []
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    spans = [
        (cols.start, cols.stop, (label,))
        for label, (_, cols) in enumerate(ndimage.find_objects(labels), start=1)
        if sizes[label - 1] >= min_ink_fraction * sizes.max()
    ]
    rows = {
        label: (found[0].start, found[0].stop)
        for label, found in enumerate(ndimage.find_objects(labels), start=1)
    }
    spans = _attach_fragments(_merge_broken(spans, merge_overlap), rows)
    pieces = [
        _crop(np.isin(labels[:, left:right], group), left, 0, False) for left, right, group in spans
    ]

    if not split_touching:
        return sorted(pieces, key=lambda p: (p.left, p.top))
    height = float(np.median([p.bottom - p.top for p in pieces]))
    widest = max_aspect * height
    if len(pieces) == 1:  # nothing to compare it with: wider than LONE_ASPECT is two digits
        widest = min(widest, LONE_ASPECT * height)
    ordinary = [p.right - p.left for p in pieces if p.right - p.left <= widest]
    if ordinary:
        digit_width = float(np.clip(np.median(ordinary), MIN_ASPECT * height, widest))
    else:
        digit_width = TYPICAL_ASPECT * height
    result = []
    for piece in pieces:
        width = piece.right - piece.left
        if width > widest:
            result += _cut(piece, max(2, round(width / digit_width)), digit_width)
        else:
            result.append(piece)
    return sorted(result, key=lambda p: (p.left, p.top))


def compose_strip(
    digits: Sequence[np.ndarray],
    gaps: Sequence[int],
    *,
    height: int | None = None,
    margin: int = 4,
) -> np.ndarray:
    """Place digit images side by side on an empty strip, as a synthetic form strip.

    Digit ``i`` starts ``margin + sum(widths[:i]) + sum(gaps[:i])`` columns from the left and
    is centred vertically: its top row is ``margin + (strip_height - its_height) // 2``.

    Parameters
    ----------
    digits : sequence of numpy.ndarray
        At least one 2-D float image, ink in [0, 1] (1 = ink), any sizes.
    gaps : sequence of int
        ``len(digits) - 1`` gaps: ``gaps[i]`` empty columns between digit ``i`` and ``i + 1``.
        A negative gap makes the neighbours overlap by that many columns (touching digits, their
        ink combined with :func:`numpy.maximum`); the overlap must be narrower than both.
    height : int, optional
        The height the digits are padded to; the tallest digit's height by default.
    margin : int, default=4
        Empty pixels around the whole strip.

    Returns
    -------
    numpy.ndarray
        Shape ``(height + 2 * margin, width + 2 * margin)``, float ink in [0, 1].

    Raises
    ------
    ValueError
        If there is no digit, a digit is not a non-empty 2-D array with values in [0, 1],
        ``len(gaps) != len(digits) - 1``, an overlap is as wide as a neighbour, ``height`` is
        lower than the tallest digit or ``margin`` is negative.
    TypeError
        If a gap is not an integer.
    """
    images = [np.asarray(digit, dtype=float) for digit in digits]
    if not images:
        raise ValueError("digits must hold at least one image")
    for i, image in enumerate(images):
        if image.ndim != 2 or image.size == 0:
            raise ValueError(f"digits[{i}] must be a non-empty 2-D array, got shape {image.shape}")
        if not (np.all(image >= 0) and np.all(image <= 1)):
            raise ValueError(f"digits[{i}] must hold ink values in [0, 1]")
    gaps = [operator.index(gap) for gap in gaps]
    if len(gaps) != len(images) - 1:
        raise ValueError(
            f"gaps must hold len(digits) - 1 = {len(images) - 1} values, got {len(gaps)}"
        )
    tallest = max(image.shape[0] for image in images)
    if height is None:
        height = tallest
    elif height < tallest:
        raise ValueError(f"height={height} is lower than the tallest digit ({tallest} rows)")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")

    lefts = [0]
    for i, gap in enumerate(gaps):
        narrower = min(images[i].shape[1], images[i + 1].shape[1])
        if -gap >= narrower:
            raise ValueError(f"gaps[{i}]={gap} overlaps a digit {narrower} columns wide")
        lefts.append(lefts[-1] + images[i].shape[1] + gap)
    width = max(left + image.shape[1] for left, image in zip(lefts, images, strict=True))
    strip = np.zeros((height + 2 * margin, width + 2 * margin))
    for left, image in zip(lefts, images, strict=True):
        top = margin + (height - image.shape[0]) // 2
        region = strip[top : top + image.shape[0], margin + left : margin + left + image.shape[1]]
        np.maximum(region, image, out=region)
    return strip
