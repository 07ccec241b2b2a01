"""From an image file of a handwritten digit to the features the models were trained on.

Each dataset's digits were made by their own procedure, and a scan is prepared the same
way (:data:`PREPARATIONS`, chosen by a model card's ``dataset``): the 8x8 digits by UCI
optdigits' (below), MNIST's 28x28 digits by MNIST's (:func:`mnist_features`).

The 8x8 digits were made by the UCI optdigits procedure: each digit's bounding box was
scaled into a 32x32 binary bitmap, and the ink pixels were counted in each of its 64
non-overlapping 4x4 blocks, giving a value from 0 to 16 per block. :func:`optdigits_features`
does the same to the ink of a scan, and divides by 16 as
:func:`digits_helpers.data.digits.load_dataset` does. In the digits every image spans all eight
rows and about six of the eight columns: the
box is scaled to fill the bitmap's height (or its width, for a digit wider than tall) and
centred, keeping the digit's proportions.

Reading is careful with what it is given: the pixel count is checked from the file's
header before anything is decoded, only PNG, JPEG and TIFF are read, and every refusal
is a :class:`ScanError` naming the file and what was wrong.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from digits_helpers.core.registry import MNIST_IMAGE_SHAPE
from digits_helpers.data.segment import EIGHT_CONNECTED, SPECK_SHARE

BITMAP_SIZE = 32  # the optdigits bitmap: 32x32 pixels
BLOCK_SIZE = 4  # counted in 4x4 blocks
GRID_SIZE = BITMAP_SIZE // BLOCK_SIZE  # 8x8 features
LEVELS = BLOCK_SIZE * BLOCK_SIZE  # a block holds 0 to 16 ink pixels
FORMATS = ("PNG", "JPEG", "TIFF")
MNIST_SIZE = MNIST_IMAGE_SHAPE[0]  # MNIST's digits: 28x28 grey levels...
MNIST_BOX = 20  # ... each scaled to fit a 20x20 box, centred by its centre of mass
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


def _fitted(ink: Ink, side: int) -> np.ndarray:
    """The ink's bounding box, its levels scaled (proportions kept) to fit ``side`` pixels.

    Shrinking averages the pixels (box filter), enlarging interpolates them (bilinear).
    Raises ``ValueError`` when ``ink`` holds no ink.
    """
    rows = np.flatnonzero(ink.mask.any(axis=1))
    cols = np.flatnonzero(ink.mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("the mask holds no ink")
    box = ink.level[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = box.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL: (w, h)
    resample = Image.Resampling.BOX if scale <= 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(box.astype(np.float32)).resize(size, resample))


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
    scaled = _fitted(ink, BITMAP_SIZE) >= 0.5
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


def optdigits_features(ink: Ink) -> np.ndarray:
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


def mnist_features(ink: Ink) -> np.ndarray:
    """The 28x28 image an MNIST model reads, from one digit's ink, as MNIST's were made.

    LeCun et al.'s recipe: the ink's bounding box is scaled, keeping its proportions,
    to fit a 20x20 box, its edges anti-aliased into grey levels; the result is placed
    in a 28x28 field so that its centre of mass is at the field's centre.

    Parameters
    ----------
    ink : Ink
        The ink of one digit (more paper around it does not matter).

    Returns
    -------
    numpy.ndarray
        Shape ``(28, 28)``, float32 in [0, 1], 1 for full ink, as MNIST's grey levels
        divided by 255 are.

    Raises
    ------
    ValueError
        If ``ink`` holds no ink.
    """
    grey = np.clip(_fitted(ink, MNIST_BOX), 0, 1)
    centre_row, centre_col = ndimage.center_of_mass(grey)
    middle = (MNIST_SIZE - 1) / 2
    top = int(np.clip(round(middle - centre_row), 0, MNIST_SIZE - grey.shape[0]))
    left = int(np.clip(round(middle - centre_col), 0, MNIST_SIZE - grey.shape[1]))
    field = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    field[top : top + grey.shape[0], left : left + grey.shape[1]] = grey
    return field


@dataclass(frozen=True)
class Preparation:
    """How a scan is prepared for the models of one dataset.

    Attributes
    ----------
    image_shape : tuple of int
        The shape of the prepared digit.
    prepare : callable
        One digit's :class:`Ink` -> its image of ``image_shape``, float32 in [0, 1].
    description : str
        What a model card says of it (``preprocessing``).
    """

    image_shape: tuple[int, int]
    prepare: Callable[[Ink], np.ndarray]
    description: str


# By dataset name (digits_helpers.core.registry.DATASETS): how its digits were made.
PREPARATIONS: dict[str, Preparation] = {
    "digits": Preparation(
        (GRID_SIZE, GRID_SIZE),
        optdigits_features,
        "UCI optdigits: the digit's bounding box scaled into a 32x32 binary bitmap, ink pixels "
        "counted in each 4x4 block (0 to 16), then divided by 16 (values in [0, 1])",
    ),
    "mnist": Preparation(
        (MNIST_SIZE, MNIST_SIZE),
        mnist_features,
        "MNIST: the digit's bounding box scaled to fit a 20x20 box in anti-aliased grey, "
        "placed in 28x28 with its centre of mass at the centre, grey levels divided by 255 "
        "(values in [0, 1])",
    ),
}


def preparation(dataset: str) -> Preparation:
    """How scans are prepared for a model trained on ``dataset``.

    Parameters
    ----------
    dataset : str
        A model card's ``dataset``.

    Returns
    -------
    Preparation

    Raises
    ------
    ValueError
        If scans cannot be prepared for that dataset.
    """
    if dataset not in PREPARATIONS:
        known = ", ".join(map(repr, PREPARATIONS))
        raise ValueError(f"scans are prepared for models of {known} only (got {dataset!r})")
    return PREPARATIONS[dataset]


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
    """Draw a digit of the dataset as a scan of ``size`` x ``size`` pixels, for tests and the book.

    An 8x8 digit's bitmap (:func:`bitmap_from_features`), or a larger digit's grey levels
    (MNIST's 28x28), is scaled onto paper with a margin, its edges anti-aliased as a
    scanner sees a pen, then optionally blurred and made noisy.

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(8, 8)`` or ``(28, 28)``, ink in [0, 1] (a row of the dataset, reshaped).
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
    image = np.asarray(image, dtype=np.float32)
    if image.shape == (GRID_SIZE, GRID_SIZE):  # optdigits: its bitmap, as the pen drew it
        drawing = Image.fromarray(bitmap_from_features(image).astype(np.float32))
    else:  # grey levels already (MNIST): enlarged as they are
        drawing = Image.fromarray(image)
    resample = Image.Resampling.BOX if inner < drawing.size[0] else Image.Resampling.BILINEAR
    enlarged = np.clip(np.asarray(drawing.resize((inner, inner), resample)), 0, 1)
    ink = np.zeros((size, size), dtype=np.float32)
    offset = (size - inner) // 2
    ink[offset : offset + inner, offset : offset + inner] = enlarged
    if blur > 0:
        ink = ndimage.gaussian_filter(ink, sigma=blur * size)
    if noise > 0:
        ink = ink + rng.normal(0.0, noise, ink.shape).astype(np.float32)
    grey = 1.0 - ink if dark_ink else ink
    return np.round(np.clip(grey, 0, 1) * 255).astype(np.uint8)


def read_back(images: tuple[np.ndarray], *, size: int, dataset: str) -> np.ndarray:
    """Digits drawn as scans of ``size`` pixels (:func:`render_digit`) and prepared for ``dataset``.

    In memory: a PNG file keeps the same grey bytes. Each digit is drawn and read alone.

    Parameters
    ----------
    images : tuple of one numpy.ndarray
        ``(images,)``, shape ``(n, height, width)``, ink in [0, 1] (a tuple, as
        :func:`digits_helpers.core.cluster.in_pieces` passes its pieces).
    size : int
        Pixels of the drawn scan.
    dataset : str
        Whose preparation (:func:`preparation`).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, *preparation(dataset).image_shape)``, float32 in [0, 1].
    """
    (digits,) = images
    prepared = preparation(dataset)
    out = np.empty((len(digits), *prepared.image_shape), np.float32)
    for index, image in enumerate(digits):
        grey = render_digit(image, size).astype(np.float32) / 255.0
        out[index] = prepared.prepare(find_ink(grey))
    return out
