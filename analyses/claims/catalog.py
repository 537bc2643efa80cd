"""The reproduced claims: for each, the paper's statement, its trained arms, sizes, seeds and CSV columns.

A claim is a list of *arms*, each one shipped recipe (``recipes/*.yaml`` beside this
module) with a few ``key=value`` overrides and the fixed CSV fields that name it
(e.g. ``model=hgru, path_length=14``). A *scale* shrinks every recipe with more
overrides (``tiny``: seconds, for tests; ``small``: the README numbers, minutes on
a 2-core CPU; the recipes themselves are the ``small`` settings, but for the claims
built on a trained hGRU, whose ``small`` scale trains on path length 6; ``rsm_reber`` also
has ``release``, the authors' full length on a GPU) and says how many
held-out images or strings to score and which seeds to train. A claim may score
each trained recurrent model at several step counts (``test_steps``). Adding a
claim is one more :class:`Claim` in :data:`CLAIMS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from chronoscore.errors import ConfigError

__all__ = ["Arm", "Claim", "CLAIMS", "ScaleName", "Scale", "Task", "get_claim", "recipe_path"]

ScaleName = Literal["tiny", "small", "release"]
Task = Literal["images", "reber"]

_RECIPES = "chronoscore.analyses.claims"


@dataclass(frozen=True)
class Arm:
    """One trained configuration of a claim.

    Attributes
    ----------
    recipe : str
        File name of a recipe in this package's ``recipes/`` folder.
    fields : mapping
        CSV columns fixed by this arm (e.g. ``{"model": "hgru", "path_length": 14}``).
    overrides : tuple of str
        ``key=value`` settings applied to the recipe before the scale's.
    """

    recipe: str
    fields: Mapping[str, object]
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    """How big a claim's runs are.

    Attributes
    ----------
    overrides : tuple of str
        ``key=value`` settings applied to every arm's recipe (none: the recipe as shipped).
    heldout_n : int
        Held-out images (``images`` claims) or Reber strings (``reber``) scored per arm.
    seeds : tuple of int
        Training seeds (``Recipe.seed``: initialisation and data order; the images stay the same).
    """

    overrides: tuple[str, ...] = ()
    heldout_n: int = 500
    seeds: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Claim:
    """A claim of a paper and how chronoscore checks it.

    Attributes
    ----------
    name : str
        Command-line name, and the stem of ``<name>.csv`` / ``<name>.md``.
    paper : str
        Short citation.
    statement : str
        What the paper reports, in one sentence.
    task : {"images", "reber"}
        ``images``: classifiers of generated images, scored by held-out accuracy;
        ``reber``: Recurrent Sparse Memories trained on streams of embedded Reber
        strings as the authors' release trains them, scored at the predictable symbol
        and over all symbols, against readouts of the untrained memory, chance and
        first-order statistics.
    columns : tuple of str
        The CSV's columns, in order.
    arms : tuple of Arm
    scales : mapping of scale name to Scale
    test_steps : tuple of int
        ``images`` claims: score every trained model at each of these step counts
        (``model(images, n_steps)``), one row each with a ``test_steps`` column; empty:
        one row at the model's own step count.
    stream_recipe : str
        ``reber`` claims: the stream-training settings (a YAML file of
        :class:`~chronoscore.analyses.claims.reber_streams.StreamSettings` fields in
        ``recipes/``), trained and scored by :mod:`~chronoscore.analyses.claims.reber_streams`;
        the scale's overrides are ``key=value`` settings of that file.
    """

    name: str
    paper: str
    statement: str
    task: Task
    columns: tuple[str, ...]
    arms: tuple[Arm, ...]
    scales: Mapping[str, Scale] = field(default_factory=dict)
    test_steps: tuple[int, ...] = ()
    stream_recipe: str = ""

    def scale(self, name: str) -> Scale:
        """The :class:`Scale` called ``name``; :class:`ConfigError` for an unknown one."""
        if name not in self.scales:
            raise ConfigError(f"claim {self.name!r} has no scale {name!r}; choose one of {', '.join(self.scales)}.")
        return self.scales[name]


def recipe_path(file_name: str) -> Path:
    """Path of a claims recipe shipped in ``recipes/``."""
    path = Path(str(resources.files(_RECIPES) / "recipes" / file_name))
    if not path.is_file():
        raise ConfigError(f"no claims recipe {file_name!r} in {path.parent}.")
    return path


_PATHFINDER_HGRU = "claim_pathfinder_hgru.yaml"
_PATHFINDER_FF = "claim_pathfinder_ff_large_kernels.yaml"
_PATHFINDER_TINY = Scale(("data.train_n=4", "steps=2", "batch_size=4"),
                         heldout_n=4, seeds=(0,))
_PATH_LENGTHS = (6, 9, 14)
_PATH_LENGTH_6 = Scale(("data.options.path_length=6",), heldout_n=300, seeds=(0, 1))
"""The ``small`` scale of the claims built on a trained hGRU (lesions, C-RBP against BPTT): path length 6,
the longest the CPU-sized hGRU (15 x 15 horizontal kernels, 2,000 steps) learns here; the intact hGRU of
``hgru_lesions`` is then ``hgru_pathfinder``'s path-length-6 run (README, "Reproduced claims")."""


def _pathfinder_arms() -> tuple[Arm, ...]:
    return tuple(Arm(recipe, {"model": model, "path_length": length}, (f"data.options.path_length={length}",))
                 for length in _PATH_LENGTHS
                 for model, recipe in (("hgru", _PATHFINDER_HGRU), ("ff_large_kernels", _PATHFINDER_FF)))


def _lesion_arms() -> tuple[Arm, ...]:
    variants = (("hgru", "full"), ("hgru_lesion_alpha_omega", "alpha_omega"), ("hgru_lesion_mu_kappa", "mu_kappa"))
    return tuple(Arm(_PATHFINDER_HGRU, {"model": model, "variant": variant}, (f"model.name={model}",))
                 for model, variant in variants)


_CELLS = "claim_cells_objects.yaml"
_CELL_WIDTHS = (("convrnn_shallow_rgc", 0.125), ("convrnn_shallow_vanilla", 0.2558), ("convrnn_shallow_lstm", 0.1308))
"""Widths (``match_width`` to the RGC, rounded) at which the three shallow ConvRNNs have 343,992, 343,655 and
337,593 parameters (32 px, 8 classes): within 1.9 % of each other."""

_CRBP = "claim_crbp_pathfinder.yaml"
_CRBP_ARMS = (("bptt", 6), ("crbp", 6))
"""(algorithm, training steps): BPTT and C-RBP at the same horizon, 6 steps, then scored beyond it."""

CLAIMS: dict[str, Claim] = {claim.name: claim for claim in (
    Claim(
        name="hgru_pathfinder",
        paper="Linsley et al. 2018, NeurIPS",
        statement="a single hGRU layer solves Pathfinder at every path length, rivalling feedforward models with "
                  "many more parameters, while feedforward controls such as large kernels degrade as paths grow",
        task="images",
        columns=("model", "path_length", "accuracy", "n_parameters", "seed"),
        arms=_pathfinder_arms(),
        scales={"tiny": _PATHFINDER_TINY, "small": Scale(heldout_n=300, seeds=(0, 1))},
    ),
    Claim(
        name="hgru_lesions",
        paper="Linsley et al. 2018, NeurIPS",
        statement="removing the hGRU's multiplicative (alpha, omega) or additive (mu, kappa) horizontal "
                  "interactions lowers its Pathfinder accuracy",
        task="images",
        columns=("model", "variant", "accuracy", "seed"),
        arms=_lesion_arms(),
        scales={"tiny": _PATHFINDER_TINY, "small": _PATH_LENGTH_6},
    ),
    Claim(
        name="convrnn_cells",
        paper="Nayebi et al. 2018, NeurIPS",
        statement="at equal parameter counts, ConvRNNs with reciprocal gated cells (gating and bypassing) "
                  "outperform those with vanilla RNN or LSTM cells on object recognition",
        task="images",
        columns=("model", "accuracy", "n_parameters", "seed", "width"),
        arms=tuple(Arm(_CELLS, {"model": model, "width": width}, (f"model.name={model}", f"model.kwargs.width={width}"))
                   for model, width in _CELL_WIDTHS),
        scales={"tiny": Scale(("data.train_n=8", "steps=2", "batch_size=4", "model.kwargs.n_steps=6"),
                              heldout_n=4, seeds=(0,)),
                "small": Scale(heldout_n=384, seeds=(0, 1, 2))},
    ),
    Claim(
        name="rsm_reber",
        paper="Rawlinson, Ahmed & Kowadlo 2019, arXiv:1905.11589",
        statement="a Recurrent Sparse Memory trained only with local, immediate losses predicts the distant "
                  "symbol of the embedded Reber grammar (the repeated branch symbol), which first-order "
                  "statistics cannot",
        task="reber",
        columns=("arm", "position", "accuracy", "ceiling", "updates", "readout_parameters", "seed"),
        arms=(),
        scales={"tiny": Scale(("groups=8", "cells=3", "k=2", "classifier_hidden=16", "n_streams=8", "updates=6",
                               "checkpoint_every=4", "readout_n=30", "eval_streams=5"), heldout_n=20, seeds=(0,)),
                "small": Scale(heldout_n=1000, seeds=(0, 1, 2)),
                "release": Scale(("updates=40000", "device=cuda"), heldout_n=1000, seeds=(0, 1, 2))},
        stream_recipe="claim_rsm_reber.yaml",
    ),
    Claim(
        name="crbp_vs_bptt",
        paper="Linsley et al. 2020, NeurIPS (Stable and expressive recurrent vision models)",
        statement="an hGRU trained with contractor recurrent back-propagation (C-RBP) runs for many more steps "
                  "than BPTT affords, in constant memory, and keeps its accuracy when run for more steps at test "
                  "time than in training, whereas a BPTT-trained hGRU degrades beyond its trained horizon",
        task="images",
        columns=("model", "algorithm", "train_steps", "test_steps", "accuracy", "n_parameters", "seed"),
        arms=tuple(Arm(_CRBP, {"model": "hgru", "algorithm": algorithm, "train_steps": steps},
                       (f"algorithm={algorithm}", f"model.kwargs.n_steps={steps}"))
                   for algorithm, steps in _CRBP_ARMS),
        scales={"tiny": _PATHFINDER_TINY, "small": _PATH_LENGTH_6},
        test_steps=(6, 12, 24, 48),
    ),
)}
"""Every claim, by name."""


def get_claim(name: str) -> Claim:
    """The claim ``name``; :class:`ConfigError` naming the known ones otherwise."""
    if name not in CLAIMS:
        raise ConfigError(f"no claim named {name!r}; choose one of {', '.join(CLAIMS)}.")
    return CLAIMS[name]
