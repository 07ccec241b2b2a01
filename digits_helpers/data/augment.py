"""Training digits varied as scans and other hands vary them.

A digit read from a scan goes through :mod:`digits_helpers.data.scan`: its bounding box is
scaled to fill the 32x32 bitmap and centred. Position and size are therefore normalised
away; what still differs from the training digits is the writing itself (slant, a small
rotation, a wider or narrower hand, a thicker or thinner pen) and the centring by
bounding box instead of the original forms' own. :func:`scan_variants` makes such digits
from the training digits: each digit's bitmap
(:func:`~digits_helpers.data.scan.bitmap_from_features`) is enlarged, slanted, rotated,
stretched and its strokes thickened or thinned at random
within :data:`SCAN_RANGES`, then read back exactly as a scan is.

The 8x8 digits are all the data there is, so every variant is made from one of them;
that the variants resemble other writers' digits is an assumption the book tests on
held-out digits, not a fact.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from digits_helpers.core.cluster import RunTasks, in_pieces
from digits_helpers.core.registry import CNN_AUGMENTATIONS
from digits_helpers.data.scan import (
    GRID_SIZE,
    MNIST_SIZE,
    Ink,
    bitmap_from_features,
    mnist_features,
)
from digits_helpers.data.scan import optdigits_features as scan_features
from digits_helpers.data.segment import EIGHT_CONNECTED

SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (rows, columns): right, left, down, up
# Maximum size of each variation, drawn uniformly in [-max, max] (thickness: a choice).
SCAN_RANGES = {
    "rotation_degrees": 12.0,  # a tilted form or hand
    "slant": 0.25,  # horizontal shear per unit of height: upright to italic writing
    "aspect": 0.15,  # width scaled by 1 +- this: a narrow or a wide hand
}
# Strokes made thinner (-1), left (0) or thicker (+1) by one pixel of the enlarged bitmap.
THICKNESS_STEPS = (-1, 0, 1)
SCAN_COPIES = 4  # varied copies of each digit in the "scan" training set
UPSCALE = 2  # variants are drawn on a 64x64 bitmap, then read back to 8x8


def vary_bitmap(
    bitmap: np.ndarray,
    *,
    rotation_degrees: float,
    slant: float,
    aspect: float,
    thickness: int,
) -> np.ndarray:
    """One digit's bitmap, slanted, rotated, stretched and with thicker or thinner strokes.

    Parameters
    ----------
    bitmap : numpy.ndarray
        Boolean, shape ``(32, 32)``.
    rotation_degrees : float
        Counter-clockwise rotation.
    slant : float
        Horizontal shift per row, as a fraction of the row's distance from the centre.
    aspect : float
        Factor applied to the width (1 keeps it).
    thickness : int
        -1 erodes the strokes by one pixel of the 64x64 drawing, +1 dilates them, 0
        keeps them; a stroke that erosion would erase entirely is kept as it was.

    Returns
    -------
    numpy.ndarray
        Boolean, shape ``(64, 64)``: the varied digit, centred, with room around it.
    """
    large = ndimage.zoom(bitmap.astype(np.float32), UPSCALE, order=1)
    varied = _warp(large, rotation_degrees, slant, aspect) >= 0.5
    if thickness > 0:
        varied = ndimage.binary_dilation(varied, structure=EIGHT_CONNECTED)
    elif thickness < 0:
        thinner = ndimage.binary_erosion(varied, structure=EIGHT_CONNECTED)
        if thinner.sum() >= 0.5 * varied.sum():
            varied = thinner
    return varied


def _warp(large: np.ndarray, rotation_degrees: float, slant: float, aspect: float) -> np.ndarray:
    """A square image rotated, slanted and stretched about its centre, on a doubled canvas."""
    size = large.shape[0]
    angle = math.radians(rotation_degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    rotate = np.array([[cos, -sin], [sin, cos]])
    shear = np.array([[1.0, 0.0], [slant, 1.0]])  # (row, col): col moves with row
    stretch = np.array([[1.0, 0.0], [0.0, aspect]])
    forward = rotate @ shear @ stretch
    inverse = np.linalg.inv(forward)
    # Drawn on a canvas with room for the digit to grow when it is rotated or slanted.
    canvas = np.zeros((2 * size, 2 * size), dtype=np.float32)
    canvas[size // 2 : size // 2 + size, size // 2 : size // 2 + size] = large
    big_centre = np.array([size - 0.5, size - 0.5])
    offset = big_centre - inverse @ big_centre
    return ndimage.affine_transform(canvas, inverse, offset=offset, order=1)


def vary_grey(
    image: np.ndarray,
    *,
    rotation_degrees: float,
    slant: float,
    aspect: float,
    thickness: int,
) -> np.ndarray:
    """:func:`vary_bitmap` for a digit of grey levels (MNIST's), read back as MNIST's were made.

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(height, width)``, square, ink in [0, 1].
    rotation_degrees, slant, aspect : float
        As for :func:`vary_bitmap`.
    thickness : int
        -1 thins the strokes (grey erosion, 3x3) on the doubled drawing, +1 thickens
        them (grey dilation), 0 keeps them; a thinning that would erase most of the ink
        is not applied.

    Returns
    -------
    numpy.ndarray
        Shape ``(28, 28)``, float32 in [0, 1]: the varied digit prepared by
        :func:`digits_helpers.data.scan.mnist_features` (zeros if no ink is left).
    """
    large = ndimage.zoom(np.asarray(image, dtype=np.float32), UPSCALE, order=1)
    varied = np.clip(_warp(large, rotation_degrees, slant, aspect), 0, 1)
    if thickness > 0:
        varied = ndimage.grey_dilation(varied, size=(3, 3))
    elif thickness < 0:
        thinner = ndimage.grey_erosion(varied, size=(3, 3))
        if thinner.sum() >= 0.5 * varied.sum():
            varied = thinner
    mask = varied >= 0.5
    if not mask.any():
        return np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    return mnist_features(Ink(mask=mask, level=varied.astype(np.float32)))


def scan_variants(
    images: np.ndarray,
    copies: int,
    *,
    rng: np.random.Generator,
    run_tasks: RunTasks | None = None,
) -> np.ndarray:
    """``copies`` scan-like variants of each digit, read back as scans are.

    8x8 digits are varied as their optdigits bitmaps (:func:`vary_bitmap`); larger
    digits of grey levels (MNIST's) as they are (:func:`vary_grey`), with the same draws.
    Every random draw is made here first, in order (:func:`_draws`); the digits are then
    varied in independent pieces (:func:`~digits_helpers.core.cluster.in_pieces`), so that
    spreading them over workers gives the same variants as making them one after the other.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, 8, 8)``, values in [0, 1] (multiples of 1/16), or
        ``(n_images, 28, 28)`` grey levels in [0, 1].
    copies : int
        Variants per digit, >= 1.
    rng : numpy.random.Generator
        Source of every random draw: the same seed gives the same variants.
    run_tasks : callable, optional
        Where the pieces are made
        (:meth:`digits_helpers.core.cluster.Workers.map`); here by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(copies * n_images, height, width)``, float32 in [0, 1]: all the digits' first
        variant, then all their second, and so on (labels: ``np.tile(y, copies)``).
    """
    if copies < 1:
        raise ValueError(f"copies must be >= 1 (got {copies})")
    draws = _draws(copies * len(images), rng)
    varied = _vary if images.shape[1:] == (GRID_SIZE, GRID_SIZE) else _vary_grey
    return in_pieces(
        varied, (np.tile(images, (copies, 1, 1)), draws), run_tasks=run_tasks, label="scan variants"
    )


def _draws(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` variations, drawn in order: rotation, slant, aspect and thickness of each."""
    draws = np.empty((n, 4))
    for row in draws:
        row[:] = (
            rng.uniform(-1, 1) * SCAN_RANGES["rotation_degrees"],
            rng.uniform(-1, 1) * SCAN_RANGES["slant"],
            1 + rng.uniform(-1, 1) * SCAN_RANGES["aspect"],
            int(rng.choice(THICKNESS_STEPS)),
        )
    return draws


def _variation(row: np.ndarray) -> dict:
    rotation_degrees, slant, aspect, thickness = row
    return {
        "rotation_degrees": float(rotation_degrees),
        "slant": float(slant),
        "aspect": float(aspect),
        "thickness": int(thickness),
    }


def _vary(piece: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """8x8 digits, each varied by its row of draws (a piece of :func:`scan_variants`)."""
    images, draws = piece
    out = np.empty(images.shape, dtype=np.float32)
    for index, (image, row) in enumerate(zip(images, draws, strict=True)):
        varied = vary_bitmap(bitmap_from_features(image), **_variation(row))
        ink = Ink(mask=varied, level=varied.astype(np.float32))
        out[index] = scan_features(ink) if varied.any() else 0
    return out


def _vary_grey(piece: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Digits of grey levels, each varied by its row of draws (:func:`scan_variants`)."""
    images, draws = piece
    out = np.empty((len(images), MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    for index, (image, row) in enumerate(zip(images, draws, strict=True)):
        out[index] = vary_grey(image, **_variation(row))
    return out


def rescanned(images: np.ndarray) -> np.ndarray:
    """The digits read back as scans are, without variation.

    An 8x8 digit's bitmap is centred by its bounding box (optdigits); a 28x28 digit is
    prepared again as MNIST's were (:func:`digits_helpers.data.scan.mnist_features`).

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, 8, 8)``, values in [0, 1] (multiples of 1/16), or
        ``(n_images, 28, 28)`` grey levels in [0, 1].

    Returns
    -------
    numpy.ndarray
        The same shape, float32: each digit re-centred and read back.
    """
    if images.shape[1:] != (GRID_SIZE, GRID_SIZE):  # grey levels (MNIST): prepared again
        return np.stack(
            [
                vary_grey(image, rotation_degrees=0, slant=0, aspect=1, thickness=0)
                for image in images
            ]
        )
    out = np.empty(images.shape, dtype=np.float32)
    for index, image in enumerate(images):
        bitmap = bitmap_from_features(image)
        out[index] = scan_features(Ink(mask=bitmap, level=bitmap.astype(np.float32)))
    return out


def shift_augment(images: np.ndarray) -> np.ndarray:
    """The images plus four copies shifted by one pixel (up, down, left, right), zero-filled.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, height, width)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(5 * n_images, height, width)``: the images, then all of them shifted
        right, left, down and up, each block in the input's order; the row or column
        shifted in is zero, none wraps around.
    """
    copies = [images]
    for dy, dx in SHIFTS:
        shifted = np.roll(images, (dy, dx), axis=(1, 2))
        if dy:
            shifted[:, 0 if dy > 0 else -1, :] = 0
        if dx:
            shifted[:, :, 0 if dx > 0 else -1] = 0
        copies.append(shifted)
    return np.concatenate(copies)


def shift_augment_rows(
    X: np.ndarray, y: np.ndarray, image_shape: tuple[int, int] = (8, 8)
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shift_augment` for flat pixel rows: five rows per digit, labels repeated.

    Parameters
    ----------
    X : numpy.ndarray
        Flat pixel rows, shape ``(n_rows, height * width)``.
    y : numpy.ndarray
        Label of each row, shape ``(n_rows,)``.
    image_shape : tuple of int, default=(8, 8)
        Height and width of one image.

    Returns
    -------
    X_augmented : numpy.ndarray
        Shape ``(5 * n_rows, height * width)``, in :func:`shift_augment`'s order.
    y_augmented : numpy.ndarray
        ``y`` repeated five times, matching ``X_augmented``.
    """
    images = X.reshape(len(X), *image_shape)
    shifted = shift_augment(images).reshape(-1, X.shape[1])
    return shifted, np.tile(y, len(SHIFTS) + 1)


def augmented(
    images: np.ndarray,
    labels: np.ndarray,
    augmentation: str,
    *,
    seed: int,
    run_tasks: RunTasks | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A training set of images grown by one of the CNN's augmentations.

    The augmentations are :data:`~digits_helpers.core.registry.CNN_AUGMENTATIONS`.

    Parameters
    ----------
    images : numpy.ndarray
        Shape ``(n_images, height, width)``, values in [0, 1].
    labels : numpy.ndarray
        Label of each image.
    augmentation : str
        ``"none"``: the images as they are. ``"shifts"``: also each shifted by one pixel
        in the four directions (five times the images). ``"scan"``: the shifts, each
        digit read back as a scan is (:func:`rescanned`), and :data:`SCAN_COPIES` scan
        variants of each (:func:`scan_variants`): ten times the images.
    seed : int
        Seed of the variants' random draws.
    run_tasks : callable, optional
        Where the scan variants are made (:func:`scan_variants`); here by default. The
        images are the same either way.

    Returns
    -------
    images : numpy.ndarray
        The training images, float32.
    labels : numpy.ndarray
        Their labels.

    Raises
    ------
    ValueError
        If ``augmentation`` is not one of the known ones.
    """
    if augmentation not in CNN_AUGMENTATIONS:
        accepted = ", ".join(CNN_AUGMENTATIONS)
        raise ValueError(f"augmentation must be one of {accepted} (got {augmentation!r})")
    images = np.asarray(images, dtype=np.float32)
    if augmentation == "none":
        return images, np.asarray(labels)
    parts = [shift_augment(images)]
    if augmentation == "scan":
        rng = np.random.default_rng(seed)
        parts += [
            rescanned(images),
            scan_variants(images, SCAN_COPIES, rng=rng, run_tasks=run_tasks),
        ]
    grown = np.concatenate(parts)
    return grown, np.tile(labels, len(grown) // len(images))
