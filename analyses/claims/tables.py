"""A claim's results as CSV, as a Markdown table, and that table inside a README between markers.

The README holds each claim's table between ``<!-- claim:NAME -->`` and
``<!-- /claim:NAME -->``; :func:`replace_claim_table` rewrites only what lies
between them.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chronoscore.errors import ConfigError, DataFormatError

__all__ = ["check_claim_markers", "check_columns", "claim_markers", "claim_table", "replace_claim_table"]


def check_columns(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    """``rows`` as a frame with exactly ``columns``, in order.

    Raises
    ------
    DataFormatError
        If a row lacks one of the columns (extra keys are dropped).
    """
    for row in rows:
        missing = [column for column in columns if column not in row]
        if missing:
            raise DataFormatError(f"a result row lacks the column(s) {missing}: {row}.")
    return pd.DataFrame([{column: row[column] for column in columns} for row in rows], columns=list(columns))


def claim_table(results: pd.DataFrame, training_seconds: Sequence[float | None], notes: str = "") -> str:
    """Markdown table of a claim's results: one line per configuration, accuracy averaged over seeds.

    Parameters
    ----------
    results : DataFrame
        The CSV rows (columns ``accuracy`` and ``seed`` among them).
    training_seconds : sequence of float or None
        Training time of each row (None for rows that were not trained).
    notes : str
        Text put under the table (sizes, seeds, times).

    Returns
    -------
    str
        Configuration columns (all but ``accuracy`` and ``seed``, in order of first
        appearance), mean accuracy with the standard deviation over seeds when there
        are several, the number of seeds and the mean training time.
    """
    keys = [column for column in results.columns if column not in ("accuracy", "seed")]
    frame = results.assign(_seconds=[np.nan if value is None else value for value in training_seconds])
    lines = ["| " + " | ".join([*keys, "accuracy", "seeds", "training (s)"]) + " |",
             "| " + " | ".join(["---"] * len(keys) + ["---:"] * 3) + " |"]
    for values, group in frame.groupby(keys, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        accuracy = group["accuracy"].to_numpy(dtype=float)
        spread = f" ± {accuracy.std(ddof=1):.3f}" if len(accuracy) > 1 else ""
        seconds = group["_seconds"].to_numpy(dtype=float)
        time_text = "—" if np.isnan(seconds).all() else f"{np.nanmean(seconds):.0f}"
        cells = [*(_cell(value) for value in values), f"{accuracy.mean():.3f}{spread}", str(len(accuracy)), time_text]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + ("\n\n" + notes if notes else "") + "\n"


def claim_markers(name: str) -> tuple[str, str]:
    """The README markers around claim ``name``'s table."""
    return f"<!-- claim:{name} -->", f"<!-- /claim:{name} -->"


def check_claim_markers(readme: str | os.PathLike, name: str) -> str:
    """The text of ``readme``, after checking it holds claim ``name``'s markers once each, in order.

    Raises
    ------
    ConfigError
        If the file is missing, or lacks either marker, or has them more than once or in the wrong order.
    """
    path = Path(readme)
    if not path.is_file():
        raise ConfigError(f"no README file {path}; give the file whose claim tables should be updated.")
    text = path.read_text()
    start, end = claim_markers(name)
    counts = (text.count(start), text.count(end))
    if counts != (1, 1) or text.index(start) > text.index(end):
        raise ConfigError(f"{path} must hold the markers {start} and {end} once each, in that order (found them "
                          f"{counts[0]} and {counts[1]} times); add them where the {name} table belongs.")
    return text


def replace_claim_table(readme: str | os.PathLike, name: str, table: str) -> None:
    """Put ``table`` between the markers of claim ``name`` in the file ``readme``, keeping all else.

    Raises
    ------
    ConfigError
        As :func:`check_claim_markers`.
    """
    text = check_claim_markers(readme, name)
    start, end = claim_markers(name)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    Path(readme).write_text(pattern.sub(lambda _: f"{start}\n{table.strip()}\n{end}", text, count=1))


def _cell(value: object) -> str:
    """Integers with thousands separators, other numbers in short form, anything else as text."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Number):
        return str(value)
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
