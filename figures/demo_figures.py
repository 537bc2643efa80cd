"""The demo's figures and report, drawn from the results :func:`~chronoscore.analyses.demo.run_demo` saved.

``chronoscore demo`` scores and compares (in :mod:`chronoscore.analyses.demo`),
then calls :func:`draw_demo_figures` on the same folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from chronoscore.analyses.demo import DEMO_MODELS
from chronoscore.analyses.embedded_benchmark import embedded_benchmark_dir
from chronoscore.figures.predictivity_timecourse import predictivity_timecourse
from chronoscore.figures.report import Report, write_report
from chronoscore.figures.style import save_figure

__all__ = ["draw_demo_figures"]


def draw_demo_figures(out_dir: str | os.PathLike) -> Report:
    """Draw ``predictivity.png``/``.pdf`` and write ``report.html`` into the demo's folder.

    Parameters
    ----------
    out_dir : path-like
        The folder :func:`~chronoscore.analyses.demo.run_demo` wrote.

    Returns
    -------
    Report
        What the HTML page holds (figures drawn, figures skipped and why).
    """
    out_dir = Path(out_dir)
    figure = predictivity_timecourse([out_dir / name for name in DEMO_MODELS], labels=list(DEMO_MODELS))
    save_figure(figure, out_dir / "predictivity")
    return write_report(out_dir, include=[embedded_benchmark_dir()], title="chronoscore demo")
