"""From stimulus images to model input: placing on screen by visual angle, resizing, normalising.

Each image goes through the steps Brain-Score applies to a stimulus set spanning
``degrees`` shown to a model whose input spans ``model_degrees``
(``brainscore_vision.benchmark_helpers.screen.place_on_screen`` followed by the
``imagenet`` preprocessing of ``brainscore_vision.model_helpers.activations.pytorch``):

1. **on screen**: with ``ratio = model_degrees / degrees``, each side of the image
   becomes ``round(ratio * side)`` pixels (numpy rounding, half to even). When
   ``ratio > 1`` the image spans fewer degrees than the model sees and is pasted,
   unscaled, at the centre of a mid-gray canvas (gray level 128, Pillow's
   ``'gray'``) of that size; when ``ratio < 1`` the central part of that size is
   cropped out. Offsets are ``round((larger - smaller) / 2)``.
2. **resize** to ``image_size`` x ``image_size`` pixels with Pillow's bilinear
   filter (what ``torchvision.transforms.Resize`` does to a Pillow image), so a
   non-square image is squeezed, as in Brain-Score.
3. **normalise**: scale to 0..1 and subtract the ImageNet mean and divide by its
   standard deviation, per channel, in float32.

Where this differs from Brain-Score: images are placed on screen in memory, while
Brain-Score writes the placed image to disk under the original file's name, so a
JPEG stimulus is compressed a second time there (PNG stimuli give identical
tensors); transparent pixels show the screen gray here (see
:mod:`chronoscore.stimuli.images`) where Brain-Score drops the alpha channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from chronoscore.errors import ConfigError
from chronoscore.stimuli.images import SCREEN_GRAY, check_images, stimulus_image
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "place_on_screen",
    "preprocess_image",
    "StimulusDataset",
    "load_batch",
]

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)
_MEAN = np.asarray(IMAGENET_MEAN, dtype=np.float32)
_STD = np.asarray(IMAGENET_STD, dtype=np.float32)


def place_on_screen(image: np.ndarray, degrees: float, model_degrees: float = 8.0) -> np.ndarray:
    """Pad with screen gray or crop centrally so that the image spans ``model_degrees``.

    Parameters
    ----------
    image : (H, W, 3) uint8 array
        A stimulus spanning ``degrees`` of visual angle (its wider side, as in Brain-Score).
    degrees, model_degrees : float
        Visual angle of the stimulus and of the model's input.

    Returns
    -------
    (round(r * H), round(r * W), 3) uint8 array, with ``r = model_degrees / degrees``;
    ``image`` itself when the two angles are equal.
    """
    _check_degrees(degrees, model_degrees)
    if degrees == model_degrees:
        return image
    ratio = model_degrees / degrees
    size = np.array(image.shape[:2])
    target = np.round(ratio * size).astype(int)
    if (target < 1).any():
        raise ConfigError(
            f"an image of {size[1]}x{size[0]} pixels spanning {degrees} degrees keeps less than one pixel in "
            f"{model_degrees} degrees; check the stimulus set's degrees or the model's model_degrees."
        )
    if ratio > 1:
        top, left = np.round((target - size) / 2).astype(int)
        canvas = np.full((*target, 3), SCREEN_GRAY, dtype=np.uint8)
        canvas[top:top + size[0], left:left + size[1]] = image
        return canvas
    top, left = np.round((size - target) / 2).astype(int)
    return image[top:top + target[0], left:left + target[1]]


def preprocess_image(image: np.ndarray, degrees: float, image_size: int, model_degrees: float = 8.0) -> torch.Tensor:
    """Place one image on screen, resize it and normalise it (see the module docstring).

    Parameters
    ----------
    image : (H, W, 3) uint8 array
    degrees : float
        Visual angle the image spans.
    image_size : int
        Side of the model's square input, in pixels.
    model_degrees : float
        Visual angle the model's input spans.

    Returns
    -------
    torch.Tensor, shape (3, image_size, image_size), float32
    """
    _check_image_size(image_size)
    placed = Image.fromarray(np.ascontiguousarray(place_on_screen(image, degrees, model_degrees)))
    resized = placed.resize((image_size, image_size), Image.Resampling.BILINEAR)
    # numpy on one thread: float32 operations as torch's (same results) without waking torch's thread pool per image
    channels_first = np.ascontiguousarray(np.asarray(resized).transpose(2, 0, 1), dtype=np.float32)
    channels_first /= np.float32(255)
    channels_first -= _MEAN[:, None, None]
    channels_first /= _STD[:, None, None]
    return torch.from_numpy(channels_first)


class StimulusDataset(Dataset):
    """A stimulus set as model input, for the trainer and the activation extractor alike.

    Item ``i`` is ``(image, i)``: image ``i`` of the set preprocessed by
    :func:`preprocess_image`, a float32 tensor (3, image_size, image_size), and its
    index in the set's table. Deterministic: no augmentation.

    Parameters
    ----------
    stimulus_set : StimulusSet
    image_size : int
        Side of the model's square input, in pixels.
    model_degrees : float
        Visual angle the model's input spans (Brain-Score's default 8).

    Raises
    ------
    ConfigError
        If ``image_size`` or ``model_degrees`` is not positive.
    FileFormatError
        If image files are missing or fail Pillow's verification, listing all of
        them (:func:`~chronoscore.stimuli.images.check_images` with ``"verify"``).
    """

    def __init__(self, stimulus_set: StimulusSet, image_size: int, model_degrees: float = 8.0) -> None:
        _check_image_size(image_size)
        _check_degrees(stimulus_set.degrees, model_degrees)
        check_images(stimulus_set, level="verify")
        self.stimulus_set = stimulus_set
        self.image_size = image_size
        self.model_degrees = model_degrees

    def __len__(self) -> int:
        return len(self.stimulus_set)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.load_image(index)
        return preprocess_image(image, self.stimulus_set.degrees, self.image_size, self.model_degrees), index

    def load_image(self, index: int) -> np.ndarray:
        """Image ``index`` as stored, (H, W, 3) uint8, before preprocessing."""
        return stimulus_image(self.stimulus_set, index)


def load_batch(stimulus_set: StimulusSet, indices: Sequence[int] | np.ndarray, image_size: int,
               model_degrees: float = 8.0) -> torch.Tensor:
    """Preprocess the images ``indices`` of a stimulus set into one batch.

    Parameters
    ----------
    stimulus_set : StimulusSet
    indices : sequence of int, length B
        Positions in the set's table.
    image_size : int
        Side of the model's square input, in pixels.
    model_degrees : float
        Visual angle the model's input spans.

    Returns
    -------
    torch.Tensor, shape (B, 3, image_size, image_size), float32
    """
    _check_image_size(image_size)
    indices = [int(index) for index in indices]
    if not indices:
        raise ConfigError("load_batch got no indices; give at least one stimulus index.")
    outside = [index for index in indices if not 0 <= index < len(stimulus_set)]
    if outside:
        raise ConfigError(
            f"indices {outside[:5]} are outside stimulus set {stimulus_set.identifier!r} of "
            f"{len(stimulus_set)} stimuli; use 0..{len(stimulus_set) - 1}."
        )
    images = [stimulus_image(stimulus_set, index) for index in indices]
    return torch.stack([preprocess_image(image, stimulus_set.degrees, image_size, model_degrees) for image in images])


def _check_image_size(image_size: int) -> None:
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 1:
        raise ConfigError(f"image_size must be a positive number of pixels, got {image_size!r}.")


def _check_degrees(degrees: float, model_degrees: float) -> None:
    for name, angle in (("model_degrees", model_degrees), ("the stimulus set's degrees", degrees)):
        if not _is_positive_number(angle):
            raise ConfigError(f"{name} must be a positive, finite visual angle, got {angle!r}.")


def _is_positive_number(value: object) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and bool(np.isfinite(value)) and value > 0)
