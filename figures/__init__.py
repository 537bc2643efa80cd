"""Figures of the paper, each a function that reads saved results and returns a matplotlib Figure.

One module per figure; :mod:`~chronoscore.figures.style` gives them one look,
:mod:`~chronoscore.figures.result_files` reads and checks their inputs,
:mod:`~chronoscore.figures.gallery` finds every figure a results folder allows
and :mod:`~chronoscore.figures.report` writes them into one HTML page.
"""

from chronoscore.figures.gallery import find_inputs, plan_figures
from chronoscore.figures.lesion_effects import lesion_effects
from chronoscore.figures.memory_vs_steps import memory_vs_steps
from chronoscore.figures.neural_overview import neural_overview
from chronoscore.figures.pathfinder_accuracy import pathfinder_accuracy
from chronoscore.figures.predictivity_bars import predictivity_bars
from chronoscore.figures.predictivity_timecourse import predictivity_timecourse
from chronoscore.figures.predictivity_vs_parameters import predictivity_vs_parameters
from chronoscore.figures.report import write_report
from chronoscore.figures.step_bin_heatmap import step_bin_heatmap
from chronoscore.figures.stimulus_sheet import stimulus_sheet
from chronoscore.figures.style import PALETTE, model_colours, save_figure
from chronoscore.figures.training_curves import training_curves

__all__ = [
    "PALETTE",
    "find_inputs",
    "lesion_effects",
    "memory_vs_steps",
    "model_colours",
    "neural_overview",
    "pathfinder_accuracy",
    "plan_figures",
    "predictivity_bars",
    "predictivity_timecourse",
    "predictivity_vs_parameters",
    "save_figure",
    "step_bin_heatmap",
    "stimulus_sheet",
    "training_curves",
    "write_report",
]
