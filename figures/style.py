"""The one look of every chronoscore figure: paper-column size, fonts, colours, axis labels.

Figures are single-column (:data:`COLUMN_WIDTH` inches wide) with 8-point text,
drawn on :class:`matplotlib.figure.Figure` objects without pyplot's global state.
Colours are the Okabe–Ito colour-blind-safe set (:data:`PALETTE`); a model keeps
its colour in every figure of a results folder when the figures are given one
:func:`model_colours` mapping built from all the folder's model names.
Feedforward models are drawn dashed, recurrent ones solid.

Figure functions build and fill their axes inside ``with paper_style():`` and
pass every axes through :func:`style_axes`; :func:`save_figure` and
:func:`png_bytes` write a figure in the same style.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "PALETTE", "REGION_COLOURS", "COLUMN_WIDTH", "FONT_SIZE", "SMALL_FONT_SIZE", "DPI", "CEILING_COLOUR",
    "FEEDFORWARD_LINESTYLE", "TIME_LABEL", "CEILED_LABEL", "STEP_LABEL", "MEMORY_LABEL", "ACCURACY_LABEL",
    "LOSS_LABEL", "TRAINING_STEP_LABEL", "UNROLLED_STEPS_LABEL", "PARAMETERS_LABEL", "RESPONSE_LABEL",
    "CEILING_LABEL", "PATH_LENGTH_LABEL",
    "paper_style", "new_figure", "style_axes", "figure_legend", "model_colours", "save_figure", "png_bytes",
]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
"""Okabe–Ito colours: blue, vermillion, bluish green, reddish purple, orange, sky blue, black,
yellow (last: it is faint on white)."""

REGION_COLOURS = {"V4": PALETTE[2], "IT": PALETTE[3]}
"""Fixed colours of brain regions (in figures of the data rather than of models)."""

COLUMN_WIDTH = 3.5
"""Width of a single-column paper figure, inches."""

FONT_SIZE = 8
"""Points, for axis labels and titles."""

SMALL_FONT_SIZE = 7
"""Points, for tick labels, legends and annotations."""

DPI = 300
"""Resolution of saved PNGs (dots per inch): a column-wide PNG is 1050 pixels wide."""

CEILING_COLOUR = "0.86"
"""Gray of the noise-ceiling band."""

FEEDFORWARD_LINESTYLE = (0, (4, 2))
"""Dashes of feedforward models' lines."""

TIME_LABEL = "time after image onset (ms)"
CEILED_LABEL = "noise-corrected r²"
"""The ceiled score of a metric whose ceiling is of r² (the regressions)."""
STEP_LABEL = "model time step"
TRAINING_STEP_LABEL = "training step (steps)"
UNROLLED_STEPS_LABEL = "recurrent steps of the forward pass (steps)"
MEMORY_LABEL = "peak memory (MB)"
ACCURACY_LABEL = "accuracy (fraction correct)"
LOSS_LABEL = "loss (cross-entropy, nats)"
PARAMETERS_LABEL = "parameters (count)"
RESPONSE_LABEL = "mean response (spikes/s)"
CEILING_LABEL = "ceiling (split-half r)"
PATH_LENGTH_LABEL = "path length (paddles)"

_RC = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": SMALL_FONT_SIZE,
    "ytick.labelsize": SMALL_FONT_SIZE,
    "legend.fontsize": SMALL_FONT_SIZE,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.25,
    "lines.markersize": 3.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "pdf.fonttype": 42,
    "savefig.dpi": DPI,
}


@contextmanager
def paper_style() -> Iterator[None]:
    """Matplotlib settings of chronoscore figures, restored on leaving the block."""
    with matplotlib.rc_context(_RC):
        yield


def new_figure(rows: int = 1, columns: int = 1, *, height: float = 2.4, width: float = COLUMN_WIDTH,
               **subplots) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure and its axes, flat in row-major order (call inside :func:`paper_style`).

    Parameters
    ----------
    rows, columns : int
        Grid of axes.
    height, width : float
        Inches.
    **subplots
        Passed to :meth:`Figure.subplots` (``sharex``, ``sharey``, ...).
    """
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, **subplots)
    return figure, [axis for row in axes for axis in row]


def style_axes(axis: Axes, *, grid: bool = True) -> Axes:
    """Fix tick sizes on ``axis`` (ticks are made when drawn, possibly outside :func:`paper_style`)."""
    axis.tick_params(labelsize=SMALL_FONT_SIZE, width=0.6, length=2.5)
    if grid:
        axis.grid(alpha=0.3, linewidth=0.5)
        axis.set_axisbelow(True)
    return axis


def figure_legend(figure: Figure, axes: Sequence[Axes], columns: int = 2) -> None:
    """One legend above all panels with the entries of every axes in ``axes`` (each label once)."""
    entries: dict[str, Artist] = {}
    for axis in axes:
        handles, labels = axis.get_legend_handles_labels()
        for handle, label in zip(handles, labels):
            entries.setdefault(label, handle)
    if entries:
        figure.legend(list(entries.values()), list(entries), loc="outside upper center",
                      ncol=min(columns, len(entries)), fontsize=SMALL_FONT_SIZE, frameon=False)


def model_colours(names: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per name: those in ``given`` keep theirs, the others take :data:`PALETTE` in order.

    Building one mapping from every model of a results folder and handing it to
    each figure keeps a model's colour the same across figures.

    Parameters
    ----------
    names : iterable of str
        Model (or algorithm) names; repeats are ignored.
    given : mapping of str to colour, optional
        Colours already assigned.
    """
    colours = dict(given or {})
    free = [colour for colour in PALETTE if colour not in colours.values()] or list(PALETTE)
    new = [name for name in dict.fromkeys(names) if name not in colours]
    colours.update({name: free[index % len(free)] for index, name in enumerate(new)})
    return colours


def save_figure(figure: Figure, stem: str | os.PathLike) -> list[Path]:
    """Write ``<stem>.png`` (:data:`DPI`) and ``<stem>.pdf``; return both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_name(f"{stem.name}.{suffix}") for suffix in ("png", "pdf")]
    with paper_style():
        for path in paths:
            figure.savefig(path, dpi=DPI)
    return paths


def png_bytes(figure: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG file contents (for embedding in a page)."""
    buffer = io.BytesIO()
    with paper_style():
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
