"""The ConvRNN release's operations written out in numpy (float64), for checking our cells and layers.

Arrays are (B, C, H, W) like ours; kernels (C_out, C_in, kh, kw). Nothing here calls
torch: the tests hand in our modules' weights as numpy arrays.
"""

import math

import numpy as np


def tf_same_pads(size, kernel, stride):
    """TensorFlow "SAME": ceil(size / stride) outputs; an odd total padding puts the extra after."""
    outputs = math.ceil(size / stride)
    total = max((outputs - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d_same(x, weight, bias=None, stride=1):
    """Cross-correlation of x (B, C, H, W) with weight (O, C, kh, kw), TensorFlow "SAME" padding."""
    _, _, height, width = x.shape
    _, _, kernel_h, kernel_w = weight.shape
    top, bottom = tf_same_pads(height, kernel_h, stride)
    left, right = tf_same_pads(width, kernel_w, stride)
    padded = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    out_h, out_w = math.ceil(height / stride), math.ceil(width / stride)
    out = np.zeros((x.shape[0], weight.shape[0], out_h, out_w))
    for i in range(kernel_h):
        for j in range(kernel_w):
            window = padded[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
            out += np.einsum("bchw,oc->bohw", window, weight[:, :, i, j])
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def conv2d_valid(x, weight, bias):
    """Cross-correlation without padding: (B, C, H, W) -> (B, O, H − kh + 1, W − kw + 1)."""
    _, _, kernel_h, kernel_w = weight.shape
    out_h, out_w = x.shape[2] - kernel_h + 1, x.shape[3] - kernel_w + 1
    out = np.zeros((x.shape[0], weight.shape[0], out_h, out_w))
    for i in range(kernel_h):
        for j in range(kernel_w):
            out += np.einsum("bchw,oc->bohw", x[:, :, i:i + out_h, j:j + out_w], weight[:, :, i, j])
    return out + bias.reshape(1, -1, 1, 1)


def separable_same(x, depthwise, pointwise, bias):
    """TensorFlow's separable_conv2d: a per-channel k×k kernel (C, 1, k, k), then 1×1 (O, C, 1, 1), then bias."""
    per_channel = np.concatenate([conv2d_same(x[:, [c]], depthwise[[c]]) for c in range(x.shape[1])], axis=1)
    out = np.einsum("bchw,oc->bohw", per_channel, pointwise[:, :, 0, 0])
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def resize_bilinear_align_corners(x, out_h, out_w):
    """tf.image.resize_images(..., align_corners=True): corners map onto corners."""
    def axis_weights(size_in, size_out):
        scale = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
        matrix = np.zeros((size_out, size_in))
        for index in range(size_out):
            source = index * scale
            low = int(math.floor(source))
            high = min(low + 1, size_in - 1)
            fraction = source - low
            matrix[index, low] += 1 - fraction
            matrix[index, high] += fraction
        return matrix
    rows, cols = axis_weights(x.shape[2], out_h), axis_weights(x.shape[3], out_w)
    return np.einsum("ph,bchw,qw->bcpq", rows, x, cols)


def max_pool_same(x):
    """2×2/2 max pool with TensorFlow "SAME" (an odd side's last window holds one row or column)."""
    batch, channels, height, width = x.shape
    out = np.full((batch, channels, math.ceil(height / 2), math.ceil(width / 2)), -np.inf)
    for i in range(2):
        for j in range(2):
            part = x[:, :, i::2, j::2]
            out[:, :, :part.shape[2], :part.shape[3]] = np.maximum(out[:, :, :part.shape[2], :part.shape[3]], part)
    return out


def layer_norm(x, gain, shift, eps=1e-12):
    """tf.contrib.layers.layer_norm: over (C, H, W) of each sample, gain and shift per channel."""
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=(1, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * gain.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
