"""Figures of the paper, each a function that reads saved results and returns a matplotlib Figure.

One module per figure; :mod:`~chronoscore.figures.style` gives them one look,
:mod:`~chronoscore.figures.result_files` reads and checks their inputs,
:mod:`~chronoscore.figures.gallery` finds every figure a results folder allows
and :mod:`~chronoscore.figures.report` writes them into one HTML page.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "find_inputs": "chronoscore.figures.gallery",
    "plan_figures": "chronoscore.figures.gallery",
    "lesion_effects": "chronoscore.figures.lesion_effects",
    "memory_vs_steps": "chronoscore.figures.memory_vs_steps",
    "neural_overview": "chronoscore.figures.neural_overview",
    "pathfinder_accuracy": "chronoscore.figures.pathfinder_accuracy",
    "predictivity_bars": "chronoscore.figures.predictivity_bars",
    "predictivity_over_checkpoints": "chronoscore.figures.predictivity_over_checkpoints",
    "predictivity_timecourse": "chronoscore.figures.predictivity_timecourse",
    "predictivity_vs_parameters": "chronoscore.figures.predictivity_vs_parameters",
    "write_report": "chronoscore.figures.report",
    "step_bin_heatmap": "chronoscore.figures.step_bin_heatmap",
    "stimulus_sheet": "chronoscore.figures.stimulus_sheet",
    "PALETTE": "chronoscore.figures.style",
    "model_colours": "chronoscore.figures.style",
    "save_figure": "chronoscore.figures.style",
    "top_models_timecourse": "chronoscore.figures.top_models_timecourse",
    "training_curves": "chronoscore.figures.training_curves",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
