#!/usr/bin/python3
"""Test of export_pytorch.py: does probust compute what PyTorch computes?

    /usr/bin/python3 examples/python/test_export_pytorch.py PATH/TO/print_logits

(ctest runs it as python_export_pytorch, passing the print_logits it built.) Without
python3-torch it prints why and exits 77, which ctest reports as skipped.

For random nn.Sequential models (seeded with torch.manual_seed) covering every supported
module — ReLU, Tanh, Sigmoid, Softplus, GELU, LeakyReLU with its default and another
slope, Identity, Dropout, Flatten, nested Sequentials, Linear without bias, two Linears
in a row, an activation on the last layer, float32 and float64 weights — it exports the
model, runs print_logits on random points, and checks, point by point, that probust's
logits and logit Jacobian agree with PyTorch's float64 forward pass (model.double()) and
autograd to 1e-12 relative to the largest entry. It also checks that weights arrive bit
for bit (a float64 Linear evaluated at unit vectors returns its columns exactly), that the
command line writes the same file as export(), and that unsupported models are refused
with the module named (exit 2 from the command line).
"""

import os
import subprocess
import sys
import tempfile
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("SKIPPED: python3-torch is not installed (apt-get install python3-torch)")
    print("(interpreter: %s; configure with -DPython3_EXECUTABLE=/usr/bin/python3 to use "
          "Debian's)" % sys.executable)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_pytorch  # noqa: E402  (after the path and the torch check)

TOLERANCE = 1e-12
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)
    return condition


def print_logits(tool, model_file, points, jacobian):
    """probust's logits (n × K) and, with jacobian, Jacobians (n × K × d) at `points`."""
    csv = model_file + ".points.csv"
    with open(csv, "w") as out:
        for row in points.tolist():
            out.write(",".join(repr(v) for v in row) + "\n")
    command = [tool, model_file, csv] + (["--jacobian"] if jacobian else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(command), done.returncode,
                                                   done.stderr.strip()))
    rows = [[float(v) for v in line.split(",")] for line in done.stdout.splitlines()]
    return torch.tensor(rows, dtype=torch.float64)


def relative_error(ours, reference):
    """max |ours − reference| / max |reference| (the error relative to the largest entry)."""
    scale = reference.abs().max().item()
    return (ours - reference).abs().max().item() / (scale if scale > 0 else 1.0)


def architectures():
    """(name, model, input shape) for every supported module; the comments say what each
    case adds."""
    torch.manual_seed(20240611)
    yield "relu", nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3)), (5,)
    yield "tanh+sigmoid with Flatten", nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 8), nn.Sigmoid(),
        nn.Linear(8, 4)), (3, 4)
    yield "softplus+gelu+leaky_relu(0.2)+identity", nn.Sequential(
        nn.Linear(6, 10), nn.Softplus(), nn.Linear(10, 10), nn.GELU(), nn.Linear(10, 7),
        nn.LeakyReLU(0.2), nn.Linear(7, 3), nn.Identity()), (6,)
    # Default LeakyReLU slope, Dropout skipped, a nested Sequential, a Linear without bias,
    # two Linears in a row (identity between them), an activation on the last layer.
    yield "nested, no bias, linear-linear, last activation", nn.Sequential(
        nn.Linear(4, 9, bias=False), nn.LeakyReLU(), nn.Dropout(0.5),
        nn.Sequential(nn.Linear(9, 6), nn.Linear(6, 5), nn.GELU()),
        nn.Linear(5, 2), nn.Tanh()), (4,)
    yield "affine (one Linear)", nn.Sequential(nn.Linear(7, 4)), (7,)
    yield "digits-sized relu/gelu", nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.GELU(), nn.Linear(64, 10)), (64,)
    # float64 weights: every weight needs all 17 digits, not just float32's 9.
    yield "float64 weights", nn.Sequential(
        nn.Linear(8, 12), nn.Softplus(), nn.Linear(12, 12), nn.Sigmoid(),
        nn.Linear(12, 5)).double(), (8,)


def test_against_pytorch(tool, tmp):
    torch.manual_seed(7)
    for number, (name, model, shape) in enumerate(architectures()):
        model.eval()
        path = os.path.join(tmp, "model%d.model" % number)
        export_pytorch.export(model, path)
        reference = model.double()
        points = torch.randn((9,) + shape, dtype=torch.float64) * 1.5
        points[0].zero_()
        flat = points.reshape(points.shape[0], -1)
        with torch.no_grad():
            logits = reference(points)
        jacobians = torch.stack([
            torch.autograd.functional.jacobian(lambda v: reference(v.reshape((1,) + shape))[0],
                                               x) for x in flat])
        K, d = logits.shape[1], flat.shape[1]
        ours = print_logits(tool, path, flat, jacobian=True)
        if not check(ours.shape == (flat.shape[0], K + K * d),
                     "%s: print_logits returned shape %s, expected %s"
                     % (name, tuple(ours.shape), (flat.shape[0], K + K * d))):
            continue
        failed_before = len(failures)
        worst_f = worst_j = 0.0
        for i in range(flat.shape[0]):
            err_f = relative_error(ours[i, :K], logits[i])
            err_j = relative_error(ours[i, K:].reshape(K, d), jacobians[i])
            worst_f, worst_j = max(worst_f, err_f), max(worst_j, err_j)
            check(err_f <= TOLERANCE, "%s, point %d: logits differ by %.3g (relative)"
                  % (name, i, err_f))
            check(err_j <= TOLERANCE, "%s, point %d: Jacobians differ by %.3g (relative)"
                  % (name, i, err_j))
        print("%s %-48s d=%-3d K=%-2d max relative difference: logits %.1e, Jacobian %.1e"
              % ("ok  " if len(failures) == failed_before else "BAD ", name, d, K, worst_f,
                 worst_j))


def test_exact_weights(tool, tmp):
    """W e_j = column j of W exactly when b = 0: the file carries every bit."""
    values = [0.1, 1.0 / 3.0, -2.0 / 3.0, 1e-300, -1.2345678901234567e300,
              2.2250738585072014e-308, 4.9406564584124654e-324, -0.0, 123456789.123456789,
              float(torch.tensor(0.1, dtype=torch.float32))]
    layer = nn.Linear(len(values), 3).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([values, values[::-1], [v * 7 for v in values]],
                                        dtype=torch.float64))
        layer.bias.zero_()
    path = os.path.join(tmp, "exact.model")
    export_pytorch.export(nn.Sequential(layer), path)
    ours = print_logits(tool, path, torch.eye(len(values), dtype=torch.float64), jacobian=False)
    expected = layer.weight.detach().t()
    same = bool((ours == expected).all())
    check(same, "weights do not round-trip bit for bit: %s vs %s"
          % (ours[(ours != expected)].tolist(), expected[(ours != expected)].tolist()))
    if same:
        print("ok   weights arrive bit for bit (subnormal, 1e±300, float32 0.1)")


def test_command_line(tmp):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    script = os.path.join(HERE, "export_pytorch.py")
    saved = os.path.join(tmp, "whole.pt")
    torch.save(model, saved)
    out = os.path.join(tmp, "cli.model")
    done = subprocess.run([sys.executable, script, saved, out], capture_output=True, text=True)
    check(done.returncode == 0, "CLI failed on a whole model (%d): %s"
          % (done.returncode, done.stderr.strip()))
    if done.returncode == 0:
        with open(out) as f:
            check(f.read() == export_pytorch.model_text(model),
                  "the CLI wrote a different file than model_text()")
    # A state_dict: exit 2, and the message says how to export it.
    weights = os.path.join(tmp, "weights.pt")
    torch.save(model.state_dict(), weights)
    done = subprocess.run([sys.executable, script, weights, out], capture_output=True, text=True)
    check(done.returncode == 2 and "state_dict" in done.stderr,
          "CLI on a state_dict: exit %d, stderr %r" % (done.returncode, done.stderr))
    # An unsupported module: exit 2, module and index named.
    bad = os.path.join(tmp, "bad.pt")
    torch.save(nn.Sequential(nn.Linear(3, 3), nn.ELU(), nn.Linear(3, 2)), bad)
    done = subprocess.run([sys.executable, script, bad, out], capture_output=True, text=True)
    check(done.returncode == 2 and "module 1 (ELU" in done.stderr,
          "CLI on an unsupported module: exit %d, stderr %r" % (done.returncode, done.stderr))
    done = subprocess.run([sys.executable, script, os.path.join(tmp, "missing.pt"), out],
                          capture_output=True, text=True)
    check(done.returncode == 1 and "missing.pt" in done.stderr,
          "CLI on a missing file: exit %d, stderr %r" % (done.returncode, done.stderr))
    print("ok   command line: whole model, state_dict, unsupported module, missing file")


class Custom(nn.Module):
    def forward(self, x):
        return x


def test_rejections():
    """(model, text the error must contain): every refusal names the module."""
    cases = [
        (nn.Sequential(nn.Linear(4, 4), nn.Conv2d(1, 1, 3)), "module 1 (Conv2d"),
        (nn.Sequential(nn.Linear(4, 4), nn.GELU(approximate="tanh")), "approximate='tanh'"),
        (nn.Sequential(nn.Linear(4, 4), nn.Softplus(beta=2.0)), "module 1 (Softplus"),
        (nn.Sequential(nn.Linear(4, 4), nn.Softplus(threshold=5.0)), "threshold"),
        (nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Tanh()), "module 2 (Tanh()) follows"),
        (nn.Sequential(nn.ReLU(), nn.Linear(4, 4)), "module 0 (ReLU()) comes before"),
        (nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))),
         "module 1.1 (Softmax"),
        (nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)), "module 1 (BatchNorm1d"),
        (nn.Sequential(nn.Flatten(0), nn.Linear(4, 4)), "module 0 (Flatten"),
        (nn.Sequential(nn.Linear(4, 4), Custom()), "module 1 (Custom"),
        (nn.Sequential(nn.Identity()), "no nn.Linear"),
        (nn.Linear(4, 4), "not an nn.Sequential"),
        (nn.Sequential(nn.Linear(4, 4), nn.Linear(3, 2)), "layer 2"),
    ]
    for model, expected in cases:
        try:
            export_pytorch.model_text(model)
            check(False, "%r was exported, expected an error containing %r" % (model, expected))
        except export_pytorch.ExportError as exc:
            check(expected in str(exc), "the error for %r is %r, expected it to contain %r"
                  % (model, str(exc), expected))
    print("ok   %d unsupported models refused with the module named" % len(cases))


def test_torchscript(tmp):
    """export_torchscript (script and trace) and --torchscript: the file reloads to the
    model's logits; a model that does not return (batch, K) logits is refused."""
    torch.manual_seed(3)
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(64, 5)).double()
    batch = torch.rand(4, 1, 8, 8, dtype=torch.float64)
    for method in ("script", "trace"):
        path = os.path.join(tmp, "cnn_%s.pt" % method)
        k = export_pytorch.export_torchscript(cnn, path, (1, 8, 8), method)
        with torch.no_grad():
            same = torch.equal(torch.jit.load(path)(batch), cnn(batch))
        check(k == 5 and same, "export_torchscript(%s): K = %d, reloaded logits equal: %s"
              % (method, k, same))

    class Total(nn.Module):  # one number per batch, not (batch, K) logits
        def forward(self, x):
            return x.sum()

    path = os.path.join(tmp, "total.pt")
    try:
        export_pytorch.export_torchscript(Total(), path, (3,))
        check(False, "a module returning a scalar was exported as TorchScript")
    except export_pytorch.ExportError as exc:
        check("(batch, K) logits" in str(exc) and not os.path.exists(path),
              "unexpected refusal or leftover file: %s" % exc)

    whole = os.path.join(tmp, "whole_cnn.pt")
    torch.save(cnn, whole)
    out = os.path.join(tmp, "cli_cnn.pt")
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_pytorch.py"), whole, out,
                           "--torchscript", "1,8,8", "--trace"], capture_output=True, text=True)
    with torch.no_grad():
        same = done.returncode == 0 and torch.equal(torch.jit.load(out)(batch), cnn(batch))
    check(same and "5 logits" in done.stdout,
          "--torchscript --trace failed (%d): %s" % (done.returncode, done.stderr))
    done = subprocess.run([sys.executable, os.path.join(HERE, "export_pytorch.py"), whole, out,
                           "--torchscript", "1,8"], capture_output=True, text=True)
    check(done.returncode == 2 and "fails on a batch of shape (3, 1, 8)" in done.stderr
          and not os.path.exists(out),
          "--torchscript with a wrong shape: exit %d, %s" % (done.returncode, done.stderr))
    print("ok   TorchScript export (script, trace, command line, refusal)")


def main():
    if len(sys.argv) != 2 or not os.path.isfile(sys.argv[1]):
        print("usage: test_export_pytorch.py PATH/TO/print_logits", file=sys.stderr)
        return 2
    tool = sys.argv[1]
    start = time.time()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="probust-export-") as tmp:
        test_against_pytorch(tool, tmp)
        test_exact_weights(tool, tmp)
        test_command_line(tmp)
        test_rejections()
        test_torchscript(tmp)
    print("%s in %.1f s" % ("FAILED (%d checks)" % len(failures) if failures else "passed",
                            time.time() - start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
