"""Lesion effects: accuracy of the intact hGRU and of each lesioned variant.

Reads saved results only: a CSV table with a header row and the columns

``model,variant,accuracy,seed``

one row per model × variant × seed: ``model`` (text), ``variant`` (text:
``full`` for the intact hGRU, otherwise the lesion's name, e.g.
``lesion_alpha_omega``, ``lesion_mu_kappa``), ``accuracy`` (fraction of test
images classified correctly, 0–1), ``seed`` (whole number).

The ``full`` rows are the reference the lesions are compared with. A model
with ``full`` rows heads a group holding its own lesion rows; when the table
has only one such model, rows of models without ``full`` rows join its group
(tables that name each lesioned model after itself, e.g. model
``hgru_lesion_mu_kappa`` with variant ``mu_kappa``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from chronoscore.errors import FileFormatError
from chronoscore.figures.registry import figure
from chronoscore.figures.result_files import TableSchema, check_unique_rows, mean_over_seeds, read_table
from chronoscore.figures.style import (ACCURACY_LABEL, figure_legend, model_colours, new_figure, paper_style,
                                       style_axes)

__all__ = ["lesion_effects", "LESION_SCHEMA", "FULL_VARIANT", "variant_label"]

LESION_SCHEMA = TableSchema(
    name="lesion effects",
    columns={"model": "text", "variant": "text", "accuracy": "number", "seed": "integer"},
    producer="the lesion evaluation (columns model,variant,accuracy,seed)",
)

FULL_VARIANT = "full"
"""The variant name of the intact model."""

_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "eta": "η", "kappa": "κ", "mu": "μ", "omega": "ω", "tau": "τ"}


@figure("lesion_effects", needs="lesion_tables", caption="Lesion effects", each=True, colours=True)
def lesion_effects(table_file: str | os.PathLike, colours: Mapping[str, str] | None = None) -> Figure:
    """Bars of mean accuracy over seeds (± s.d.) per variant, seeds as dots, intact model first.

    Parameters
    ----------
    table_file : path-like
        The CSV table described in the module docstring.
    colours : mapping of model name to colour, optional

    Returns
    -------
    matplotlib.figure.Figure
        One axes: for each variant a cluster with one bar per group (intact
        model) that has it (``n_groups × n_variants`` bars when every group has
        every variant); a dashed line per group at its intact accuracy.

    Raises
    ------
    FileFormatError
        A missing or malformed table, a repeated model × variant × seed or
        group × variant × seed, an accuracy outside 0–1, or rows that belong to
        no group (no ``full`` rows at all, or a model without them beside
        several intact models).
    """
    table = read_table(table_file, LESION_SCHEMA)
    check_unique_rows(table, ["model", "variant", "seed"], table_file)
    outside = table[(table["accuracy"] < 0) | (table["accuracy"] > 1)]
    if len(outside):
        raise FileFormatError(f"{table_file}: accuracy must be a fraction from 0 to 1; line {outside.index[0] + 2} "
                              f"has {outside['accuracy'].iloc[0]}.")
    table["model"] = _groups(table, table_file)
    check_unique_rows(table, ["model", "variant", "seed"], table_file)
    models = list(table["model"].unique())
    variants = [FULL_VARIANT] + [variant for variant in table["variant"].unique() if variant != FULL_VARIANT]
    summary = mean_over_seeds(table, ["model", "variant"], "accuracy")
    colours = model_colours(models, colours)
    width = 0.8 / len(models)
    with paper_style():
        figure, (axis,) = new_figure(height=2.6)
        for index, model in enumerate(models):
            offset = (index - (len(models) - 1) / 2) * width
            rows = summary[summary["model"] == model].set_index("variant")
            present = [variant for variant in variants if variant in rows.index]
            positions = np.array([variants.index(variant) for variant in present]) + offset
            axis.bar(positions, rows.loc[present, "mean"], width, yerr=rows.loc[present, "sd"], color=colours[model],
                     label=model, error_kw={"elinewidth": 0.6, "capsize": 1.5})
            axis.axhline(rows.loc[FULL_VARIANT, "mean"], color=colours[model], linestyle="--", linewidth=0.7)
            seeds = table[table["model"] == model]
            axis.plot(np.array([variants.index(v) for v in seeds["variant"]]) + offset, seeds["accuracy"],
                      linestyle="none", marker="o", markersize=1.8, color="0.15")
        axis.set_xticks(np.arange(len(variants)), [variant_label(variant) for variant in variants],
                        rotation=30 if len(variants) > 4 else 0, ha="right" if len(variants) > 4 else "center")
        axis.set_ylabel(ACCURACY_LABEL)
        axis.set_ylim(0, 1.02)
        style_axes(axis)
        axis.grid(axis="x", visible=False)
        figure_legend(figure, [axis], columns=3)
    return figure


def variant_label(variant: str) -> str:
    """``full`` → ``intact``; ``lesion_alpha_omega`` or ``alpha_omega`` → ``α=ω=0``; others as named
    (after any ``lesion_``, underscores as spaces)."""
    if variant == FULL_VARIANT:
        return "intact"
    name = variant.partition("lesion_")[2] or variant
    parts = name.split("_")
    if all(part in _GREEK for part in parts):
        return "=".join(_GREEK[part] for part in parts) + "=0"
    return " ".join(parts)


def _groups(table, table_file) -> list[str]:
    """The intact model each row is compared with (see the module docstring)."""
    intact = list(table.loc[table["variant"] == FULL_VARIANT, "model"].unique())
    orphans = [model for model in table["model"].unique() if model not in intact]
    if not intact:
        raise FileFormatError(f"{table_file}: no row has variant {FULL_VARIANT!r}, the intact model the lesions are "
                              "compared with; add its rows.")
    if orphans and len(intact) > 1:
        raise FileFormatError(f"{table_file}: model {orphans[0]!r} has no rows with variant {FULL_VARIANT!r} and "
                              f"several intact models ({', '.join(intact)}) could be its reference; add its "
                              f"{FULL_VARIANT!r} rows.")
    return [model if model in intact else intact[0] for model in table["model"]]
