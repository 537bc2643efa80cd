"""Parameter counts of the ConvRNN release, from its configuration transcribed here by hand.

Sources (github.com/neuroailab/convrnns): the ``convrnns/models/*.json`` graphs (layer
channels, kernels, pooling, the cells' ``memory`` settings), ``configs/median_rgcell_cfg.py``
and ``models/model_func.py`` (the intermediate RGC's median cell and its feedback) and
``configs/lstm_shallow.npz`` (the shallow LSTM's per-layer settings). The formulas count
the TensorFlow variables each op of the release creates; nothing here reads our models.
"""

import math

SHALLOW = {"channels": (64, 128, 256, 256, 512), "kernels": (7, 3, 3, 3, 3), "pools": (1, 2, 3, 4, 5), "cells": (3, 4, 5)}
RGC_INTERMEDIATE = {"channels": (64, 128, 128, 128, 128, 256, 256, 256, 512, 512), "kernels": (7,) + (3,) * 9,
                    "pools": (1, 4, 6, 7, 10), "cells": (4, 5, 6, 7, 8, 9, 10)}
FEEDBACK = ((8, 5), (9, 6), (10, 7), (7, 6), (10, 9))
MEDIAN = {"cell_depth": 64, "tau": 7, "gate": 7, "ff": 2, "in_out": 3}
LSTM_SHALLOW = {3: {"out": 128, "k": 2, "peepholes": False}, 4: {"out": 256, "k": 3, "peepholes": True},
                5: {"out": 256, "k": 4, "peepholes": False}}  # all with layer norm
VANILLA_SHALLOW_OUT = {3: 128, 4: 256, 5: 256}


def conv(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def separable(k, c_in, c_out):
    return k * k * c_in + c_in * c_out + c_out


def _scaled(channels, width):
    return max(1, round(channels * width))


def shallow(cell, width=1.0, n_classes=1000, input_size=224):
    """Parameters of ``<cell>_shallow`` (cell in rgc, lstm, simplernn, gru, ugrnn, intersectionrnn, timedecay)."""
    total, c_in, size = 0, 3, input_size
    for layer, (base, kernel) in enumerate(zip(SHALLOW["channels"], SHALLOW["kernels"], strict=True), start=1):
        c = _scaled(base, width)
        total += conv(kernel, c_in, c)
        size = math.ceil(size / (2 if layer == 1 else 1))
        out = c
        if layer in SHALLOW["cells"]:
            if cell == "rgc":  # cells.py: no bias in any of its convolutions; residual_to_out_gate reads the input
                total += conv(3, c, c, False) * 5 + conv(3, c_in, c, False)
            elif cell == "lstm":
                setting = LSTM_SHALLOW[layer]
                out = _scaled(setting["out"], width)
                total += conv(setting["k"], c + out, 4 * out) + 10 * out
                total += 3 * size * size * out if setting["peepholes"] else 0
            elif cell == "simplernn":
                out = _scaled(VANILLA_SHALLOW_OUT[layer], width)
                total += conv(3, c, out) + conv(3, out, out) + 2 * out
            elif cell == "gru":
                total += conv(3, 2 * c, 3 * c)
            elif cell == "ugrnn":
                total += conv(3, 2 * c, 2 * c)
            elif cell == "intersectionrnn":
                total += conv(3, 2 * c, 4 * c)
            elif cell == "timedecay":
                total += 1
        size = math.ceil(size / 2)
        c_in = out
    readout = min(2, size)
    return total + conv(readout, c_in, n_classes) if readout > 1 else total + c_in * n_classes + n_classes


def rgc_intermediate(width=1.0, n_classes=1000):
    """Parameters of ``rgc_intermediate``: plain layers, median cells in 4–10, five feedback edges."""
    channels = [_scaled(c, width) for c in RGC_INTERMEDIATE["channels"]]
    memory = _scaled(MEDIAN["cell_depth"], width)
    total, c_in = 0, 3
    for layer, (c, kernel) in enumerate(zip(channels, RGC_INTERMEDIATE["kernels"], strict=True), start=1):
        total += conv(kernel, c_in, c)
        if layer in RGC_INTERMEDIATE["cells"]:
            total += conv(MEDIAN["ff"], c, memory)                  # input_to_cell
            total += separable(MEDIAN["tau"], memory, memory)       # cell tau
            total += separable(MEDIAN["gate"], c, memory)           # out_to_cell gate
            total += conv(MEDIAN["in_out"], c, c)                   # input_to_out
            total += c_in * c if c_in != c else 0                   # residual_add's 1x1 projection, no bias
            fed_back = sum(channels[source - 1] for source, target in FEEDBACK if target == layer)
            total += conv(1, fed_back, c) if fed_back else 0        # feedback_to_out, 1x1 with bias
            total += separable(MEDIAN["tau"], c, c)                 # out tau
            total += separable(MEDIAN["gate"], memory, c)           # out gate
        c_in = c
    return total + c_in * n_classes + n_classes


RELEASE_COUNTS = {  # computed once from the release's own files (json, cfg, npz) by a separate script
    "convrnn_intermediate_rgc": 15_445_800,
    "convrnn_shallow_rgc": 23_956_840,
    "convrnn_shallow_lstm": 21_126_248,
    "convrnn_shallow_vanilla": 6_272_872,
    "convrnn_shallow_gru": 25_434_472,
    "convrnn_shallow_ugrnn": 18_355_560,
    "convrnn_shallow_intersection": 32_513_384,
    "convrnn_shallow_time_decay": 4_197_739,
    "convrnn_intermediate_gru": 67_725_032,
    "convrnn_intermediate_lstm": 84_832_232,
    "convrnn_intermediate_vanilla": 33_512_936,
    "convrnn_intermediate_ugrnn": 50_617_832,
    "convrnn_intermediate_intersection": 84_832_232,
    "convrnn_intermediate_time_decay": 16_403_439,
}

SHALLOW_CELL_NAMES = {"rgc": "rgc", "lstm": "lstm", "vanilla": "simplernn", "gru": "gru", "ugrnn": "ugrnn",
                      "intersection": "intersectionrnn", "time_decay": "timedecay"}
