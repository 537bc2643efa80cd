"""Stimulus sets (Brain-Score compatible), image preprocessing and procedural generators.

``generate(name, n, size, seed)`` runs a registered generator (``objects``,
``pathfinder``, ``reber``, ``digit-sequences``, ``bouncing-balls``);
``StimulusDataset`` places images on screen by visual degrees, resizes and
normalises them for a model.
"""

from chronoscore.stimuli.brainscore_format import (
    from_brainscore_stimulus_set,
    read_image_folder,
    read_stimulus_set,
    to_brainscore_stimulus_set,
    write_stimulus_set,
)
from chronoscore.stimuli.contact_sheet import write_contact_sheet
from chronoscore.stimuli.generators import generate, generator_version, list_generators
from chronoscore.stimuli.images import read_image
from chronoscore.stimuli.preprocessing import StimulusDataset, load_batch, place_on_screen
from chronoscore.stimuli.stimulus_set import StimulusSet

__all__ = [
    "StimulusDataset",
    "StimulusSet",
    "from_brainscore_stimulus_set",
    "generate",
    "generator_version",
    "list_generators",
    "load_batch",
    "place_on_screen",
    "read_image",
    "read_image_folder",
    "read_stimulus_set",
    "to_brainscore_stimulus_set",
    "write_contact_sheet",
    "write_stimulus_set",
]
