"""Neural data overview: mean response time course per region and split-half ceiling per time bin.

Reads saved results only: a neural assembly netCDF (brainio's format, as
:func:`chronoscore.neural_fit.write_assembly` writes it; dims presentation,
neuroid, time_bin; neuroid coord ``region``, time_bin coords
``time_bin_start``/``time_bin_end`` in ms; responses in spikes/s), given as
the file or a benchmark folder holding ``assembly.nc``, and the split-half
ceilings saved beside it (``ceilings.nc``, read through
:func:`chronoscore.analyses.run_folder.read_ceilings`; the data sets' builders
and ``chronoscore data ceilings`` write them). Trial-averaged data have no
ceilings; without a saved file the panel says how to write it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from chronoscore.analyses.datasets.folder import ASSEMBLY_FILE
from chronoscore.analyses.run_folder import read_ceilings
from chronoscore.figures.registry import figure
from chronoscore.figures.style import (CEILING_LABEL, FONT_SIZE, REGION_COLOURS, RESPONSE_LABEL, SMALL_FONT_SIZE,
                                       TIME_LABEL, figure_legend, model_colours, new_figure, paper_style, style_axes)
from chronoscore.neural_fit.netcdf_io import read_assembly

__all__ = ["neural_overview", "assembly_file"]


@figure("neural_overview", needs="assemblies", caption="Neural data: mean response and ceiling", each=True)
def neural_overview(assembly: str | os.PathLike) -> Figure:
    """Two panels: mean response (± s.e.m. over sites) and split-half ceiling, per region over time bins.

    Parameters
    ----------
    assembly : path-like
        An assembly netCDF file or a benchmark folder holding ``assembly.nc``.

    Returns
    -------
    matplotlib.figure.Figure
        Left: a line per region of the mean over presentations and the region's
        sites, in spikes/s, with a band of ± one standard error over sites.
        Right: a line per region of the saved split-half (Spearman–Brown
        corrected) ceiling, with a band of ± one standard error over splits, or a
        note when the data are trial-averaged or no ceilings were saved.
    """
    path = assembly_file(assembly)
    neural = read_assembly(path, allow_nan=True)
    regions = list(dict.fromkeys(map(str, neural["region"].values)))
    colours = model_colours(regions, REGION_COLOURS)
    times = (neural["time_bin_start"].values + neural["time_bin_end"].values) / 2
    site_means = neural.mean("presentation", skipna=True).transpose("neuroid", "time_bin").values
    ceilings = read_ceilings(path)
    trial_averaged = "repetition" not in neural.coords or np.unique(neural["repetition"].values).size < 2
    with paper_style():
        figure, axes = new_figure(1, 2, height=2.3, sharex=True)
        for region in regions:
            sites = site_means[neural["region"].values == region]
            mean = np.nanmean(sites, axis=0)
            error = np.nanstd(sites, axis=0, ddof=1) / np.sqrt(len(sites)) if len(sites) > 1 else 0 * mean
            axes[0].plot(times, mean, color=colours[region], label=f"{region} ({len(sites)} sites)")
            axes[0].fill_between(times, mean - error, mean + error, color=colours[region], alpha=0.25, linewidth=0)
            if ceilings is not None:
                value = ceilings["ceiling"].sel(region=region).values
                spread = ceilings["ceiling_error"].sel(region=region).values
                axes[1].plot(times, value, color=colours[region])
                axes[1].fill_between(times, value - spread, value + spread, color=colours[region], alpha=0.25,
                                     linewidth=0)
        axes[0].set_ylabel(RESPONSE_LABEL)
        axes[1].set_ylabel(CEILING_LABEL)
        axes[1].set_title("Spearman–Brown corrected", fontsize=SMALL_FONT_SIZE)
        if ceilings is None:
            note = ("trial-averaged data:\nno split-half ceiling" if trial_averaged else
                    "no saved ceilings: write them with\nchronoscore data ceilings " + path.name)
            axes[1].text(0.5, 0.5, note, transform=axes[1].transAxes, ha="center", va="center",
                         fontsize=SMALL_FONT_SIZE)
        else:
            axes[1].set_ylim(min(0.0, float(np.nanmin(ceilings["ceiling"].values))), 1)
        for axis in axes:
            style_axes(axis)
        figure.supxlabel(TIME_LABEL, fontsize=FONT_SIZE)
        figure_legend(figure, axes[:1])
    return figure


def assembly_file(assembly: str | os.PathLike) -> Path:
    """The netCDF file ``assembly`` is, or the ``assembly.nc`` in the folder it names."""
    path = Path(assembly)
    return path / ASSEMBLY_FILE if path.is_dir() else path
