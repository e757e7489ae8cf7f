#!/usr/bin/python3
"""Bringing a PyTorch model to probust: write an nn.Sequential as a probust model file.

probust's built-in network (probust::dense_network, loaded by
probust::load_dense_network) is a stack of dense layers, each computing
a = σ(W a_prev + b) with one element-wise activation σ. The model file
(docs/model_format.md) is plain text; this script writes it from PyTorch.

From Python:

    import torch.nn as nn
    from export_pytorch import export

    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict(torch.load("weights.pt"))    # your trained weights
    export(model, "digits.model")

From the shell, with a whole model saved by torch.save(model, "model.pt") (not a
state_dict: a state_dict holds no architecture; build the model in Python and call
export() as above):

    /usr/bin/python3 examples/python/export_pytorch.py model.pt digits.model

Then in C++:

    auto net = probust::load_dense_network("digits.model");   // logits = net(x)

Any other nn.Module (convolutions, attention, ...): export it as TorchScript, which
probust reads through libtorch (include/probust/torch.hpp, target probust::torch):

    from export_pytorch import export_torchscript
    export_torchscript(model, "cnn.pt", (1, 8, 8))             # torch.jit.script
    export_torchscript(model, "cnn.pt", (1, 8, 8), "trace")    # or torch.jit.trace

    /usr/bin/python3 examples/python/export_pytorch.py model.pt cnn.pt --torchscript 1,8,8

    auto cnn = probust::load_torch_model("cnn.pt", {1, 8, 8});  // C++

Which format to choose: docs/pytorch.md.

What can be exported: an nn.Sequential (nested Sequentials are flattened) of

    nn.Linear                       a dense layer (bias=False gives b = 0)
    nn.ReLU, nn.Tanh, nn.Sigmoid    the activation of the Linear before it
    nn.Softplus                     beta = 1, threshold >= 20 (see below)
    nn.GELU                         approximate='none' only (the exact erf form)
    nn.LeakyReLU                    any negative_slope (written into the file)
    nn.Identity, nn.Dropout         skipped (Dropout is the identity at inference)
    nn.Flatten                      start_dim=1, end_dim=-1 only: the model's input is
                                    x flattened in row-major (C) order

Each activation must follow an nn.Linear (at most one activation per Linear); a Linear
not followed by an activation gets `identity`. Anything else (convolutions, batch norm,
softmax, two activations in a row, ...) is an error naming the module and its index in
the Sequential ("2.1" is module 1 of the Sequential at index 2). The last layer should
output logits: drop a final Softmax / LogSoftmax.

Exactness: weights and biases are written as Python's repr of their float64 value (the
shortest decimal that reads back to the same double), so float32 weights arrive in probust
as their exact double values and float64 weights bit for bit; probust's double-precision
network then computes what model.double() computes, to rounding. Two documented
differences: nn.Softplus with threshold t returns z for z > t while probust computes
log(1 + e^z) exactly (a difference below log(1 + e^-t), 2.1e-9 at PyTorch's default
t = 20, hence thresholds below 20 are refused); and a float32 model evaluated in float32
by PyTorch differs from both at the 1e-7 level.

Exit status of the command line: 0 on success, 2 when the model cannot be exported
(unsupported module, not an nn.Sequential, a state_dict) or on bad usage, 1 when a file
cannot be read or written. Loading a pickled model runs code from the file: load only
files you trust.

Check an export with examples/python/print_logits (built with the examples), which prints
probust's logits for points in a CSV file; test_export_pytorch.py does this for every
supported activation. More: docs/pytorch.md.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn as nn

FORMAT_VERSION = 1
SOFTPLUS_MIN_THRESHOLD = 20.0


class ExportError(ValueError):
    """The model cannot be written in the probust model format (the message says why)."""


def _is(module, cls):
    """True if `module` is a `cls` (or a subclass that keeps cls's forward)."""
    return isinstance(module, cls) and type(module).forward is cls.forward


def _activation(module, where):
    """The model-file activation (name, slope or None) of `module`, None if it is not an
    activation, or an ExportError if it is one the format cannot express exactly."""
    if _is(module, nn.ReLU):
        return "relu", None
    if _is(module, nn.Tanh):
        return "tanh", None
    if _is(module, nn.Sigmoid):
        return "sigmoid", None
    if _is(module, nn.LeakyReLU):
        slope = float(module.negative_slope)
        if not math.isfinite(slope):
            raise ExportError("%s: the negative_slope %r is not finite" % (where, slope))
        return "leaky_relu", slope
    if _is(module, nn.GELU):
        approximate = getattr(module, "approximate", "none")
        if approximate != "none":
            raise ExportError(
                "%s: GELU(approximate=%r) is not supported: probust's gelu is the exact form "
                "z·Φ(z) = ½ z (1 + erf(z/√2)), i.e. nn.GELU(approximate='none')"
                % (where, approximate))
        return "gelu", None
    if _is(module, nn.Softplus):
        if float(module.beta) != 1.0:
            raise ExportError("%s: Softplus(beta=%r) is not supported: probust's softplus is "
                              "log(1 + e^z), i.e. beta = 1" % (where, module.beta))
        if not float(module.threshold) >= SOFTPLUS_MIN_THRESHOLD:
            raise ExportError(
                "%s: Softplus(threshold=%r) is not supported: PyTorch returns z for z > "
                "threshold where probust computes log(1 + e^z) exactly, a difference up to "
                "log(1 + e^-threshold); use threshold >= %g (PyTorch's default is 20)"
                % (where, module.threshold, SOFTPLUS_MIN_THRESHOLD))
        return "softplus", None
    return None


def _leaves(container, prefix=""):
    """(index, module) for the modules of an nn.Sequential, nested Sequentials flattened,
    the index naming the path ("2.1")."""
    for name, module in container.named_children():
        index = prefix + name
        if _is(module, nn.Sequential):
            yield from _leaves(module, index + ".")
        else:
            yield index, module


def _describe(index, module):
    return "module %s (%s)" % (index, repr(module).replace("\n", " "))


def _layers(model):
    """The dense layers of `model`: a list of dicts with W, b (nested lists of floats),
    activation, slope and the modules they come from."""
    if not _is(model, nn.Sequential):
        raise ExportError("the model is a %s, not an nn.Sequential: only an nn.Sequential of "
                          "nn.Linear layers and element-wise activations can be exported"
                          % type(model).__name__)
    layers = []
    previous = None  # what the last layer-relevant module was: None, "linear", "activation"
    for index, module in _leaves(model):
        where = _describe(index, module)
        if module._forward_hooks or module._forward_pre_hooks:
            raise ExportError("%s has forward hooks (weight_norm, spectral_norm, ...), which "
                              "the exporter cannot follow; remove them first (e.g. "
                              "torch.nn.utils.remove_weight_norm)" % where)
        if _is(module, nn.Linear):
            weight = module.weight.detach().to("cpu", torch.float64)
            bias = (module.bias.detach().to("cpu", torch.float64) if module.bias is not None
                    else torch.zeros(weight.shape[0], dtype=torch.float64))
            if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
                raise ExportError("%s has a non-finite weight or bias" % where)
            layers.append({"W": weight.tolist(), "b": bias.tolist(), "activation": "identity",
                           "slope": None, "from": [index + " " + type(module).__name__]})
            previous = "linear"
            continue
        if _is(module, nn.Identity) or _is(module, nn.Dropout):
            continue
        if _is(module, nn.Flatten):
            if module.start_dim != 1 or module.end_dim != -1:
                raise ExportError("%s: only Flatten(start_dim=1, end_dim=-1), which flattens "
                                  "each sample, is supported" % where)
            continue
        activation = _activation(module, where)
        if activation is None:
            hint = ""
            if isinstance(module, (nn.Softmax, nn.LogSoftmax)):
                hint = "; probust expects logits: drop the final %s" % type(module).__name__
            elif isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                hint = ("; convolutions are not supported: rewrite the network as dense "
                        "layers (docs/pytorch.md)")
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                hint = "; fold it into the neighbouring nn.Linear first (docs/pytorch.md)"
            raise ExportError("%s is not supported (supported: Linear, ReLU, Tanh, Sigmoid, "
                              "Softplus, GELU, LeakyReLU, Identity, Dropout, Flatten)%s"
                              % (where, hint))
        if previous is None:
            raise ExportError("%s comes before the first nn.Linear; the model file applies "
                              "each activation after a dense layer" % where)
        if previous == "activation":
            raise ExportError("%s follows another activation (%s); the model file has one "
                              "activation per nn.Linear"
                              % (where, layers[-1]["from"][-1]))
        layers[-1]["activation"], layers[-1]["slope"] = activation
        layers[-1]["from"].append(index + " " + type(module).__name__)
        previous = "activation"
    if not layers:
        raise ExportError("the model has no nn.Linear layer")
    for number, (before, after) in enumerate(zip(layers, layers[1:]), start=2):
        if len(after["W"][0]) != len(before["W"]):
            raise ExportError("layer %d (%s) has %d inputs but the layer before has %d outputs"
                              % (number, after["from"][0], len(after["W"][0]),
                                 len(before["W"])))
    return layers


def _numbers(values):
    # repr(float) is the shortest decimal that reads back to the same double.
    return " ".join(repr(float(v)) for v in values)


def model_text(model):
    """The probust model file (format version 1) of `model`, as a string. Raises
    ExportError (a ValueError) naming the module if it cannot be exported exactly."""
    layers = _layers(model)
    sizes = [len(layers[0]["W"][0])] + [len(layer["W"]) for layer in layers]
    lines = ["probust-model %d" % FORMAT_VERSION,
             "# exported from a PyTorch nn.Sequential by examples/python/export_pytorch.py",
             "# dense network %s (format: probust docs/model_format.md)"
             % " -> ".join(str(n) for n in sizes),
             "input %d" % sizes[0],
             "layers %d" % len(layers)]
    for number, layer in enumerate(layers, start=1):
        header = "dense %d %d %s" % (len(layer["W"][0]), len(layer["W"]), layer["activation"])
        if layer["slope"] is not None:
            header += " " + repr(layer["slope"])
        lines.append("%s  # layer %d: modules %s" % (header, number, ", ".join(layer["from"])))
        lines.extend(_numbers(row) for row in layer["W"])
        lines.append(_numbers(layer["b"]))
    return "\n".join(lines) + "\n"


def export(model: nn.Sequential, path):
    """Writes `model` (an nn.Sequential of nn.Linear layers and supported activations) to
    `path` in the probust model format. Raises ExportError, before writing anything, if a
    module cannot be exported; OSError if the file cannot be written."""
    text = model_text(model)
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write(text)


def export_torchscript(model: nn.Module, path, input_shape, method="script"):
    """Writes any nn.Module as TorchScript, for probust::load_torch_model(path, input_shape)
    (C++, include/probust/torch.hpp) and probust-cli's --input-shape.

    input_shape is the shape of one sample without the batch dimension, e.g. (1, 8, 8).
    method "script" compiles the module with torch.jit.script (keeps its control flow;
    needs code TorchScript can compile); "trace" records the operations run on a zero
    batch of shape (1, *input_shape) with torch.jit.trace (any module whose forward is
    plain tensor code; branches on data are frozen to the path taken). The model is put
    in eval mode first. The file is loaded back and must give the module's logits on a
    random batch of 3 samples, as a (3, K) tensor; otherwise ExportError (a ValueError)
    and the file is removed. Returns K."""
    if method not in ("script", "trace"):
        raise ExportError("method must be 'script' or 'trace', not %r" % (method,))
    shape = tuple(int(n) for n in input_shape)
    if not shape or min(shape) < 1:
        raise ExportError("input_shape %r must be a non-empty tuple of sizes >= 1" % (shape,))
    model = model.eval()
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()),
                 torch.float32)
    with torch.no_grad():
        try:
            if method == "script":
                saved = torch.jit.script(model)
            else:
                saved = torch.jit.trace(model, torch.zeros((1,) + shape, dtype=dtype))
        except Exception as exc:  # torch.jit raises several kinds
            raise ExportError("torch.jit.%s failed: %s%s" % (
                method, str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                "; try method='trace'" if method == "script" else "")) from exc
        saved.save(path)
        batch = torch.rand((3,) + shape, generator=torch.Generator().manual_seed(0)).to(dtype)
        try:
            expected = model(batch)
            got = torch.jit.load(path)(batch)
        except Exception as exc:  # the module rejects inputs of this shape
            os.remove(path)
            raise ExportError("the model fails on a batch of shape %r: %s" % (
                (3,) + shape, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                ) from exc
    if not (isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[0] == 3
            and torch.equal(got, expected)):
        os.remove(path)
        raise ExportError("the saved module does not return the model's (3, K) logits for a "
                          "batch of 3 inputs of shape %r: the model must map (batch, %s) to "
                          "(batch, K) logits" % (shape, ", ".join(map(str, shape))))
    return int(got.shape[1])


def _load(path):
    """torch.load of a whole pickled model, on the CPU."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # a torch without the weights_only argument (before 1.13)
        return torch.load(path, map_location="cpu")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Write a PyTorch nn.Sequential, saved whole with torch.save(model, path), "
                    "as a probust model file (docs/model_format.md).")
    parser.add_argument("model", help="a file written by torch.save(model, path)")
    parser.add_argument("output", help="the probust model file (or TorchScript file) to write")
    parser.add_argument("--torchscript", metavar="SHAPE",
                        help="write TorchScript instead, for inputs of this shape without the "
                             "batch dimension, e.g. 1,8,8 (any nn.Module)")
    parser.add_argument("--trace", action="store_true",
                        help="with --torchscript: torch.jit.trace instead of torch.jit.script")
    args = parser.parse_args(argv)
    name = "export_pytorch.py"
    try:
        model = _load(args.model)
    except Exception as exc:  # torch raises many kinds (pickle, zip, runtime)
        print("%s: cannot load '%s': %s" % (name, args.model, exc), file=sys.stderr)
        return 1
    if isinstance(model, dict):
        print("%s: '%s' holds a state_dict (weights without the architecture); build the "
              "model in Python and export it there:\n"
              "    model = nn.Sequential(...)   # the same layers as when it was trained\n"
              "    model.load_state_dict(torch.load('%s'))\n"
              "    export_pytorch.export(model, '%s')"
              % (name, args.model, args.model, args.output), file=sys.stderr)
        return 2
    if args.torchscript is not None:
        try:
            shape = tuple(int(n) for n in args.torchscript.split(","))
            k = export_torchscript(model, args.output, shape,
                                   "trace" if args.trace else "script")
        except ValueError as exc:  # ExportError, or a malformed SHAPE
            print("%s: %s: %s" % (name, args.model, exc), file=sys.stderr)
            return 2
        except OSError as exc:
            print("%s: cannot write '%s': %s" % (name, args.output, exc), file=sys.stderr)
            return 1
        print("%s: wrote %s (TorchScript, input shape %s, %d logits)"
              % (name, args.output, args.torchscript, k))
        return 0
    try:
        text = model_text(model)
    except ExportError as exc:
        print("%s: %s: %s" % (name, args.model, exc), file=sys.stderr)
        return 2
    try:
        with open(args.output, "w", encoding="ascii", newline="\n") as out:
            out.write(text)
    except OSError as exc:
        print("%s: cannot write '%s': %s" % (name, args.output, exc), file=sys.stderr)
        return 1
    print("%s: wrote %s (%s)" % (name, args.output, text.splitlines()[2].lstrip("# ")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
