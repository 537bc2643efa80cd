"""Reproduced claims of the papers chronoscore is built around, at CPU scale.

Each claim (:data:`CLAIMS`) trains shipped recipes (``recipes/*.yaml``) with
:func:`chronoscore.models.training.train` (``rsm_reber``: with the release's stream
training, :mod:`~chronoscore.analyses.claims.reber_streams`), scores the models on
held-out data and writes ``DIR/<claim>.csv`` and ``DIR/<claim>.md``:

===================  ============================  =====================================================================
``hgru_pathfinder``  hGRU vs its large-kernel      ``model,path_length,accuracy,n_parameters,seed``
                     feedforward control on
                     Pathfinder, path lengths 6,
                     9 and 14
``hgru_lesions``     intact hGRU vs its lesions    ``model,variant,accuracy,seed``
                     (α = ω = 0; μ = κ = 0), path
                     length 14
``convrnn_cells``    shallow ConvRNN with RGC,     ``model,accuracy,n_parameters,seed,width``
                     vanilla RNN and LSTM cells
                     at matched parameter counts
``rsm_reber``        RSM trained as the release    ``arm,position,accuracy,ceiling,updates,readout_parameters,seed``
                     does on embedded Reber
                     streams; its untrained
                     memory, chance and first-
                     order statistics as controls
``crbp_vs_bptt``     hGRU trained with BPTT and    ``model,algorithm,train_steps,test_steps,accuracy,n_parameters,seed``
                     C-RBP (6 steps) on
                     Pathfinder (path length 14),
                     scored at 6, 12, 24, 48 steps
===================  ============================  =====================================================================

``run_claim(name, out_dir, scale="small")`` from Python, or
``chronoscore claims NAME --out DIR [--scale small] [--readme README.md]`` (or
``python -m chronoscore.analyses.claims ...``) on the command line.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "CLAIMS": "chronoscore.analyses.claims.catalog",
    "Arm": "chronoscore.analyses.claims.catalog",
    "Claim": "chronoscore.analyses.claims.catalog",
    "Scale": "chronoscore.analyses.claims.catalog",
    "ScaleName": "chronoscore.analyses.claims.catalog",
    "get_claim": "chronoscore.analyses.claims.catalog",
    "recipe_path": "chronoscore.analyses.claims.catalog",
    "run_claim": "chronoscore.analyses.claims.pipeline",
    "check_claim_markers": "chronoscore.analyses.claims.tables",
    "claim_markers": "chronoscore.analyses.claims.tables",
    "replace_claim_table": "chronoscore.analyses.claims.tables",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
