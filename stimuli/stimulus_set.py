"""A stimulus set: a table of stimuli with their images, an identifier and a visual angle.

The table has one row per stimulus with a unique ``stimulus_id`` and any
metadata columns (``object_name``, ``category_name``, ...). Images are either
files (a ``filename`` column, relative to ``root``) or held in memory as one
uint8 array (N, H, W, 3), in table order. ``degrees`` is the visual angle the
images span, as Brain-Score's ``visual_degrees``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chronoscore.errors import DataFormatError

__all__ = ["StimulusSet"]


@dataclass(frozen=True)
class StimulusSet:
    """Stimuli with metadata and images.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per stimulus: ``stimulus_id`` (unique str) plus metadata; a
        ``filename`` column when the images are files.
    identifier : str
        Name of the set (e.g. ``"chronoscore.objects.test"``).
    degrees : float
        Visual angle the images span (Brain-Score default 8).
    root : pathlib.Path, optional
        Folder the ``filename`` entries are relative to.
    pixels : (N, H, W, 3) uint8 array, optional
        In-memory images in table order (instead of files).
    """

    table: pd.DataFrame
    identifier: str
    degrees: float = 8.0
    root: Path | None = None
    pixels: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if "stimulus_id" not in self.table.columns:
            raise DataFormatError(f"stimulus set {self.identifier!r} has no stimulus_id column.")
        ids = self.table["stimulus_id"].astype(str)
        if ids.duplicated().any():
            repeated = ids[ids.duplicated()].unique()[:5].tolist()
            raise DataFormatError(f"stimulus set {self.identifier!r} repeats stimulus ids, e.g. {repeated}.")
        if self.pixels is None and "filename" not in self.table.columns:
            raise DataFormatError(
                f"stimulus set {self.identifier!r} has neither in-memory pixels nor a filename column.")
        if self.pixels is not None:
            if self.pixels.dtype != np.uint8 or self.pixels.ndim != 4 or self.pixels.shape[-1] != 3:
                raise DataFormatError("in-memory pixels must be a uint8 array (N, H, W, 3).")
            if len(self.pixels) != len(self.table):
                raise DataFormatError(f"{len(self.pixels)} images for {len(self.table)} table rows.")
        if not self.degrees > 0:
            raise DataFormatError(f"degrees must be positive, got {self.degrees}.")

    def __len__(self) -> int:
        return len(self.table)

    @property
    def stimulus_ids(self) -> np.ndarray:
        """(N,) str array of stimulus ids, in table order."""
        return self.table["stimulus_id"].astype(str).to_numpy()

    def image_path(self, index: int) -> Path:
        """Path of image ``index`` (only for file-backed sets)."""
        if "filename" not in self.table.columns:
            raise DataFormatError(f"stimulus set {self.identifier!r} holds its images in memory, not in files.")
        name = Path(str(self.table["filename"].iloc[index]))
        return name if self.root is None or name.is_absolute() else self.root / name

    def content_hash(self) -> str:
        """SHA-256 (first 16 hex characters) of the metadata, the angle and the decoded images.

        It is the same for a set held in memory and for the same set written to
        files (the ``filename`` column and the file encoding do not enter it); see
        :class:`~chronoscore.stimuli.content_hash.ContentHasher`.
        """
        from chronoscore.stimuli.content_hash import ContentHasher
        from chronoscore.stimuli.images import stimulus_image

        hasher = ContentHasher(self)
        for index in range(len(self)):
            hasher.add(index, stimulus_image(self, index))
        return hasher.hexdigest()
