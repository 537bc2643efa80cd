"""A contact sheet of a stimulus set: its first images in a grid, each captioned.

Reads saved results only: a stimulus set in Brain-Score's format
(``stimulus_<name>.csv`` with the zip or image folder of the same name beside
it, and chronoscore's ``stimulus_<name>.json``), given as the CSV file or a
folder holding one such set directly or in its ``stimuli/`` subfolder (as a
benchmark folder does). The grid is drawn by
:func:`chronoscore.stimuli.contact_sheet.write_contact_sheet`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from chronoscore.errors import FileFormatError
from chronoscore.figures.registry import figure
from chronoscore.figures.style import COLUMN_WIDTH, FONT_SIZE, paper_style
from chronoscore.stimuli.brainscore_format import read_stimulus_set
from chronoscore.stimuli.contact_sheet import write_contact_sheet

__all__ = ["stimulus_sheet", "stimulus_table", "CAPTION_COLUMNS"]

CAPTION_COLUMNS = ("category_name", "object_name", "label", "stimulus_id")
"""Columns tried in order for the captions when none is given."""


@figure("stimulus_sheet", needs="stimulus_tables", caption="Stimuli", each=True)
def stimulus_sheet(stimuli: str | os.PathLike, *, n: int = 16, caption: str | None = None, tile: int = 128) -> Figure:
    """The first ``n`` images of a stimulus set in a grid, with a caption under each.

    Parameters
    ----------
    stimuli : path-like
        A stimulus table ``stimulus_<name>.csv`` or a folder holding one (see the module docstring).
    n : int
        Number of images.
    caption : str, optional
        Table column written under each image (default: the first of
        :data:`CAPTION_COLUMNS` the table has).
    tile : int
        Pixels per image in the sheet.

    Returns
    -------
    matplotlib.figure.Figure
        One axes without ticks showing the sheet as an (H, W, 3) image, titled
        with the set's identifier.
    """
    stimulus_set = read_stimulus_set(stimulus_table(stimuli))
    columns = stimulus_set.table.columns
    caption = caption or next((name for name in CAPTION_COLUMNS if name in columns), "stimulus_id")
    with tempfile.TemporaryDirectory(prefix="chronoscore_sheet_") as folder:
        path = write_contact_sheet(stimulus_set, Path(folder) / "sheet.png", n=n, caption=caption, tile=tile)
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    height, width = pixels.shape[:2]
    with paper_style():
        figure = Figure(figsize=(COLUMN_WIDTH, COLUMN_WIDTH * height / width + 0.3), layout="constrained")
        axis = figure.add_subplot()
        axis.imshow(pixels, interpolation="lanczos")
        axis.set_axis_off()
        axis.set_title(f"{stimulus_set.identifier} (first {min(n, len(stimulus_set))} of {len(stimulus_set)})",
                       fontsize=FONT_SIZE)
    return figure


def stimulus_table(stimuli: str | os.PathLike) -> Path:
    """The ``stimulus_<name>.csv`` that ``stimuli`` is or holds (itself or in ``stimuli/``).

    Raises
    ------
    FileFormatError
        If there is no such table, or more than one.
    """
    path = Path(stimuli)
    if path.is_file():
        return path
    tables = sorted(path.glob("stimulus_*.csv")) or sorted((path / "stimuli").glob("stimulus_*.csv"))
    if len(tables) != 1:
        raise FileFormatError(f"{path}: expected one stimulus table stimulus_<name>.csv here or in stimuli/, found "
                              f"{[table.name for table in tables]}; give the table's path.")
    return tables[0]
