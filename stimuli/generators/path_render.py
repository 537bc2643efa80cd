"""Anti-aliased paddles and marker discs drawn into many images at once.

Paddles are drawn as the authors' generator draws them (a PIL line of the
paddle's thickness, which has flat ends), discs as filled circles. A pixel's
coverage is approximated with a linear edge one pixel wide: for a paddle
``clip(width / 2 + 0.5 - |across|, 0, 1) * clip(0.5 + min(along, length - along), 0, 1)``
(``along`` and ``across`` the pixel centre's coordinates in the paddle's frame),
for a disc ``clip(radius + 0.5 - distance, 0, 1)``. Each shape is evaluated on a
small square window of pixels; overlapping shapes combine by maximum.

Pixel coordinates: ``x`` runs along columns and ``y`` down the rows; the centre
of pixel (row, column) is at ``(column + 0.5, row + 0.5)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_paddles", "draw_discs"]


def draw_paddles(canvas: np.ndarray, images: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 width: float) -> None:
    """Draw paddles into ``canvas`` (B, H, W) float32 in place.

    Parameters
    ----------
    canvas : (B, H, W) float32 array
    images : (N,) int array
        Image of each paddle.
    starts, ends : (N, 2) float arrays
        Paddle end points (x, y) in pixels; all paddles have the same length.
    width : float
        Paddle thickness in pixels.
    """
    if len(images) == 0:
        return
    starts, ends = starts.astype(np.float32), ends.astype(np.float32)
    along_vector = ends - starts
    length = np.linalg.norm(along_vector, axis=1)
    unit = along_vector / length[:, None]
    rows, columns, x, y = _windows(canvas, (starts + ends) / 2, float(length.max()) / 2 + width / 2 + 1)
    offset_x, offset_y = x - starts[:, 0, None, None], y - starts[:, 1, None, None]
    along = offset_x * unit[:, 0, None, None] + offset_y * unit[:, 1, None, None]
    across = offset_x * unit[:, 1, None, None] - offset_y * unit[:, 0, None, None]
    ends_cover = np.clip(0.5 + np.minimum(along, length[:, None, None] - along), 0.0, 1.0)
    coverage = np.clip(width / 2 + 0.5 - np.abs(across), 0.0, 1.0) * ends_cover
    _paint(canvas, images, rows, columns, coverage)


def draw_discs(canvas: np.ndarray, images: np.ndarray, centres: np.ndarray, radius: float) -> None:
    """Draw filled discs of ``radius`` pixels at ``centres`` (N, 2) into images ``images`` (N,) of ``canvas``."""
    if len(images) == 0:
        return
    centres = centres.astype(np.float32)
    rows, columns, x, y = _windows(canvas, centres, radius + 1)
    distance = np.hypot(x - centres[:, 0, None, None], y - centres[:, 1, None, None])
    _paint(canvas, images, rows, columns, np.clip(radius + 0.5 - distance, 0.0, 1.0))


def _windows(canvas: np.ndarray, middles: np.ndarray, reach: float) -> tuple[np.ndarray, ...]:
    """Pixel rows and columns (N, k, k) of a square window around each point (N, 2), and their centres
    x, y (float32)."""
    half = int(np.ceil(reach))
    offsets = np.arange(-half, half + 1)
    corner = np.floor(middles).astype(np.int64)
    columns = corner[:, 0, None, None] + offsets[None, None, :]
    rows = corner[:, 1, None, None] + offsets[None, :, None]
    columns, rows = np.broadcast_arrays(columns, rows)
    return rows, columns, columns.astype(np.float32) + 0.5, rows.astype(np.float32) + 0.5


def _paint(canvas: np.ndarray, images: np.ndarray, rows: np.ndarray, columns: np.ndarray,
           coverage: np.ndarray) -> None:
    """``canvas[image, row, column] = max(itself, coverage)`` over windows, skipping pixels outside."""
    _, height, width = canvas.shape
    keep = (coverage > 0) & (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    owner = np.broadcast_to(np.asarray(images)[:, None, None], coverage.shape)[keep]
    flat = (owner * height + rows[keep]) * width + columns[keep]
    np.maximum.at(canvas.reshape(-1), flat, coverage[keep].astype(canvas.dtype, copy=False))
