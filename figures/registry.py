"""The figure registry: each figure module registers its drawing function with :func:`figure`.

A figure is drawn from one kind of saved input (``needs``), found in a results
folder by :func:`chronoscore.figures.gallery.find_inputs`:

=====================  =====================================================
kind                   the drawing function is called with
=====================  =====================================================
``scored_models``      the scored models' folders (a list)
``sweeps``             one sweep folder (``sweep.json``, ``chronoscore sweep``)
``training_runs``      the training runs' folders (a list)
``matrix_scores``      one ``scores_matrix.nc`` file
``step_scores``        one ``scores_per_step.nc`` file (scores against a brain RDM)
``memory_tables``      one memory table (CSV)
``pathfinder_tables``  one Pathfinder table (CSV)
``lesion_tables``      one lesion table (CSV)
``stimulus_tables``    one ``stimulus_<name>.csv``
``assemblies``         one assembly netCDF (with its saved ceilings beside it)
=====================  =====================================================

A figure of a list is drawn once from all the inputs; a figure of one file is
drawn for each file found (``each=True``). A drawing function whose input holds
nothing it draws (a sweep without a training run's checkpoints) raises
:class:`~chronoscore.errors.NothingToDrawError`; the figure is then listed as
not drawn, with the error's message. ``chronoscore figures`` and
``chronoscore report`` draw every registered figure whose inputs are there, so a
new figure is one module in :mod:`chronoscore.figures`::

    @figure("peak_latency", needs="scored_models", caption="Time bin of peak predictivity", colours=True)
    def peak_latency(result_folders, colours=None) -> Figure:
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.figure import Figure

from chronoscore.errors import ConfigError
from chronoscore.plugins import import_submodules

__all__ = ["INPUT_KINDS", "FigureSpec", "figure", "list_figures"]

INPUT_KINDS = ("scored_models", "sweeps", "training_runs", "matrix_scores", "step_scores", "memory_tables",
               "pathfinder_tables", "lesion_tables", "stimulus_tables", "assemblies")
"""The kinds of saved input a figure can need, in the order figures are listed."""

_NOT_FIGURES = frozenset({"gallery", "registry", "report", "style", "result_files", "markdown_html", "demo_figures",
                          "score_scale", "sweep_results"})
"""Modules of :mod:`chronoscore.figures` that draw no registered figure (not imported to find figures)."""


@dataclass(frozen=True)
class FigureSpec:
    """A registered figure.

    Attributes
    ----------
    name : str
        The file name it is saved under (``<name>.png``); ``<name>_<input>`` for
        one of several figures drawn per input.
    needs : str
        One of :data:`INPUT_KINDS`.
    caption : str
    each : bool
        Drawn once per input file (True) or once from the list of all inputs.
    colours : bool
        Whether ``draw`` takes ``colours=`` (one colour per model name, shared by all figures).
    always_suffixed : bool
        Name a per-input figure after its input even when there is only one.
    order : int
        Position among the figures of the same input kind (lower first, then by name); the built-in
        figures of scored models take 0, 1 and 2, and the default of 100 lists a new figure after them.
    options : tuple of str
        Keyword arguments of ``draw`` that ``chronoscore figures`` and ``report`` may set (e.g. ``top``,
        from ``--top-models``); unset, ``draw``'s defaults hold.
    draw : callable
        ``draw(inputs[, colours=...][, option=...]) -> Figure``.
    """

    name: str
    needs: str
    caption: str
    each: bool
    colours: bool
    always_suffixed: bool
    order: int
    options: tuple[str, ...]
    draw: Callable[..., Figure] = field(repr=False)


_FIGURES: dict[str, FigureSpec] = {}


def figure(name: str, *, needs: str, caption: str, each: bool = False, colours: bool = False,
           always_suffixed: bool = False, order: int = 100, options: tuple[str, ...] = ()
           ) -> Callable[[Callable[..., Figure]], Callable[..., Figure]]:
    """Register the decorated drawing function as the figure ``name`` (see :class:`FigureSpec`).

    Raises
    ------
    ConfigError
        If ``needs`` is not an input kind or the name is taken.
    """
    if needs not in INPUT_KINDS:
        raise ConfigError(f"figure {name!r} needs {needs!r}, which is no input kind; choose one of "
                          f"{', '.join(INPUT_KINDS)}.")

    def register(draw: Callable[..., Figure]) -> Callable[..., Figure]:
        if name in _FIGURES:
            raise ConfigError(f"a figure named {name!r} is registered already; choose another name.")
        _FIGURES[name] = FigureSpec(name, needs, caption, each, colours, always_suffixed, order, tuple(options), draw)
        return draw

    return register


def list_figures() -> list[FigureSpec]:
    """Every registered figure, by input kind (as in :data:`INPUT_KINDS`), then order, then name."""
    _load_modules()
    return sorted(_FIGURES.values(), key=lambda spec: (INPUT_KINDS.index(spec.needs), spec.order, spec.name))


def _load_modules() -> None:
    """Import the figure modules of :mod:`chronoscore.figures`, which registers their figures."""
    import_submodules(__name__.rpartition(".")[0], _NOT_FIGURES)
