"""Stimulus sets (Brain-Score compatible), image preprocessing and procedural generators.

``generate(name, n, size, seed)`` runs a registered generator (``objects``,
``pathfinder``, ``reber``, ``digit-sequences``, ``bouncing-balls``);
``StimulusDataset`` places images on screen by visual degrees, resizes and
normalises them for a model.
"""

from chronoscore._lazy import lazy_exports

_EXPORTS = {
    "from_brainscore_stimulus_set": "chronoscore.stimuli.brainscore_format",
    "read_image_folder": "chronoscore.stimuli.brainscore_format",
    "read_stimulus_set": "chronoscore.stimuli.brainscore_format",
    "to_brainscore_stimulus_set": "chronoscore.stimuli.brainscore_format",
    "write_stimulus_set": "chronoscore.stimuli.brainscore_format",
    "write_contact_sheet": "chronoscore.stimuli.contact_sheet",
    "generate": "chronoscore.stimuli.generators",
    "generator_version": "chronoscore.stimuli.generators",
    "list_generators": "chronoscore.stimuli.generators",
    "read_image": "chronoscore.stimuli.images",
    "StimulusDataset": "chronoscore.stimuli.preprocessing",
    "load_batch": "chronoscore.stimuli.preprocessing",
    "place_on_screen": "chronoscore.stimuli.preprocessing",
    "StimulusSet": "chronoscore.stimuli.stimulus_set",
}
"""Public name -> the module defining it (imported when the name is first used)."""

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
