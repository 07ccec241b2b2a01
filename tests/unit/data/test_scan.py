"""From image files to the 8x8 features: the optdigits procedure, and what it refuses."""

from __future__ import annotations

import struct
import zlib
from functools import partial

import numpy as np
import pytest
from PIL import Image

from digits_helpers.data import scan


def test_the_bitmap_of_every_digit_counts_back_to_the_digit_exactly(digits):
    for image in digits.images:
        bitmap = scan.bitmap_from_features(image)
        np.testing.assert_array_equal(scan.block_counts(bitmap) / scan.LEVELS, image)


def test_a_bitmap_that_fills_the_height_and_is_centred_reads_back_unchanged():
    bitmap = np.zeros((32, 32), dtype=bool)
    bitmap[:, 10:22] = True  # 32 rows tall, 12 columns wide, centred
    bitmap[8:24, 14:18] = False
    ink = scan.Ink(mask=bitmap, level=bitmap.astype(np.float32))
    np.testing.assert_array_equal(scan.digit_bitmap(ink), bitmap)


def test_the_bounding_box_is_scaled_to_fill_the_height_keeping_proportions():
    mask = np.zeros((200, 300), dtype=bool)
    mask[50:130, 100:140] = True  # 80 tall, 40 wide, anywhere on the page
    ink = scan.Ink(mask=mask, level=mask.astype(np.float32))
    bitmap = scan.digit_bitmap(ink)
    rows, cols = np.flatnonzero(bitmap.any(1)), np.flatnonzero(bitmap.any(0))
    assert (rows[0], rows[-1]) == (0, 31)
    assert (cols[0], cols[-1]) == (8, 23)  # 16 columns wide, centred
    assert scan.optdigits_features(ink).max() == 1.0


def _file(tmp_path, grey: np.ndarray, name: str, **save) -> str:
    path = tmp_path / name
    Image.fromarray(grey).save(path, **save)
    return str(path)


@pytest.mark.parametrize("name", ["digit.png", "digit.jpg", "digit.tif"])
def test_png_jpeg_and_tiff_in_both_polarities_give_the_same_digit(digits, tmp_path, name):
    image = digits.images[0]
    features = []
    for dark in (True, False):
        grey = scan.render_digit(image, 120, dark_ink=dark)
        path = _file(tmp_path, grey, f"{int(dark)}-{name}")
        features.append(scan.optdigits_features(scan.find_ink(scan.read_grey(path))))
    np.testing.assert_array_equal(features[0], features[1])
    assert np.abs(features[0] - image).mean() < 0.1


def test_colour_and_transparency_are_read_as_ink_on_paper(digits, tmp_path):
    grey = scan.render_digit(digits.images[3], 96)
    ink = 255 - grey
    rgba = np.zeros((96, 96, 4), dtype=np.uint8)
    rgba[..., 2] = 120  # blue ink, on transparent paper
    rgba[..., 3] = ink
    coloured = scan.read_grey(_file(tmp_path, rgba, "blue.png"))
    plain = scan.read_grey(_file(tmp_path, grey, "plain.png"))
    got = scan.optdigits_features(scan.find_ink(coloured))
    expected = scan.optdigits_features(scan.find_ink(plain))
    assert np.abs(got - expected).mean() < 0.02


def test_salt_and_pepper_specks_do_not_move_the_bounding_box(digits, tmp_path):
    grey = scan.render_digit(digits.images[5], 200)
    clean = scan.optdigits_features(scan.find_ink(grey / 255))
    rng = np.random.default_rng(0)
    noisy = grey.copy()
    corners = rng.integers(0, 20, size=(30, 2))  # specks in the empty top-left corner
    noisy[corners[:, 0], corners[:, 1]] = 0
    np.testing.assert_array_equal(scan.optdigits_features(scan.find_ink(noisy / 255)), clean)


def test_a_blank_page_is_refused(tmp_path):
    path = _file(tmp_path, np.full((50, 50), 250, dtype=np.uint8), "blank.png")
    with pytest.raises(scan.ScanError, match=r"blank\.png: blank image"):
        scan.find_ink(scan.read_grey(path), name=path)


def test_a_file_that_is_not_an_image_is_refused(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    with pytest.raises(scan.ScanError, match=r"notes\.png: not a PNG, JPEG or TIFF image"):
        scan.read_grey(path)


def test_other_image_formats_are_refused(tmp_path):
    path = _file(tmp_path, np.zeros((8, 8), dtype=np.uint8), "digit.bmp")
    with pytest.raises(scan.ScanError, match="not a PNG, JPEG or TIFF image"):
        scan.read_grey(path)


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    with pytest.raises(scan.ScanError, match="no such file"):
        scan.read_grey(tmp_path / "missing.png")
    with pytest.raises(scan.ScanError, match="is a folder"):
        scan.read_grey(tmp_path)


def test_a_truncated_file_is_refused(digits, tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(scan.render_digit(digits.images[0], 64)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(scan.ScanError, match="damaged image data"):
        scan.read_grey(path)


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with one row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1))
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_too_many_pixels_are_refused_from_the_header_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(100_000, 100_000))  # 10 gigapixels in 200 bytes
    with pytest.raises(scan.ScanError, match=r"bomb\.png: .*more than the 50,000,000"):
        scan.read_grey(path)
    small_bomb = tmp_path / "small-bomb.png"
    small_bomb.write_bytes(_png_claiming(8_000, 8_000))  # 64 million: our own limit
    with pytest.raises(scan.ScanError, match="8000x8000 pixels is more than the 50,000,000"):
        scan.read_grey(small_bomb)


def test_the_pixel_limit_is_a_parameter(digits, tmp_path):
    path = _file(tmp_path, scan.render_digit(digits.images[0], 64), "digit.png")
    assert scan.read_grey(path, max_pixels=64 * 64).shape == (64, 64)
    with pytest.raises(scan.ScanError, match="more than the 4,095"):
        scan.read_grey(path, max_pixels=64 * 64 - 1)


def test_render_digit_draws_the_digit_with_the_requested_size_and_polarity(digits):
    dark = scan.render_digit(digits.images[0], 40)
    light = scan.render_digit(digits.images[0], 40, dark_ink=False)
    assert dark.shape == light.shape == (40, 40) and dark.dtype == np.uint8
    assert np.abs(dark.astype(int) - (255 - light.astype(int))).max() <= 1  # rounding
    assert dark[0].min() == 255  # paper in the margin
    with pytest.raises(ValueError, match="noise needs an rng"):
        scan.render_digit(digits.images[0], 40, noise=0.1)


def test_every_digit_of_the_dataset_drawn_as_a_scan_is_read_as_one_digit(digits):
    from digits_helpers.data import segment

    for index, image in enumerate(digits.images):
        ink = scan.find_ink(scan.render_digit(image, 64) / 255)
        pieces = segment.segment_strip(ink.mask, split_touching=False)
        assert len(pieces) == 1, f"digit {index} ({digits.target[index]}) reads as {len(pieces)}"


def test_digits_read_back_in_pieces_are_those_read_in_one_call(digits):
    from digits_helpers.core import cluster

    images = (digits.images[:12],)
    read = partial(scan.read_back, size=64, dataset="digits")
    alone = read(images)
    in_pieces = cluster.in_pieces(
        read, images, run_tasks=lambda f, items, label: [f(i) for i in items], pieces=5
    )
    assert alone.shape == (12, 8, 8)
    np.testing.assert_array_equal(in_pieces, alone)
