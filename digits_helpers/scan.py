"""From an image file of a handwritten digit to the 8x8 features the models were trained on.

The 8x8 digits were made by the UCI optdigits procedure: each digit's bounding box was
scaled into a 32x32 binary bitmap, and the ink pixels were counted in each of its 64
non-overlapping 4x4 blocks, giving a value from 0 to 16 per block. :func:`digit_features`
does the same to the ink of a scan, and divides by 16 as :func:`digits_helpers.data.load_dataset`
does. In the digits every image spans all eight rows and about six of the eight columns: the
box is scaled to fill the bitmap's height (or its width, for a digit wider than tall) and
centred, keeping the digit's proportions.

Reading is careful with what it is given: the pixel count is checked from the file's
header before anything is decoded, only PNG, JPEG and TIFF are read, and every refusal
is a :class:`ScanError` naming the file and what was wrong.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from digits_helpers.segment import EIGHT_CONNECTED, SPECK_SHARE

BITMAP_SIZE = 32  # the optdigits bitmap: 32x32 pixels
BLOCK_SIZE = 4  # counted in 4x4 blocks
GRID_SIZE = BITMAP_SIZE // BLOCK_SIZE  # 8x8 features
LEVELS = BLOCK_SIZE * BLOCK_SIZE  # a block holds 0 to 16 ink pixels
FORMATS = ("PNG", "JPEG", "TIFF")
# Decoding is refused above this many pixels (a 300 dpi A4 page is about 8.7 million).
MAX_PIXELS = 50_000_000
# Below this difference between the lightest and the darkest pixel an image is blank.
MIN_CONTRAST = 0.15


class ScanError(ValueError):
    """An image that cannot be read as a digit; the message names the file and why."""


def read_grey(path: Path | str, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image file into grey levels, refusing what is not a reasonable image.

    Parameters
    ----------
    path : Path or str
        A PNG, JPEG or TIFF file: grey or colour, any size up to ``max_pixels``, with
        or without transparency (transparent pixels count as white paper). A TIFF with
        several pages is read from its first page; a photo's EXIF orientation is applied.
    max_pixels : int, default=MAX_PIXELS
        The largest width times height decoded; checked from the header first.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, float32 in [0, 1], 0 black and 1 white.

    Raises
    ------
    ScanError
        The file is missing, is not a PNG, JPEG or TIFF image, is too large, or is
        damaged.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ScanError(
                        f"{path}: {width}x{height} pixels is more than the "
                        f"{max_pixels:,} this command decodes"
                    )
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    paper = Image.new("RGBA", image.size, "white")
                    image = Image.alpha_composite(paper, image.convert("RGBA"))
                grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise ScanError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScanError(f"{path}: is a folder, not an image file") from None
    except Image.UnidentifiedImageError:
        raise ScanError(f"{path}: not a PNG, JPEG or TIFF image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScanError(
            f"{path}: more than the {max_pixels:,} pixels this command decodes ({exc})"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        if isinstance(exc, ScanError):
            raise
        raise ScanError(f"{path}: damaged image data ({exc})") from None
    return grey


@dataclass(frozen=True)
class Ink:
    """Where the ink of a scan is, and how dark it is.

    Attributes
    ----------
    mask : numpy.ndarray
        Boolean, True on the pixels that are ink (above Otsu's threshold).
    level : numpy.ndarray
        Float32 in [0, 1]: how much of each pixel is ink, 1 for a full stroke and 0 on
        paper. It is kept on the mask and its one-pixel rim (a stroke's grey edge, which
        says how far the stroke reaches into that pixel) and is 0 elsewhere.
    """

    mask: np.ndarray
    level: np.ndarray

    def only(self, mask: np.ndarray) -> Ink:
        """This ink restricted to ``mask`` (one digit of a strip) and its rim.

        Parameters
        ----------
        mask : numpy.ndarray
            Boolean, the shape of :attr:`mask`: the pixels to keep.

        Returns
        -------
        Ink
            The same shape, zero outside ``mask`` and its one-pixel rim.
        """
        rim = ndimage.binary_dilation(mask, structure=EIGHT_CONNECTED)
        return Ink(mask=self.mask & mask, level=np.where(rim, self.level, 0).astype(np.float32))


def find_ink(grey: np.ndarray, *, name: str = "image") -> Ink:
    """Which pixels are ink: dark on light paper or light on dark, found from the border.

    The paper is the shade of most of the image's border; ink is what differs from it.
    Pixels are split into ink and paper at Otsu's threshold, after a 3x3 median filter
    on images large enough for one (it removes salt-and-pepper noise, not strokes), and
    components of ink smaller than 3 % of the largest are dropped as specks. A full
    stroke's darkness is the 90th percentile of the ink pixels' difference from paper.

    Parameters
    ----------
    grey : numpy.ndarray
        Shape ``(height, width)``, grey levels in [0, 1].
    name : str, default="image"
        How messages name the image (its file).

    Returns
    -------
    Ink
        The ink's mask and level, the shape of ``grey``.

    Raises
    ------
    ScanError
        The image is blank (one shade, or no ink apart from specks), or all ink.
    """
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2 or min(grey.shape) < 2:
        raise ScanError(f"{name}: an image must be at least 2x2 pixels (got {grey.shape})")
    if float(grey.max() - grey.min()) < MIN_CONTRAST:
        raise ScanError(f"{name}: blank image (one shade, no ink)")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    difference = np.abs(grey - float(np.median(border)))
    if min(grey.shape) >= 24:
        difference = ndimage.median_filter(difference, size=3)
    mask = drop_specks(difference > otsu_threshold(difference))
    if not mask.any():
        raise ScanError(f"{name}: blank image (no ink apart from specks)")
    if mask.all():
        raise ScanError(f"{name}: the image is all ink, no paper")
    full_stroke = max(float(np.percentile(difference[mask], 90)), 1e-6)
    level = np.clip(difference / full_stroke, 0, 1)
    return Ink(mask=mask, level=level).only(mask)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """The level that best separates ``values`` into two classes (Otsu's method).

    Parameters
    ----------
    values : numpy.ndarray
        Values in [0, 1] (any shape).
    bins : int, default=256
        Histogram bins.

    Returns
    -------
    float
        The threshold: values above it are one class, the rest the other.
    """
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(counts)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(counts * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(centres[int(np.argmax(between))])


def drop_specks(mask: np.ndarray, share: float = SPECK_SHARE) -> np.ndarray:
    """``mask`` without its components smaller than ``share`` of the largest one.

    Parameters
    ----------
    mask : numpy.ndarray
        Boolean ink mask.
    share : float, default=SPECK_SHARE
        Components with fewer pixels than this fraction of the largest are removed.

    Returns
    -------
    numpy.ndarray
        A new boolean mask.
    """
    labels, n = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if n <= 1:
        return mask.copy()
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(sizes >= share * sizes.max()) + 1
    return np.isin(labels, keep)


def digit_bitmap(ink: Ink) -> np.ndarray:
    """The optdigits 32x32 bitmap of one digit's ink.

    The ink's bounding box is scaled, keeping its proportions, until its longer side
    fills 32 pixels, and centred; a bitmap pixel is ink when at least half of the area
    it covers is (the ink levels are averaged over that area, or interpolated when the
    scan is smaller than the bitmap).

    Parameters
    ----------
    ink : Ink
        The ink of one digit (more paper around it does not matter).

    Returns
    -------
    numpy.ndarray
        Boolean, shape ``(32, 32)``.

    Raises
    ------
    ValueError
        If ``ink`` holds no ink.
    """
    rows = np.flatnonzero(ink.mask.any(axis=1))
    cols = np.flatnonzero(ink.mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("the mask holds no ink")
    box = ink.level[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = box.shape
    scale = BITMAP_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL: (w, h)
    resample = Image.Resampling.BOX if scale <= 1 else Image.Resampling.BILINEAR
    coverage = Image.fromarray(box.astype(np.float32)).resize(size, resample)
    scaled = np.asarray(coverage) >= 0.5
    bitmap = np.zeros((BITMAP_SIZE, BITMAP_SIZE), dtype=bool)
    top = (BITMAP_SIZE - scaled.shape[0]) // 2
    left = (BITMAP_SIZE - scaled.shape[1]) // 2
    bitmap[top : top + scaled.shape[0], left : left + scaled.shape[1]] = scaled
    return bitmap


def block_counts(bitmap: np.ndarray) -> np.ndarray:
    """Ink pixels in each 4x4 block of a 32x32 bitmap.

    Parameters
    ----------
    bitmap : numpy.ndarray
        Boolean, shape ``(32, 32)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(8, 8)``, integers from 0 to 16.
    """
    blocks = bitmap.reshape(GRID_SIZE, BLOCK_SIZE, GRID_SIZE, BLOCK_SIZE)
    return blocks.sum(axis=(1, 3), dtype=np.int64)


def digit_features(ink: Ink) -> np.ndarray:
    """The 8x8 image a model reads, from one digit's ink: optdigits, then scaled to [0, 1].

    Parameters
    ----------
    ink : Ink
        The ink of one digit.

    Returns
    -------
    numpy.ndarray
        Shape ``(8, 8)``, float32 in [0, 1]: :func:`block_counts` of
        :func:`digit_bitmap` divided by 16, as the training digits are.
    """
    return (block_counts(digit_bitmap(ink)) / LEVELS).astype(np.float32)


def bitmap_from_features(image: np.ndarray) -> np.ndarray:
    """A 32x32 bitmap whose 4x4 block counts are exactly an 8x8 digit's values.

    The inverse of :func:`block_counts` is not unique: in each block, the pixels turned
    on are those where the digit, enlarged smoothly (bilinear), is darkest. The strokes
    come out continuous, as the pen's were.

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(8, 8)``, values in [0, 1] that are multiples of 1/16 (a digit of the
        dataset).

    Returns
    -------
    numpy.ndarray
        Boolean, shape ``(32, 32)``; ``block_counts(result) / 16`` equals ``image``.
    """
    image = np.asarray(image, dtype=np.float32)
    counts = np.rint(image * LEVELS).astype(np.int64)
    smooth = np.asarray(
        Image.fromarray(image).resize((BITMAP_SIZE, BITMAP_SIZE), Image.Resampling.BILINEAR)
    )
    blocks = smooth.reshape(GRID_SIZE, BLOCK_SIZE, GRID_SIZE, BLOCK_SIZE).transpose(0, 2, 1, 3)
    blocks = blocks.reshape(GRID_SIZE, GRID_SIZE, LEVELS)
    rank = np.argsort(np.argsort(-blocks, axis=2, kind="stable"), axis=2, kind="stable")
    on = rank < counts[..., None]
    on = on.reshape(GRID_SIZE, GRID_SIZE, BLOCK_SIZE, BLOCK_SIZE).transpose(0, 2, 1, 3)
    return on.reshape(BITMAP_SIZE, BITMAP_SIZE)


def render_digit(
    image: np.ndarray,
    size: int,
    *,
    dark_ink: bool = True,
    blur: float = 0.0,
    noise: float = 0.0,
    margin: float = 0.15,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Draw an 8x8 digit as a scan of ``size`` x ``size`` pixels, for tests and the book.

    The digit's bitmap (:func:`bitmap_from_features`) is scaled onto paper with a
    margin, its edges anti-aliased as a scanner sees a pen, then optionally blurred and
    made noisy.

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(8, 8)``, ink in [0, 1] (a row of the dataset, reshaped).
    size : int
        Width and height of the scan in pixels, >= 8.
    dark_ink : bool, default=True
        Dark ink on white paper; False gives light ink on black.
    blur : float, default=0.0
        Standard deviation of a Gaussian blur, as a fraction of ``size``.
    noise : float, default=0.0
        Standard deviation of Gaussian pixel noise, in grey levels of [0, 1].
    margin : float, default=0.15
        Paper on each side, as a fraction of ``size``.
    rng : numpy.random.Generator, optional
        Source of the noise (needed when ``noise`` > 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(size, size)``, uint8 grey levels.

    Raises
    ------
    ValueError
        If ``size`` is below 8, or ``noise`` is given without ``rng``.
    """
    if size < GRID_SIZE:
        raise ValueError(f"size must be >= {GRID_SIZE} (got {size})")
    if noise > 0 and rng is None:
        raise ValueError("noise needs an rng")
    inner = max(GRID_SIZE, round(size * (1 - 2 * margin)))
    bitmap = Image.fromarray(bitmap_from_features(image).astype(np.float32))
    resample = Image.Resampling.BOX if inner < BITMAP_SIZE else Image.Resampling.BILINEAR
    enlarged = np.clip(np.asarray(bitmap.resize((inner, inner), resample)), 0, 1)
    ink = np.zeros((size, size), dtype=np.float32)
    offset = (size - inner) // 2
    ink[offset : offset + inner, offset : offset + inner] = enlarged
    if blur > 0:
        ink = ndimage.gaussian_filter(ink, sigma=blur * size)
    if noise > 0:
        ink = ink + rng.normal(0.0, noise, ink.shape).astype(np.float32)
    grey = 1.0 - ink if dark_ink else ink
    return np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8)
