#!/usr/bin/python3
"""Train the small convolutional network of the TorchScript examples on the bundled digits.

    /usr/bin/python3 examples/python/train_cnn.py [output.pt]
    (default: examples/data/digits_cnn.pt; needs python3-torch)

The network (3 658 float32 parameters) maps a 1 × 8 × 8 image (pixels / 16, in [0, 1])
to 10 logits:

    Conv2d(1, 8, 3, padding=1) → ReLU → MaxPool2d(2)      8 × 4 × 4
    Conv2d(8, 16, 3, padding=1) → ReLU → MaxPool2d(2)     16 × 2 × 2
    Flatten → Linear(64, 32) → ReLU → Linear(32, 10)      logits

Data: the 1347 training images of split_digits (examples/digits_data.hpp, reproduced by
digits_split.py); the 450 test images are only used to report the accuracy.
Training: PyTorch's default initialisation after torch.manual_seed(0); softmax
cross-entropy; Adam (step 3e-3, weight decay 1e-4) on mini-batches of 32 for 60 epochs,
in an order drawn from a torch.Generator seeded with 1. One thread and
torch.use_deterministic_algorithms(True), so a rerun on the same machine and PyTorch
build writes the same weights; other builds may differ in the last bits.

The model is saved with torch.jit.script(model).save(path), in eval mode: C++ loads it
with probust::load_torch_model(path, {1, 8, 8}). Exit status 1 if the test accuracy is
below 0.95.
"""

import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_split import DATA, load_digits, test_rows  # noqa: E402

EPOCHS = 60
BATCH = 32


def make_network():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).double().mean())


def main(argv):
    path = argv[1] if len(argv) > 1 else os.path.join(DATA, "digits_cnn.pt")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)

    pixels, labels = load_digits()
    test = test_rows()
    train = sorted(set(range(len(labels))) - set(test))
    images = torch.from_numpy(pixels).float().reshape(-1, 1, 8, 8)
    targets = torch.from_numpy(labels)
    x_train, y_train = images[train], targets[train]
    x_test, y_test = images[test], targets[test]

    model = make_network()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.Generator().manual_seed(1)
    for epoch in range(EPOCHS):
        model.train()
        for batch in torch.randperm(len(train), generator=order).split(BATCH):
            optimizer.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
    model.eval()
    train_acc, test_acc = accuracy(model, x_train, y_train), accuracy(model, x_test, y_test)
    torch.jit.script(model).save(path)
    print("%s: %d parameters, train accuracy %.4f, test accuracy %.4f (%d images)"
          % (path, sum(p.numel() for p in model.parameters()), train_acc, test_acc, len(test)))
    return 0 if test_acc >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
