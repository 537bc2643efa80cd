"""Readouts of the hGRU family: image-level for Pathfinder classification, per-pixel for segmentation."""

from __future__ import annotations

import torch
from torch import nn

from chronoscore.errors import ConfigError

__all__ = ["PathfinderReadout", "SegmentationReadout"]

_NORM_EPS = 1e-3


class PathfinderReadout(nn.Module):
    """Batch norm → 1×1 conv to ``n_maps`` maps → global max pool → batch norm → linear.

    The readout of Linsley et al. (2018) and of the authors' release: the 1×1
    convolution has no bias (the batch norm after the max pool would remove it).
    ``pooled_norm=False`` drops that second batch norm and gives the convolution a
    bias instead: at small Pathfinder budgets (48 px, a few thousand images) the
    batch norm over the two pooled maps keeps networks that otherwise learn the
    task at chance (see the README's hGRU claims).

    Parameters
    ----------
    channels : int
        Channels C of the input maps (B, C, H, W).
    n_classes : int
        Outputs of the linear layer.
    n_maps : int
        Maps of the 1×1 convolution (2 in the paper).
    pooled_norm : bool
        Batch-normalise the pooled maps (True, as in the paper) or not (the 1×1
        convolution then has a bias).

    Notes
    -----
    Parameters: 2C + C · n_maps + 2 n_maps + n_maps · n_classes + n_classes with the
    pooled batch norm; 2C + C · n_maps + n_maps + n_maps · n_classes + n_classes without.
    """

    def __init__(self, channels: int, n_classes: int, n_maps: int = 2, pooled_norm: bool = True) -> None:
        super().__init__()
        if not isinstance(pooled_norm, bool):
            raise ConfigError(f"pooled_norm must be true or false, got {pooled_norm!r}.")
        self.norm = nn.BatchNorm2d(channels, eps=_NORM_EPS)
        self.project = nn.Conv2d(channels, n_maps, 1, bias=not pooled_norm)
        self.pooled_norm = nn.BatchNorm1d(n_maps, eps=_NORM_EPS) if pooled_norm else nn.Identity()
        self.classifier = nn.Linear(n_maps, n_classes)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """Class scores (B, n_classes) from maps (B, C, H, W)."""
        pooled = self.project(self.norm(maps)).amax(dim=(2, 3))
        return self.classifier(self.pooled_norm(pooled))


class SegmentationReadout(nn.Module):
    """Batch norm → 1×1 conv: per-pixel class scores, the readout of C-RBP's Pathfinder segmentation.

    Parameters
    ----------
    channels : int
        Channels C of the input maps (B, C, H, W).
    n_classes : int
        Classes per pixel (2: on the path or not).
    running_statistics : bool
        Batch norm with running statistics in evaluation mode (False: the batch's
        statistics always, as in C-RBP's release).

    Notes
    -----
    Parameters: 2C + C · n_classes + n_classes.
    """

    def __init__(self, channels: int, n_classes: int = 2, running_statistics: bool = True) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, eps=_NORM_EPS, track_running_stats=running_statistics)
        self.project = nn.Conv2d(channels, n_classes, 1)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """Class scores (B, n_classes, H, W) from maps (B, C, H, W)."""
        return self.project(self.norm(maps))
