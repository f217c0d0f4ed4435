"""Rebuild a small ONNX convolutional network as a Keras model, from its initializers.

The face models ship as ONNX files with int8 block-quantized weights (`DequantizeLinear` on every weight).
Here every such weight is de-quantized once with numpy, and the graph is rebuilt layer by layer from
standard Keras layers in channels-last layout, so the factory's shared pipeline converts it to every
precision, verifies it and analyses it like the models it trains. Only the operators these graphs use
are supported; anything else stops the build with the operator's name (never a silent guess).

Layout: a 4-D ONNX activation [N, C, H, W] lives in Keras as [N, H, W, C] ("nhwc"). A Flatten of such a
tensor is done channels-last and the following Gemm's weight columns are permuted to match, so the
values are the ONNX model's exactly (up to float rounding).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


class UnsupportedGraph(ValueError):
    """The ONNX graph uses an operator or attribute this rebuild does not handle."""


@dataclass
class _Tensor:
    value: Any  # a KerasTensor
    layout: str  # "nhwc": an ONNX NCHW activation kept channels-last; "plain": same dims as ONNX
    flatten_from: tuple[int, int, int] | None = None  # (C, H, W) of an NHWC tensor flattened channels-last


@dataclass
class RebuildReport:
    """What the rebuild did, for the factory's manifest and report."""

    nodes: int = 0
    dequantized_weights: int = 0
    ops: dict[str, int] = field(default_factory=dict)


def dequantize(x: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None, axis: int = 1,
               block_size: int = 0) -> np.ndarray:
    """ONNX DequantizeLinear (per tensor, per axis or blocked) in float32."""
    x = x.astype(np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    zp = np.zeros_like(scale) if zero_point is None else np.asarray(zero_point, dtype=np.float32)
    if scale.size == 1:
        return (x - zp.reshape(())) * scale.reshape(())
    axis = axis % x.ndim
    if block_size:
        reps = block_size
        scale = np.repeat(scale, reps, axis=axis)
        zp = np.repeat(zp, reps, axis=axis)
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, x.shape[axis])
        scale, zp = scale[tuple(index)], zp[tuple(index)]
    else:  # per axis: a 1-D scale along `axis`
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (x - zp) * scale


def _name(text: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "layer"
    if base[0].isdigit():
        base = "n" + base
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base}_{i}"
    used.add(name)
    return name


def rebuild(onnx_path: str | Path, input_hw: tuple[int, int] | None = None,
            model_name: str = "rebuilt") -> tuple[Any, RebuildReport]:
    """The Keras model (batch 1, channels-last input) of the ONNX file, and what was done.

    input_hw fixes a fully convolutional graph to another input size (YuNet: 480 x 640).
    """
    import keras
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(onnx_path))
    graph = model.graph
    consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    tensors: dict[str, _Tensor] = {}
    used: set[str] = set()
    report = RebuildReport(nodes=len(graph.node))
    output_names = [o.name for o in graph.output]

    # Some exporters also list (now unused) float weights as graph inputs: the image is the consumed one.
    consumed = {i for n in graph.node for i in n.input}
    inputs = [i for i in graph.input if i.name not in consts and i.name in consumed]
    if len(inputs) != 1:
        raise UnsupportedGraph(f"expected one image input, found {[i.name for i in inputs]}")
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] not in (1, 3):
        raise UnsupportedGraph(f"expected an NCHW image input, found shape {dims}")
    height, width = input_hw or (dims[2], dims[3])
    keras_input = keras.Input(shape=(height, width, dims[1]), batch_size=1, name=_name(inputs[0].name, used))
    tensors[inputs[0].name] = _Tensor(keras_input, "nhwc")

    def const(name: str) -> np.ndarray | None:
        return consts.get(name)

    def out_name(node) -> str:
        # Graph outputs keep their ONNX names (the manifest's contract names them).
        target = node.output[0]
        return _name(target if target in output_names else (node.name or f"{node.op_type}_{target}"), used)

    for node in graph.node:
        op = node.op_type
        report.ops[op] = report.ops.get(op, 0) + 1
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        ins = list(node.input)
        if op == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(attrs["value"])
            continue
        if all(i == "" or i in consts for i in ins):  # constant folding: weights only
            if op == "DequantizeLinear":
                zp = const(ins[2]) if len(ins) > 2 and ins[2] else None
                consts[node.output[0]] = dequantize(const(ins[0]), const(ins[1]), zp, int(attrs.get("axis", 1)),
                                                    int(attrs.get("block_size", 0)))
                report.dequantized_weights += 1
            elif op == "Reshape":
                consts[node.output[0]] = np.reshape(const(ins[0]), [int(v) for v in const(ins[1])])
            else:
                raise UnsupportedGraph(f"constant operator {op} ({node.name}) is not supported")
            continue
        x = tensors.get(ins[0]) if ins[0] in tensors else None
        if x is None:
            raise UnsupportedGraph(f"{op} ({node.name}): input {ins[0]} is neither an activation nor a constant")
        name = out_name(node)
        y: _Tensor
        if op in ("Sub", "Mul", "Add") and len(ins) == 2 and ins[1] in consts:
            c = float(np.asarray(const(ins[1])).reshape(-1)[0]) if np.asarray(const(ins[1])).size == 1 else None
            if c is None:
                raise UnsupportedGraph(f"{op} ({node.name}) with a non-scalar constant")
            scale, offset = {"Sub": (1.0, -c), "Mul": (c, 0.0), "Add": (1.0, c)}[op]
            y = _Tensor(keras.layers.Rescaling(scale, offset, name=name)(x.value), x.layout)
        elif op == "Add":
            b = tensors[ins[1]]
            y = _Tensor(keras.layers.Add(name=name)([x.value, b.value]), x.layout)
        elif op == "Conv":
            y = _Tensor(_conv(keras, x, const(ins[1]), const(ins[2]) if len(ins) > 2 and ins[2] else None, attrs,
                              name, used), "nhwc")
        elif op == "BatchNormalization":
            gamma, beta, mean, var = (const(i) for i in ins[1:5])
            layer = keras.layers.BatchNormalization(axis=-1, epsilon=float(attrs.get("epsilon", 1e-5)), name=name)
            out = layer(x.value)
            layer.set_weights([gamma, beta, mean, var])
            y = _Tensor(out, x.layout)
        elif op == "PRelu":
            slope = np.asarray(const(ins[1]), dtype=np.float32).reshape(-1)
            if x.layout != "nhwc":
                raise UnsupportedGraph(f"PRelu ({node.name}) on a {x.layout} tensor")
            layer = keras.layers.PReLU(shared_axes=[1, 2], name=name)
            out = layer(x.value)
            layer.set_weights([slope.reshape(1, 1, -1)])
            y = _Tensor(out, "nhwc")
        elif op == "Relu":
            y = _Tensor(keras.layers.ReLU(name=name)(x.value), x.layout)
        elif op == "Sigmoid":
            y = _Tensor(keras.layers.Activation("sigmoid", name=name)(x.value), x.layout)
        elif op == "Dropout":
            tensors[node.output[0]] = x  # inference: identity
            continue
        elif op == "MaxPool":
            if any(int(p) for p in attrs.get("pads", [])) or int(attrs.get("ceil_mode", 0)):
                raise UnsupportedGraph(f"MaxPool ({node.name}) with padding or ceil_mode")
            k, s = tuple(attrs["kernel_shape"]), tuple(attrs.get("strides", attrs["kernel_shape"]))
            y = _Tensor(keras.layers.MaxPooling2D(k, s, padding="valid", name=name)(x.value), "nhwc")
        elif op == "Resize":
            scales = const(ins[2]) if len(ins) > 2 and ins[2] else None
            mode = attrs.get("mode", b"nearest")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            ctm = attrs.get("coordinate_transformation_mode", b"half_pixel")
            ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
            if scales is None or mode != "nearest" or ctm != "asymmetric" or list(scales[:2]) != [1.0, 1.0] \
                    or scales[2] != scales[3] or scales[2] != int(scales[2]):
                raise UnsupportedGraph(f"Resize ({node.name}) other than integer nearest upsampling")
            size = int(scales[2])
            y = _Tensor(keras.layers.UpSampling2D((size, size), interpolation="nearest", name=name)(x.value), "nhwc")
        elif op == "Transpose":
            perm = list(attrs["perm"])
            if x.layout == "nhwc" and perm == [0, 2, 3, 1]:
                y = _Tensor(x.value, "plain")  # NCHW -> NHWC: the Keras tensor already is
                tensors[node.output[0]] = y
                continue
            raise UnsupportedGraph(f"Transpose ({node.name}) with perm {perm} on a {x.layout} tensor")
        elif op == "Reshape":
            shape = [int(v) for v in const(ins[1])]
            if x.layout != "plain" or shape[0] != 1:
                raise UnsupportedGraph(f"Reshape ({node.name}) to {shape} of a {x.layout} tensor")
            y = _Tensor(keras.layers.Reshape(tuple(shape[1:]), name=name)(x.value), "plain")
        elif op == "Flatten":
            if int(attrs.get("axis", 1)) != 1:
                raise UnsupportedGraph(f"Flatten ({node.name}) with axis {attrs.get('axis')}")
            flat = keras.layers.Flatten(name=name)(x.value)
            h, w, c = (int(d) for d in x.value.shape[1:])
            y = _Tensor(flat, "plain", (c, h, w) if x.layout == "nhwc" else None)
        elif op == "Gemm":
            y = _Tensor(_gemm(keras, x, const(ins[1]), const(ins[2]) if len(ins) > 2 and ins[2] else None, attrs,
                              name), "plain")
        else:
            raise UnsupportedGraph(f"operator {op} ({node.name}) is not supported")
        tensors[node.output[0]] = y
    missing = [o for o in output_names if o not in tensors]
    if missing:
        raise UnsupportedGraph(f"graph outputs {missing} were not produced")
    outputs = [tensors[o].value for o in output_names]
    keras_model = keras.Model(keras_input, outputs if len(outputs) > 1 else outputs[0], name=model_name)
    logger.info("rebuilt %s: %d nodes, %d weights de-quantized, ops %s", Path(onnx_path).name, report.nodes,
                report.dequantized_weights, report.ops)
    return keras_model, report


def _conv(keras: Any, x: _Tensor, weight: np.ndarray, bias: np.ndarray | None, attrs: dict, name: str,
          used: set[str]) -> Any:
    if x.layout != "nhwc" or weight is None or weight.ndim != 4:
        raise UnsupportedGraph(f"Conv {name}: needs an NHWC activation and a constant 4-D weight")
    out_c, in_per_group, kh, kw = weight.shape
    group = int(attrs.get("group", 1))
    strides = tuple(int(s) for s in attrs.get("strides", [1, 1]))
    dilations = tuple(int(d) for d in attrs.get("dilations", [1, 1]))
    pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedGraph(f"Conv {name}: auto_pad is not supported")
    in_c = int(x.value.shape[-1])
    tensor = x.value
    if any(pads):  # explicit (top, left, bottom, right) zero padding, exactly as ONNX pads
        top, left, bottom, right = pads
        tensor = keras.layers.ZeroPadding2D(((top, bottom), (left, right)), name=_name(name + "_pad", used))(tensor)
    use_bias = bias is not None
    if group == 1:
        layer = keras.layers.Conv2D(out_c, (kh, kw), strides=strides, dilation_rate=dilations, padding="valid",
                                    use_bias=use_bias, name=name)
        out = layer(tensor)
        kernel = np.transpose(weight, (2, 3, 1, 0))  # OIHW -> HWIO
    elif group == in_c and in_per_group == 1 and out_c % in_c == 0:
        layer = keras.layers.DepthwiseConv2D((kh, kw), strides=strides, dilation_rate=dilations, padding="valid",
                                             depth_multiplier=out_c // in_c, use_bias=use_bias, name=name)
        out = layer(tensor)
        # O = C*M, (O,1,kh,kw) -> (kh, kw, C, M)
        kernel = np.transpose(weight.reshape(in_c, out_c // in_c, kh, kw), (2, 3, 0, 1))
    else:
        raise UnsupportedGraph(f"Conv {name}: grouped convolution with {group} groups")
    layer.set_weights([kernel.astype(np.float32)] + ([bias.astype(np.float32)] if use_bias else []))
    return out


def _gemm(keras: Any, x: _Tensor, weight: np.ndarray, bias: np.ndarray | None, attrs: dict, name: str) -> Any:
    if int(attrs.get("transA", 0)) or weight is None:
        raise UnsupportedGraph(f"Gemm {name}: transA or a non-constant weight")
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    w = weight.T if int(attrs.get("transB", 0)) else weight  # -> (in, out)
    w = w * alpha
    if x.flatten_from is not None:  # ONNX flattened (C, H, W); Keras flattened (H, W, C)
        c, h, wd = x.flatten_from
        onnx_index = np.arange(c * h * wd).reshape(c, h, wd)
        w = w[np.transpose(onnx_index, (1, 2, 0)).reshape(-1)]
    units = w.shape[1]
    layer = keras.layers.Dense(units, use_bias=bias is not None, name=name)
    out = layer(x.value)
    layer.set_weights([w.astype(np.float32)] + ([(bias * beta).astype(np.float32)] if bias is not None else []))
    return out
