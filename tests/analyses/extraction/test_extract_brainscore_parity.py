"""``extract`` computes what Brain-Score's PytorchWrapper computes; its channels-last path restores the model."""

import functools

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from chronoscore.analyses.extraction import extract
from chronoscore.analyses.extraction._activity_batches import evaluation_mode
from chronoscore.models import wrap_model
from chronoscore.stimuli import load_batch, read_image_folder
from tests.analyses.extraction.test_extract_support import one_cpu_thread  # noqa: F401
from tests.stimuli.tiny_sets import save_images

RESNET_LAYERS = {"layer1": "layer1", "layer2": "layer2", "layer3": "layer3", "layer4": "layer4",
                 "avgpool": "avgpool"}


def image_folder(folder, n, height, width, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, size=(n, height, width, 3), dtype=np.uint8)
    save_images(folder, pixels, [f"image_{index:03d}.png" for index in range(n)])
    return folder


def resnet18(seed):
    """A random resnet18 whose batch norms hold random statistics and affine parameters (as after training)."""
    torch.manual_seed(seed)
    network = torchvision.models.resnet18(weights=None).eval()
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.3)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.2)
    return network


def brainscore_activations(network, folder, layers, image_size, batch_size):
    """Brain-Score's own extraction of ``layers`` for the folder's images, rows in file-name order."""
    from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper, load_preprocess_images

    paths = sorted(str(path) for path in folder.glob("*.png"))
    wrapper = PytorchWrapper(model=network, preprocessing=functools.partial(load_preprocess_images,
                                                                            image_size=image_size),
                             identifier=False, batch_size=batch_size)
    assembly = wrapper.from_paths(stimuli_paths=paths, layers=list(layers))
    rows = [list(assembly["stimulus_path"].values).index(path) for path in paths]
    return {layer: assembly.isel(presentation=rows).sel(neuroid=assembly["layer"].values == layer).values
            for layer in layers}


@pytest.mark.brainscore
@pytest.mark.parametrize("n, height, width, image_size, batch_size, seed", [
    (5, 32, 32, 32, 2, 0),   # a last batch of one
    (4, 40, 28, 48, 64, 1),  # non-square images squeezed and enlarged, one batch
    (7, 24, 36, 40, 3, 2),
])
def test_resnet18_layers_equal_brainscore_pytorchwrapper(tmp_path, n, height, width, image_size, batch_size, seed):
    folder = image_folder(tmp_path / "images", n, height, width, seed)
    network = resnet18(seed)
    expected = brainscore_activations(network, folder, RESNET_LAYERS.values(), image_size, batch_size)
    activations = extract(wrap_model(network, RESNET_LAYERS), read_image_folder(folder), image_size=image_size,
                          batch_size=batch_size, cache=False, progress=False)
    for area, layer in RESNET_LAYERS.items():
        ours = activations.sel(neuroid=activations["layer"].values == area).isel(time_step=0).values
        assert ours.shape == expected[layer].shape
        np.testing.assert_allclose(ours, expected[layer], rtol=1e-4, atol=1e-5 * np.abs(expected[layer]).max())


class ViewingNet(nn.Module):
    """A convolution whose output is flattened with ``.view``, which a channels-last tensor does not allow."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=4)
        self.head = nn.Linear(4 * 8 * 8, 5)

    def forward(self, images):
        features = self.conv(images)
        return self.head(features.view(features.shape[0], -1))


def test_a_model_that_cannot_take_channels_last_runs_in_the_standard_layout(tmp_path):
    torch.manual_seed(0)
    network = ViewingNet().eval()
    folder = image_folder(tmp_path / "images", 5, 32, 32, 3)
    with pytest.raises(RuntimeError, match="view"):  # the failure the fallback catches
        network(torch.zeros(1, 3, 32, 32).contiguous(memory_format=torch.channels_last))
    activations = extract(wrap_model(network, {"conv": "conv", "head": "head"}), read_image_folder(folder),
                          image_size=32, batch_size=2, cache=False, progress=False)
    stimuli = read_image_folder(folder)
    images = load_batch(stimuli, range(len(stimuli)), 32)
    with torch.no_grad():
        expected = network.head(network.conv(images).flatten(1))
    np.testing.assert_allclose(activations.sel(neuroid=activations["layer"].values == "head").isel(time_step=0),
                               expected.numpy(), rtol=1e-5, atol=1e-6)


def test_evaluation_mode_gives_back_the_same_weight_tensors():
    network = resnet18(0).train()
    before = {name: (tensor.data_ptr(), tensor.stride(), tensor.clone()) for name, tensor in
              network.state_dict(keep_vars=True).items()}
    with evaluation_mode(network, torch.device("cpu"), channels_last=True):
        assert network.conv1.weight.is_contiguous(memory_format=torch.channels_last)
        assert not network.conv1.weight.is_contiguous() and not network.training
    assert network.training
    for name, tensor in network.state_dict(keep_vars=True).items():
        pointer, stride, values = before[name]
        assert (tensor.data_ptr(), tensor.stride()) == (pointer, stride), name
        assert torch.equal(tensor, values), name
