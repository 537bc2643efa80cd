"""Fusing each convolution with the ReLU and the residual sum after it, for the duration of an extraction (CPU).

oneDNN can apply a ReLU, or a sum with another tensor followed by a ReLU, to a
convolution's output while it is still in cache ("post-ops"), and runs fastest
with the weights reordered once into its own blocked layout. Inside
:func:`convolutions_fused`, each recorded area of a wrapped network whose
forward ``torch.fx`` can trace is replaced by its traced graph in which

* ``relu(conv(x))`` becomes one fused call,
* ``relu(conv(x) + other)`` (a residual block's end) becomes one fused call,
* any other ``conv(x)`` becomes a call with the reordered weights,

where the convolution's output goes nowhere else. The values are the same up
to float32 rounding (resnet18 in channels-last format, as extraction runs it
on the CPU: every recorded layer bit-identical; in the standard format within
2e-6 of each layer's largest value) and the forward pass is cheaper (resnet18,
1000 images of 224 px on two cores: 22.0 instead of 22.8-23.6 CPU seconds). The recorded
areas keep their paths, so recording hooks see the same outputs; on leaving,
every area gets its own module back.

The fused calls are PyTorch's oneDNN operators (``torch.ops.mkldnn``), the
ones its own compiler emits for the CPU; without them (a build without oneDNN)
nothing is fused. A module that ``torch.fx`` cannot trace, whose forward
changes its own attributes while it runs (CORnet-S's stride switch; see
:mod:`chronoscore.analyses.extraction._guarded_tracing`), that carries hooks, or that
holds a recorded area inside it is left as it is. Only float32 CPU
tensors outside autograd take the fused path; a convolution called with
anything else computes the same thing the plain way.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Collection, Iterator

import torch
import torch.nn.functional as F
from torch import fx, nn

from chronoscore.analyses.extraction._batchnorm_folding import has_hooks, replace_submodule
from chronoscore.analyses.extraction._guarded_tracing import guarded_trace

__all__ = ["convolutions_fused", "fusable_areas", "fusion_available", "FusedConv2d"]

_RELU_FUNCTIONS = (torch.relu, torch.relu_, F.relu)
_RELU_METHODS = ("relu", "relu_")
_ADD_FUNCTIONS = (operator.add, operator.iadd, torch.add)


def _pointwise_operator():
    """oneDNN's fused convolution operator, or None in a build without it."""
    if not torch.backends.mkldnn.is_available():
        return None
    return getattr(torch.ops.mkldnn, "_convolution_pointwise", None)


@functools.cache
def fusion_available() -> bool:
    """Whether this PyTorch build has the fused oneDNN convolution operators and they compute what they should.

    Checked once, on a small convolution with a residual sum and a ReLU against
    the same computed the plain way: an operator whose signature or meaning
    changed in another PyTorch version turns fusion off instead of failing an
    extraction.
    """
    if _pointwise_operator() is None:
        return False
    generator = torch.Generator().manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1).eval()
    images = torch.randn(2, 3, 6, 6, generator=generator).contiguous(memory_format=torch.channels_last)
    other = torch.randn(2, 4, 6, 6, generator=generator).contiguous(memory_format=torch.channels_last)
    try:
        with torch.no_grad():
            fused = FusedConv2d(conv, relu=True, add=True)(images, other)
            plain = torch.relu(conv(images) + other)
    except (RuntimeError, TypeError):
        return False
    return fused.shape == plain.shape and bool(torch.allclose(fused, plain, rtol=1e-5, atol=1e-6))


class FusedConv2d(nn.Module):
    """``conv(x)``, ``relu(conv(x))`` or ``relu(conv(x) + other)`` as one oneDNN call.

    Parameters
    ----------
    conv : nn.Conv2d
        The convolution (its current weight and bias are used; they must not
        change while this module is in use).
    relu : bool
        Apply a ReLU to the result.
    add : bool
        Add ``other`` (same shape as the convolution's output) before the ReLU.
    """

    def __init__(self, conv: nn.Conv2d, *, relu: bool, add: bool) -> None:
        super().__init__()
        self.conv = conv
        self.relu = relu
        self.add = add
        self._packed: dict[tuple, torch.Tensor] = {}

    def forward(self, x: torch.Tensor, other: torch.Tensor | None = None) -> torch.Tensor:
        """(B, C_out, H', W') from ``x`` (B, C_in, H, W) and, when ``add``, ``other`` (B, C_out, H', W')."""
        if not self._fusable(x, other):
            return self._plain(x, other)
        conv = self.conv
        settings = (list(conv.padding), list(conv.stride), list(conv.dilation), conv.groups)
        weight = self._weight_for(x)
        if self.add:  # the binary form names "no ReLU" None, the unary form "none"
            return _pointwise_operator().binary(x, other, weight, conv.bias, *settings, "add", 1.0,
                                                "relu" if self.relu else None, [], "")
        return _pointwise_operator()(x, weight, conv.bias, *settings, "relu" if self.relu else "none", [], "")

    def _fusable(self, x: torch.Tensor, other: torch.Tensor | None) -> bool:
        """Whether the fused operator applies: float32 CPU tensors, no autograd, a residual of the output's shape."""
        if torch.is_grad_enabled():
            return False
        tensors = (x,) if other is None else (x, other)
        if any(t.device.type != "cpu" or t.dtype != torch.float32 or t.requires_grad for t in tensors):
            return False
        return other is None or other.shape == self._output_shape(x)

    def _output_shape(self, x: torch.Tensor) -> torch.Size:
        conv = self.conv
        sides = [(size + 2 * pad - dil * (kernel - 1) - 1) // step + 1 for size, pad, dil, kernel, step in
                 zip(x.shape[2:], conv.padding, conv.dilation, conv.kernel_size, conv.stride)]
        return torch.Size([x.shape[0], conv.out_channels, *sides])

    def _plain(self, x: torch.Tensor, other: torch.Tensor | None) -> torch.Tensor:
        out = self.conv(x)
        if self.add:
            out = out + other
        return torch.relu(out) if self.relu else out

    def _weight_for(self, x: torch.Tensor) -> torch.Tensor:
        """The weight in oneDNN's layout for inputs like ``x`` (reordered once per shape and memory format)."""
        key = (tuple(x.shape), x.is_contiguous(memory_format=torch.channels_last))
        if key not in self._packed:
            conv = self.conv
            dense = conv.weight.detach().contiguous(memory_format=torch.channels_last)
            self._packed[key] = torch._C._nn.mkldnn_reorder_conv2d_weight(
                dense.to_mkldnn(), list(conv.padding), list(conv.stride), list(conv.dilation), conv.groups,
                list(x.shape))
        return self._packed[key]


@contextlib.contextmanager
def convolutions_fused(module: nn.Module, areas: Collection[str], *, fuse_areas: Collection[str] | None = None,
                       fuse_network: bool = True) -> Iterator[tuple[nn.Module, int]]:
    """``module`` with its convolutions fused, for the duration of the block.

    Each recorded area with no other area inside it is replaced by its fused
    traced graph; then the whole module is traced with the areas kept as single
    calls (so that their recording hooks still run) and fused too.

    Parameters
    ----------
    module : nn.Module
        The wrapped network, in eval mode.
    areas : collection of str
        Submodule paths of the recorded areas.
    fuse_areas : collection of str, optional
        Only these of :func:`fusable_areas` get their own fused graph (default: all).
    fuse_network : bool
        Also fuse the network's graph around the areas.

    Yields
    ------
    runner : nn.Module
        What to run instead of ``module`` (``module`` itself when its own graph
        could not be fused); the areas sit at the same paths in it.
    n_fused : int
        The number of convolutions that run fused.
    """
    replaced, runner, total = [], module, 0
    candidates = fusable_areas(module, areas)
    chosen = candidates if fuse_areas is None else [path for path in candidates if path in set(fuse_areas)]
    try:
        if fusion_available() and not has_hooks(module) and not module.training:
            for path in chosen:
                original = module.get_submodule(path)
                fused, count = _fused_graph(original, leaves=())
                if count:
                    replace_submodule(module, path, fused)
                    replaced.append((path, original))
                    total += count
            whole, count = _fused_graph(module, leaves=[path for path in areas if path]) if fuse_network else (
                module, 0)
            if count:
                runner, total = whole, total + count
        yield runner, total
    finally:
        for path, original in reversed(replaced):
            replace_submodule(module, path, original)


def fusable_areas(module: nn.Module, areas: Collection[str]) -> list[str]:
    """Area paths that may get their own fused graph: not the whole module, with children, no other area inside."""
    paths = [path for path in areas if path]
    return [path for path in paths
            if any(True for _ in module.get_submodule(path).children())
            and not any(other.startswith(path + ".") for other in paths)]


class _AreaTracer(fx.Tracer):
    """A tracer that keeps the given submodule paths (recorded areas) as single calls."""

    def __init__(self, leaves: Collection[str]) -> None:
        super().__init__()
        self.leaves = set(leaves)

    def is_leaf_module(self, module: nn.Module, path: str) -> bool:
        return path in self.leaves or super().is_leaf_module(module, path)


def _fused_graph(module: nn.Module, leaves: Collection[str]) -> tuple[nn.Module, int]:
    """``module`` traced (``leaves`` kept whole) and rewritten with :class:`FusedConv2d` calls.

    (``module`` itself, 0) when it cannot be traced.
    """
    try:
        graph = guarded_trace(module, _AreaTracer(leaves).trace)
        graph_module = fx.GraphModule(module, graph, type(module).__name__)
    except Exception:  # noqa: BLE001 - a module that cannot be traced (or changes its state) runs as it is
        return module, 0
    graph = graph_module.graph
    _drop_identities(graph_module, leaves)
    count = 0
    for node in list(graph.nodes):
        conv = _convolution(graph_module, node, leaves)
        if conv is None:
            continue
        relu, add, other = _epilogue(graph_module, node, leaves)
        name = f"fused_convolution_{count}"
        graph_module.add_submodule(name, FusedConv2d(conv, relu=relu is not None, add=add is not None))
        last = relu or node
        with graph.inserting_before(last):
            fused = graph.call_module(name, (node.args[0],) if add is None else (node.args[0], other))
        last.replace_all_uses_with(fused)
        for dead in (relu, add, node):
            if dead is not None:
                graph.erase_node(dead)
        count += 1
    graph.lint()
    graph_module.recompile()
    return graph_module, count


def _drop_identities(graph_module: fx.GraphModule, leaves: Collection[str]) -> None:
    """Take ``nn.Identity`` calls (folded batch norms) out of the graph, so a ReLU follows its convolution."""
    graph = graph_module.graph
    for node in list(graph.nodes):
        if (_calls_module(node, leaves) and type(graph_module.get_submodule(node.target)) is nn.Identity
                and len(node.args) == 1 and not node.kwargs):
            node.replace_all_uses_with(node.args[0])
            graph.erase_node(node)


def _calls_module(node: fx.Node, leaves: Collection[str]) -> bool:
    """Whether ``node`` calls a submodule that is not a recorded area (whose call must stay, for its hook)."""
    return node.op == "call_module" and node.target not in leaves


def _convolution(graph_module: fx.GraphModule, node: fx.Node, leaves: Collection[str]) -> nn.Conv2d | None:
    """The plain 2-D convolution ``node`` calls on one input, else None."""
    if not _calls_module(node, leaves) or len(node.args) != 1 or node.kwargs:
        return None
    conv = graph_module.get_submodule(node.target)
    if type(conv) is not nn.Conv2d or conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        return None
    return conv


def _epilogue(graph_module: fx.GraphModule, conv: fx.Node,
              leaves: Collection[str]) -> tuple[fx.Node | None, fx.Node | None, fx.Node | None]:
    """(relu, add, other): the ReLU of ``conv``'s output, or the sum with ``other`` and the ReLU after it."""
    user = _only_user(conv)
    if user is not None and _is_relu(graph_module, user, conv, leaves):
        return user, None, None
    if user is not None and _is_add(user, conv):
        relu = _only_user(user)
        if relu is not None and _is_relu(graph_module, relu, user, leaves):
            other = user.args[1] if user.args[0] is conv else user.args[0]
            return relu, user, other
    return None, None, None


def _only_user(node: fx.Node) -> fx.Node | None:
    return next(iter(node.users)) if len(node.users) == 1 else None


def _is_relu(graph_module: fx.GraphModule, node: fx.Node, source: fx.Node, leaves: Collection[str]) -> bool:
    """Whether ``node`` is a ReLU of ``source`` alone (and not a recorded area)."""
    if node.args != (source,):
        return False
    if node.op == "call_module":
        return _calls_module(node, leaves) and type(graph_module.get_submodule(node.target)) is nn.ReLU
    if node.op == "call_function":
        return node.target in _RELU_FUNCTIONS and set(node.kwargs) <= {"inplace"}
    return node.op == "call_method" and node.target in _RELU_METHODS and not node.kwargs


def _is_add(node: fx.Node, conv: fx.Node) -> bool:
    """Whether ``node`` adds ``conv``'s output and one other tensor node."""
    if node.op != "call_function" or node.target not in _ADD_FUNCTIONS or node.kwargs or len(node.args) != 2:
        return False
    first, second = node.args
    other = second if first is conv else first
    return conv in node.args and isinstance(other, fx.Node) and other is not conv
