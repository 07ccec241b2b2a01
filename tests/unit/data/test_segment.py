"""Cutting a strip of handwritten digits into one mask per digit (digits_helpers.data.segment).

The strips are synthetic: scikit-learn's 8x8 digits upsampled five times and thresholded
into solid ink about 40 rows tall and 25 wide, or strokes drawn with numpy, placed side by
side with :func:`compose_strip`, so where every digit lies is known.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits

from digits_helpers.data.segment import EIGHT_CONNECTED, Piece, compose_strip, segment_strip

MARGIN = 4  # compose_strip's default


def _components(ink: np.ndarray) -> int:
    return ndimage.label(ink > 0.5, structure=EIGHT_CONNECTED)[1]


@pytest.fixture(scope="module")
def digit():
    """``digit(label)``: the first sample of that label whose upsampled ink is one stroke."""
    data = load_digits()

    def make(label: int) -> np.ndarray:
        for image in data.images[data.target == label]:
            ink = ndimage.zoom(image, 5, order=1)
            ink = ink >= 0.5 * ink.max()
            rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(float)
            if _components(ink) == 1:
                return ink
        raise AssertionError(f"no one-stroke {label}")

    return make


def _lefts(digits: list[np.ndarray], gaps: list[int]) -> list[int]:
    """Where compose_strip puts each digit's left edge."""
    lefts = [MARGIN]
    for image, gap in zip(digits, gaps, strict=False):
        lefts.append(lefts[-1] + image.shape[1] + gap)
    return lefts


def _one(height: int = 40, width: int = 5) -> np.ndarray:
    """A "1" drawn as a plain bar."""
    return np.ones((height, width))


def _assert_is(piece: Piece, ink: np.ndarray, left: int, top: int = MARGIN) -> None:
    assert (piece.left, piece.top) == (left, top)
    assert (piece.right, piece.bottom) == (left + ink.shape[1], top + ink.shape[0])
    assert piece.mask.dtype == np.bool_
    np.testing.assert_array_equal(piece.mask, ink > 0.5)
    assert not piece.split


def test_separated_digits_come_out_whole_and_in_order(digit):
    digits = [digit(label) for label in (2, 0, 4, 8, 6)]
    gaps = [2, 15, 7, 4]
    pieces = segment_strip(compose_strip(digits, gaps) > 0.5)
    assert len(pieces) == 5
    for piece, ink, left in zip(pieces, digits, _lefts(digits, gaps), strict=True):
        _assert_is(piece, ink, left)


def test_pieces_are_cropped_to_their_own_rows(digit):
    short = digit(3)[::2]  # 20 rows among 40-row digits, centred
    digits = [digit(7), short, digit(9)]
    pieces = segment_strip(compose_strip(digits, [6, 6]) > 0.5)
    assert len(pieces) == 3
    _assert_is(pieces[1], short, _lefts(digits, [6, 6])[1], top=MARGIN + 10)


@pytest.mark.parametrize("label", [5, 7])
def test_a_broken_stroke_stays_one_digit(digit, label):
    broken = digit(label).copy()
    broken[18:23] = 0  # erase a band of rows across the middle
    assert _components(broken) == 2
    digits = [digit(1), broken, digit(3)]
    gaps = [5, 5]
    pieces = segment_strip(compose_strip(digits, gaps) > 0.5)
    assert len(pieces) == 3
    for piece, ink, left in zip(pieces, digits, _lefts(digits, gaps), strict=True):
        _assert_is(piece, ink, left)


def test_a_dot_within_a_digits_columns_joins_it(digit):
    three = digit(3)
    dotted = np.zeros((three.shape[0] + 12, three.shape[1]))
    dotted[12:] = three
    dotted[:6, 10:16] = 1  # 36 px, above the 3's 3 % speck share, separate from it
    assert _components(dotted) == 2
    digits = [digit(0), dotted]
    pieces = segment_strip(compose_strip(digits, [6]) > 0.5)
    assert len(pieces) == 2
    _assert_is(pieces[1], dotted, _lefts(digits, [6])[1])


def _assert_cropped(piece: Piece) -> None:
    assert piece.mask.shape == (piece.bottom - piece.top, piece.right - piece.left)
    assert piece.mask[0].any() and piece.mask[-1].any()
    assert piece.mask[:, 0].any() and piece.mask[:, -1].any()


def test_two_touching_digits_are_split_near_the_join(digit):
    digits = [digit(2), digit(4), digit(7), digit(3)]
    gaps = [9, -2, 9]
    strip = compose_strip(digits, gaps) > 0.5
    assert _components(strip) == 3  # the 4 and the 7 touch
    lefts = _lefts(digits, gaps)
    pieces = segment_strip(strip)
    assert len(pieces) == 4
    assert [p.split for p in pieces] == [False, True, True, False]
    _assert_is(pieces[0], digits[0], lefts[0])
    _assert_is(pieces[3], digits[3], lefts[3])
    join = lefts[2]  # the overlap is lefts[2] .. lefts[2] + 2
    assert join - 3 <= pieces[2].left <= join + 2 + 3
    assert pieces[1].left == lefts[1] and pieces[2].right == lefts[2] + digits[2].shape[1]
    assert pieces[1].right <= pieces[2].left
    for piece in pieces:
        _assert_cropped(piece)


@pytest.mark.parametrize("overlap", [1, 2, 3, 4])
def test_touching_zeros_are_cut_at_the_join_not_through_a_loop(digit, overlap):
    # a loop's inside holds less ink than the two strokes pressed together at the join:
    # a wide search window would cut one of the zeros through its middle
    digits = [digit(0), digit(0)]
    strip = compose_strip(digits, [-overlap]) > 0.5
    assert _components(strip) == 1
    pieces = segment_strip(strip)
    assert [p.split for p in pieces] == [True, True]
    join = _lefts(digits, [-overlap])[1]
    assert join - 3 <= pieces[1].left <= join + overlap + 3


def test_three_touching_digits_are_cut_in_three(digit):
    digits = [digit(5), digit(2), digit(8)]
    strip = compose_strip(digits, [-2, -3]) > 0.5
    assert _components(strip) == 1
    lefts = _lefts(digits, [-2, -3])
    pieces = segment_strip(strip)
    assert [p.split for p in pieces] == [True, True, True]
    assert pieces[0].left == lefts[0] and pieces[2].right == lefts[2] + digits[2].shape[1]
    for piece, join, overlap in zip(pieces[1:], lefts[1:], [2, 3], strict=True):
        assert join - 3 <= piece.left <= join + overlap + 3
    for piece in pieces:
        _assert_cropped(piece)


def test_a_short_digit_cut_from_its_neighbours_is_cropped_to_its_rows(digit):
    short = digit(0)[::2, ::2]  # 20 rows, 13 columns, between two 40-row 4s
    digits = [digit(4), short, digit(4)]
    gaps = [-2, -2]
    strip = compose_strip(digits, gaps) > 0.5
    assert _components(strip) == 1
    lefts = _lefts(digits, gaps)
    pieces = segment_strip(strip)
    assert [p.split for p in pieces] == [True, True, True]
    assert (pieces[1].top, pieces[1].bottom) == (MARGIN + 10, MARGIN + 30)
    for piece, join in zip(pieces[1:], lefts[1:], strict=True):
        assert join - 3 <= piece.left <= join + 2 + 3
    for piece in pieces:
        _assert_cropped(piece)


def test_specks_of_noise_are_ignored(digit):
    digits = [digit(6), digit(1), digit(9)]
    gaps = [8, 8]
    clean = compose_strip(digits, gaps, margin=12) > 0.5
    noisy = clean.copy()
    rng = np.random.default_rng(0)
    placed = 0
    while placed < 25:
        row, col = rng.integers(0, clean.shape[0] - 3), rng.integers(0, clean.shape[1] - 3)
        height, width = rng.integers(1, 3, size=2)  # 1 to 4 pixels
        if clean[max(row - 1, 0) : row + height + 1, max(col - 1, 0) : col + width + 1].any():
            continue  # touching a digit, it would be part of its ink
        noisy[row : row + height, col : col + width] = True
        placed += 1
    assert _components(noisy) > 20
    expected = segment_strip(clean)
    pieces = segment_strip(noisy)
    assert len(pieces) == 3
    for piece, ink, left in zip(pieces, digits, _lefts(digits, gaps), strict=True):
        _assert_is(piece, ink, left + 8, top=12)
    assert [(p.left, p.right, p.top, p.bottom) for p in pieces] == [
        (p.left, p.right, p.top, p.bottom) for p in expected
    ]


@pytest.mark.parametrize("gap", [2, 4])
def test_a_narrow_one_beside_a_zero_is_neither_merged_nor_split(digit, gap):
    digits = [_one(), digit(0), _one(), digit(2)]
    gaps = [gap, gap, gap]
    pieces = segment_strip(compose_strip(digits, gaps) > 0.5)
    assert len(pieces) == 4
    for piece, ink, left in zip(pieces, digits, _lefts(digits, gaps), strict=True):
        _assert_is(piece, ink, left)


def test_a_strip_of_only_two_touching_digits_is_split(digit):
    digits = [digit(4), digit(9)]
    strip = compose_strip(digits, [-2]) > 0.5
    assert _components(strip) == 1
    pieces = segment_strip(strip)
    assert [p.split for p in pieces] == [True, True]
    join = _lefts(digits, [-2])[1]
    assert join - 3 <= pieces[1].left <= join + 2 + 3


def test_an_empty_mask_has_no_pieces():
    assert segment_strip(np.zeros((30, 80), dtype=bool)) == []
    assert segment_strip(np.zeros((0, 0), dtype=bool)) == []


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.zeros((30, 80)), "boolean"),
        (np.zeros((30, 80), dtype=np.uint8), "boolean"),
        (np.zeros((2, 30, 80), dtype=bool), "2-D"),
        (np.zeros(80, dtype=bool), "2-D"),
    ],
)
def test_a_mask_that_is_not_a_2d_boolean_array_is_refused(mask, message):
    with pytest.raises(ValueError, match=f"mask must be .*{message}"):
        segment_strip(mask)


def test_thresholds_out_of_range_are_refused():
    mask = np.ones((5, 5), dtype=bool)
    with pytest.raises(ValueError, match="min_ink_fraction"):
        segment_strip(mask, min_ink_fraction=1.0)
    with pytest.raises(ValueError, match="merge_overlap"):
        segment_strip(mask, merge_overlap=0)
    with pytest.raises(ValueError, match="max_aspect"):
        segment_strip(mask, max_aspect=-1)


def test_compose_strip_centres_pads_and_overlaps():
    tall, short = np.full((6, 3), 0.5), np.full((2, 4), 0.8)
    strip = compose_strip([tall, short, tall], [1, -2], height=8, margin=2)
    # widths 3 + 1 + 4 - 2 + 3 = 9; the short digit's rows are 2 + (8 - 2) // 2 = 5 .. 7
    assert strip.shape == (12, 13)
    expected = np.zeros((12, 13))
    expected[3:9, 2:5] = 0.5
    expected[3:9, 8:11] = 0.5
    expected[5:7, 6:10] = 0.8  # columns 8 and 9 overlap: the maximum, 0.8
    np.testing.assert_array_equal(strip, expected)


@pytest.mark.parametrize(
    ("digits", "gaps", "kwargs", "message"),
    [
        ([np.ones((4, 3))] * 3, [1], {}, "gaps must hold len"),
        ([np.ones((4, 3))] * 2, [1, 1], {}, "gaps must hold len"),
        ([np.ones((4, 3)), np.ones(3)], [1], {}, r"digits\[1\] must be a non-empty 2-D"),
        ([np.ones((4, 3)), np.full((4, 3), 2.0)], [1], {}, r"digits\[1\] must hold ink"),
        ([], [], {}, "at least one"),
        ([np.ones((4, 3))] * 2, [-3], {}, "overlaps"),
        ([np.ones((4, 3))], [], {"height": 3}, "tallest"),
        ([np.ones((4, 3))], [], {"margin": -1}, "margin"),
    ],
)
def test_compose_strip_refuses_inconsistent_input(digits, gaps, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compose_strip(digits, gaps, **kwargs)


def test_a_short_fragment_beside_a_digit_joins_it():
    # A stroke the scan broke off: beside the digit, overlapping its columns by less than
    # half its own width, and far shorter than the digit.
    mask = np.zeros((60, 60), dtype=bool)
    mask[5:55, 10:40] = True  # the digit
    mask[20:28, 41:51] = True  # 8 rows tall, 80 pixels (not a speck), apart from the digit
    assert ndimage.label(mask, structure=EIGHT_CONNECTED)[1] == 2
    pieces = segment_strip(mask)
    assert len(pieces) == 1
    assert (pieces[0].left, pieces[0].right) == (10, 51)
