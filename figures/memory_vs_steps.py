"""Peak training memory against the number of recurrent steps, BPTT against C-RBP.

Reads saved results only: a CSV table (``benchmarks/bench_crbp_memory.py
--out``) with a header row and the columns

``algorithm,n_steps,peak_mb,device``

one row per algorithm × number of steps × device: ``algorithm`` (text:
``bptt``, ``crbp``, ...), ``n_steps`` (recurrent steps of the forward pass,
whole number), ``peak_mb`` (peak memory of one training step in megabytes),
``device`` (text, e.g. ``cpu``, ``cuda``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from matplotlib.figure import Figure

from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import TableSchema, check_unique_rows, read_table
from chronoscore.figures.style import (FONT_SIZE, MEMORY_LABEL, PALETTE, UNROLLED_STEPS_LABEL, figure_legend,
                                       model_colours, new_figure, paper_style, style_axes)

__all__ = ["memory_vs_steps", "MEMORY_SCHEMA", "ALGORITHM_COLOURS"]

MEMORY_SCHEMA = TableSchema(
    name="memory vs steps",
    columns={"algorithm": "text", "n_steps": "integer", "peak_mb": "number", "device": "text"},
    producer="benchmarks/bench_crbp_memory.py --out FILE",
)

ALGORITHM_COLOURS = {"bptt": PALETTE[1], "crbp": PALETTE[0]}
"""Fixed colours of the learning algorithms; others take the remaining palette colours."""

_NAMES = {"bptt": "BPTT", "crbp": "C-RBP"}


@figure("memory_vs_steps", needs="memory_tables", caption="Peak memory against recurrent steps", each=True)
def memory_vs_steps(table_file: str | os.PathLike, colours: Mapping[str, str] | None = None) -> Figure:
    """Peak memory (MB) against steps, a line per algorithm, one panel per device.

    Parameters
    ----------
    table_file : path-like
        The CSV table described in the module docstring.
    colours : mapping of algorithm to colour, optional
        Default :data:`ALGORITHM_COLOURS`.

    Returns
    -------
    matplotlib.figure.Figure
        A line with markers per algorithm and device, on linear axes.

    Raises
    ------
    FileFormatError
        A missing or malformed table, or a repeated algorithm × n_steps × device.
    """
    table = read_table(table_file, MEMORY_SCHEMA)
    check_unique_rows(table, ["algorithm", "n_steps", "device"], table_file)
    colours = model_colours(table["algorithm"].unique(), {**ALGORITHM_COLOURS, **(colours or {})})
    devices = list(table["device"].unique())
    with paper_style():
        figure, axes = new_figure(1, len(devices), height=2.4, sharex=True)
        for axis, device in zip(axes, devices):
            for algorithm, rows in table[table["device"] == device].groupby("algorithm", sort=False):
                rows = rows.sort_values("n_steps")
                axis.plot(rows["n_steps"], rows["peak_mb"], color=colours[algorithm], marker="o",
                          label=_NAMES.get(algorithm, algorithm))
            axis.set_title(f"device: {device}")
            axis.set_ylim(bottom=0)
            style_axes(axis)
        axes[0].set_ylabel(MEMORY_LABEL)
        figure.supxlabel(UNROLLED_STEPS_LABEL, fontsize=FONT_SIZE)
        figure_legend(figure, axes, columns=4)
    return figure
