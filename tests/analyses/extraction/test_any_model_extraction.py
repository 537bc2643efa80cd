"""Extraction with every speed trick on equals the plain network on outside models; wrong rewrites are caught.

The reference is always the plain network: eval mode, standard memory format,
nothing folded or fused, run through ``forward_timesteps`` by hand.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torchvision
from torch import fx, nn

from chronoscore.analyses.extraction import _convolution_fusion as convolution_fusion
from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction._activity_batches import evaluation_mode
from chronoscore.analyses.extraction._convolution_fusion import FusedConv2d, fusion_available
from chronoscore.analyses.extraction._guarded_tracing import ForwardMutatesState, guarded_trace
from chronoscore.analyses.extraction._verified_rewrites import RewriteFallbackWarning, fastest_rewrites, rewritten
from chronoscore.models import wrap_model
from tests.analyses.extraction.test_extract_support import by_hand, one_cpu_thread, stimulus_set  # noqa: F401
from tests.analyses.third_party_models import (
    CORnetRTLike,
    CORnetSLike,
    StepBranch,
    StepCounter,
    randomised_batch_norms,
)

TOLERANCE = 1e-5
CPU = torch.device("cpu")


def assert_extraction_equals_plain(model: nn.Module, image_size: int, *, n: int = 3, fallback_allowed=False):
    """extract() with the tricks equals the plain forward pass, area by area and step by step."""
    stimuli = stimulus_set(n=n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        activations = extract(model, stimuli, image_size=image_size, cache=False, progress=False, batch_size=2)
    fallbacks = [str(w.message) for w in caught if issubclass(w.category, RewriteFallbackWarning)]
    if not fallback_allowed:
        assert not fallbacks, fallbacks
    expected = by_hand(model, stimuli, image_size=image_size)
    for area, values in expected.items():
        got = activations.sel(neuroid=activations["layer"] == area).values
        steps = values.shape[2]
        assert (activations.sel(neuroid=activations["layer"] == area)["layer_steps"].values == steps).all()
        assert np.isnan(got[..., steps:]).all()
        scale = np.abs(values).max()
        np.testing.assert_allclose(got[..., :steps], values, rtol=0, atol=TOLERANCE * scale, err_msg=area)
    return activations, fallbacks


THIRD_PARTY = {
    "cornet_s": (lambda: CORnetSLike(), {"V2": "V2.output", "V4": "V4.output", "IT": "IT.output"}, 4),
    "cornet_rt": (lambda: CORnetRTLike(), {"V1": "V1.output", "V4": "V4.output", "IT": "IT.output"}, 5),
    "step_branch": (lambda: StepBranch(), {"stem": "stem", "block": "block"}, 3),
    "step_counter": (lambda: StepCounter(), {"block": "block", "conv": "block.conv"}, 3),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(THIRD_PARTY))
def test_outside_recurrent_models_extract_exactly_with_every_trick(name, seed):
    build, areas, steps = THIRD_PARTY[name]
    torch.manual_seed(seed)
    model = wrap_model(randomised_batch_norms(build(), seed), areas, n_steps=steps)
    assert_extraction_equals_plain(model, image_size=32)


@pytest.mark.skipif(not fusion_available(), reason="this PyTorch build has no oneDNN")
def test_the_rewrites_themselves_compute_the_plain_cornet_s():
    """Not only caught by the check: the rewritten CORnet-S-like network is right (no stride frozen by a trace)."""
    torch.manual_seed(0)
    model = wrap_model(randomised_batch_norms(CORnetSLike(), 0), THIRD_PARTY["cornet_s"][1], n_steps=4)
    images = torch.randn(2, 3, 32, 32)
    with evaluation_mode(model, CPU), torch.no_grad():
        plain = model.forward_timesteps(images)
        rewrites = fastest_rewrites(model, CPU)
        with rewritten(model, rewrites):
            got = model.forward_timesteps(images.contiguous(memory_format=torch.channels_last))
    for area, values in plain.items():
        torch.testing.assert_close(got[area], values, rtol=0, atol=TOLERANCE * float(values.abs().max()))


def test_a_forward_that_sets_an_attribute_is_not_traced_and_the_module_is_left_as_it_was():
    block = CORnetSLike().V4
    block.conv2.stride = (3, 3)                      # whatever it holds must survive the attempt
    with pytest.raises(ForwardMutatesState, match="conv2.stride"):
        guarded_trace(block, lambda module: fx.Tracer().trace(module))
    assert block.conv2.stride == (3, 3)
    counter = StepCounter().block
    with pytest.raises(ForwardMutatesState, match="calls"):
        guarded_trace(counter, lambda module: fx.Tracer().trace(module))
    assert counter.calls == 0
    plain = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    assert isinstance(guarded_trace(plain, lambda module: fx.Tracer().trace(module)), fx.Graph)


@pytest.mark.skipif(not fusion_available(), reason="this PyTorch build has no oneDNN")
def test_a_fusion_that_computes_something_else_is_withdrawn_with_a_warning(monkeypatch):
    original = FusedConv2d.forward
    monkeypatch.setattr(FusedConv2d, "forward", lambda self, *args: original(self, *args) + 1e-3)
    torch.manual_seed(0)
    model = wrap_model(torchvision.models.resnet18(weights=None), {"V4": "layer3", "IT": "layer4"})
    _, fallbacks = assert_extraction_equals_plain(model, image_size=64, fallback_allowed=True)
    assert len(fallbacks) == 1
    assert "fusion around the areas" in fallbacks[0] and "fusion in area 'V4'" in fallbacks[0]
    assert "differs by" in fallbacks[0]


@pytest.mark.skipif(not fusion_available(), reason="this PyTorch build has no oneDNN")
def test_a_fusion_that_raises_is_withdrawn_with_a_warning(monkeypatch):
    def broken(self, x, other=None):
        raise RuntimeError("oneDNN refused")
    monkeypatch.setattr(convolution_fusion.FusedConv2d, "forward", broken)
    torch.manual_seed(0)
    model = wrap_model(torchvision.models.resnet18(weights=None), {"V4": "layer3", "IT": "layer4"})
    _, fallbacks = assert_extraction_equals_plain(model, image_size=64, fallback_allowed=True)
    assert len(fallbacks) == 1 and "oneDNN refused" in fallbacks[0] and "fusion in every area" in fallbacks[0]


class NoisyBlock(nn.Module):
    """Adds fresh noise on every call, whatever the mode: no two passes agree."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.rand_like(x)


def test_a_model_that_disagrees_with_itself_runs_plain_with_a_warning():
    model = wrap_model(nn.Sequential(nn.Conv2d(3, 4, 3), NoisyBlock()), {"noisy": "1"})
    with pytest.warns(RewriteFallbackWarning, match="the plain network itself"):
        extract(model, stimulus_set(n=2), image_size=16, cache=False, progress=False)


def called_once_containers(network: nn.Module, image_size: int) -> list[str]:
    """Paths (depth 1 or 2) of submodules with children that run exactly once per pass and return one tensor."""
    candidates = {path: module for path, module in network.named_modules()
                  if path and path.count(".") <= 1 and any(True for _ in module.children())}
    calls: dict[str, list] = {path: [] for path in candidates}
    handles = [module.register_forward_hook(lambda m, i, o, path=path: calls[path].append(o))
               for path, module in candidates.items()]
    with torch.no_grad():
        network.eval()(torch.zeros(2, 3, image_size, image_size))
    for handle in handles:
        handle.remove()
    return [path for path, outputs in calls.items()
            if len(outputs) == 1 and isinstance(outputs[0], torch.Tensor) and outputs[0].shape[0] == 2]


def spread(paths: list[str], k: int = 3) -> list[str]:
    """``k`` paths spread evenly from the first to the last."""
    if len(paths) <= k:
        return paths
    return [paths[round(index * (len(paths) - 1) / (k - 1))] for index in range(k)]


DISTINCT_TORCHVISION = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
    "inception_v3", "mnasnet0_5", "mobilenet_v2", "mobilenet_v3_small", "regnet_x_400mf", "regnet_y_400mf",
    "resnet18", "resnet50", "resnext50_32x4d", "shufflenet_v2_x0_5", "squeezenet1_0", "squeezenet1_1",
    "swin_t", "swin_v2_t", "vgg11", "vgg11_bn", "vit_b_32", "wide_resnet50_2",
]
ALL_TORCHVISION = os.environ.get("CHRONOSCORE_ALL_TORCHVISION") == "1"
TORCHVISION = (torchvision.models.list_models(module=torchvision.models) if ALL_TORCHVISION
               else DISTINCT_TORCHVISION)


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_classifiers_extract_exactly_with_every_trick(name):
    """Every torchvision architecture (each distinct one by default; all 80 with CHRONOSCORE_ALL_TORCHVISION=1).

    64 px, except the three whose geometry needs more: inception_v3 (80 px), maxvit_t
    (224 px) and vit_h_14 (70 px, patches of 14).
    """
    size = {"inception_v3": 80, "maxvit_t": 224, "vit_h_14": 70}.get(name, 64)
    options = {"image_size": size} if name.startswith("vit") else {}
    if name in ("googlenet", "inception_v3"):
        options["init_weights"] = True
    torch.manual_seed(0)
    network = randomised_batch_norms(torchvision.models.get_model(name, weights=None, **options), 0)
    areas = spread(called_once_containers(network, size))
    assert areas, f"{name}: no area to record"
    model = wrap_model(network, {f"a{index}": path for index, path in enumerate(areas)})
    assert_extraction_equals_plain(model, image_size=size, n=2)


@pytest.mark.parametrize("name", ["resnet18", "efficientnet_b0", "convnext_atto", "vit_tiny_patch16_224",
                                  "regnetx_002", "mobilenetv3_small_050"])
def test_timm_models_extract_exactly_with_every_trick(name):
    timm_module = pytest.importorskip("timm")
    options = {"img_size": 64} if name.startswith("vit") else {}
    torch.manual_seed(0)
    network = randomised_batch_norms(timm_module.create_model(name, pretrained=False, **options), 0)
    areas = spread(called_once_containers(network, 64))
    model = wrap_model(network, {f"a{index}": path for index, path in enumerate(areas)})
    assert_extraction_equals_plain(model, image_size=64, n=2)
