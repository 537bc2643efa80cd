"""The images an NWB file shows: the ``Images`` container its presentations' ``IndexSeries`` indexes.

A file whose presentations are an ``IndexSeries`` over an ``Images`` container
carries its stimuli itself (``RGBImage``, ``RGBAImage`` or ``GrayscaleImage``
arrays), so it needs no separate stimulus set.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from chronoscore.errors import DataFormatError
from chronoscore.neural_fit.nwb_file import open_nwb
from chronoscore.neural_fit.nwb_presentations import read_presentations

__all__ = ["read_nwb_images"]

_STIMULUS_PREFIX = "stimulus/"


def read_nwb_images(paths: str | os.PathLike | Sequence[str | os.PathLike],
                    presentations: str | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """Read the images the files' presentations show, by stimulus id.

    Parameters
    ----------
    paths : path-like or sequence of path-like
    presentations : str, optional
        The ``IndexSeries`` of the presentations (default: as
        :func:`~chronoscore.neural_fit.nwb_presentations.read_presentations` picks).

    Returns
    -------
    name : str
        The first file's ``Images`` container's name.
    images : dict of str to numpy.ndarray of uint8, each shape (height, width, 3)
        Every image of the containers, by its name (the stimulus id); grey images
        are repeated over three channels and an alpha channel is dropped.

    Raises
    ------
    DataFormatError
        If the presentations are not an ``IndexSeries`` over ``Images`` (an
        intervals table carries no images), an image is neither uint8 nor
        floats in [0, 1] of a grey, RGB or RGBA shape, or two files hold
        different images under one name.
    """
    paths = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(path) for path in paths]
    names, images = [], {}
    for path in paths:
        with open_nwb(path) as nwbfile:
            source = read_presentations(nwbfile, presentations).source
            if not source.startswith(_STIMULUS_PREFIX):
                raise DataFormatError(
                    f"{path}: its presentations come from {source}, which names the stimuli but holds no images; "
                    "give the images as a stimulus set (--stimuli IMAGES_DIR|STIMULUS_CSV)."
                )
            container = nwbfile.stimulus[source[len(_STIMULUS_PREFIX):]].indexed_images
            names.append(container.name)
            for image in container.order_of_images.data:
                pixels = _rgb_uint8(np.asarray(image.data[()]), f"{path}: image {image.name!r}")
                if image.name in images and not np.array_equal(images[image.name], pixels):
                    raise DataFormatError(
                        f"{path}: image {image.name!r} differs from the image of that name in an earlier file; "
                        "convert the files separately, or give one stimulus set (--stimuli)."
                    )
                images[image.name] = pixels
    return names[0], images


def _rgb_uint8(pixels: np.ndarray, where: str) -> np.ndarray:
    """(H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA, uint8 or floats in [0, 1], as (H, W, 3) uint8."""
    if pixels.dtype.kind == "f" and pixels.size and 0.0 <= pixels.min() and pixels.max() <= 1.0:
        pixels = np.round(pixels * 255.0).astype(np.uint8)
    if pixels.dtype != np.uint8 or not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] in (3, 4))):
        raise DataFormatError(
            f"{where} has shape {pixels.shape} and dtype {pixels.dtype}; chronoscore reads grey (H, W), RGB "
            "(H, W, 3) or RGBA (H, W, 4) images of uint8 or floats in [0, 1]. Give the images as a stimulus set "
            "(--stimuli IMAGES_DIR|STIMULUS_CSV)."
        )
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, :3])
