"""Procedural stimulus generators, registered by name (``objects``, ``pathfinder``, ...)."""

from chronoscore.stimuli.generators.registry import generate, generator_version, list_generators, register_generator

__all__ = ["generate", "generator_version", "list_generators", "register_generator"]
