"""The image lesson: a convolutional generator and discriminator (DCGAN style), grids of
images, and a quality score for generated digits.

The pair follows the DCGAN conventions (Radford et al. 2016):

* G: noise ``(n, noise_dim)`` → transposed convolutions that double the picture each layer
  (1×1 → 2×2 → 4×4 → 8×8 for the digits), batch norm and ReLU between them, **tanh** out, so
  pixels land in [−1, 1] like the data;
* D: image ``(n, c, size, size)`` → convolutions with **stride 2** that halve it each layer
  (8×8 → 4×4 → 2×2 → 1×1), leaky ReLU (slope 0.2), batch norm except on the first layer, no
  pooling; one raw score (a logit) per image, ``(n, 1)``;
* weights drawn from N(0, 0.02) (``init_weights``); Adam with learning rate 2e-4 and β₁ = 0.5.

The score (``digit_score``) uses a small classifier trained on real digits (``digit_classifier``,
trained once per session, about a second): the share of images it labels confidently, how
evenly its labels spread over the ten digits, and the classifier's version of the Inception
Score, exp E[KL(p(y|x) ‖ p(y))], which runs from 1 (every image alike or every image
unrecognisable) to 10 (every image a confident digit, all ten equally often).

``nearest_training`` finds, for each picture, the nearest training picture (L2 distance over the
pixels) and how far it is: the standard check that a generator is not replaying its training set.
Compare the distances of generated pictures with those of real pictures left out of the training
set (or, when every real picture was trained on, each real picture against all the others).

``train(G, D, train_step=...)`` is the one image training loop: it trains the networks you
give it, in place, with your step or the library's (``steps.d_step`` then ``steps.g_step``),
and returns an ``ImageResult`` that samples from your G. Its defaults differ from DCGAN's
optimizer: Adam with learning rate 2e-3 and β₁ = 0, and a running average of G's weights
(``ema=0.995``). On the digits, 40 epochs (about 22 s on one thread) then reach a score of 7.66
against 7.23 with DCGAN's 2e-4, β₁ = 0.5 and no average (seed 0).
"""
import contextlib
import copy
import html
import inspect
import io
import math
import time
import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from ..interrupts import interrupt_guard, warm_up
from ..training import steps
from ..training.loop import reads_logits, torch_threads
from ..views import plots
from ..validation import check_bool, check_callable, check_int, check_number, short_repr

__all__ = ["ImageGenerator", "ImageDiscriminator", "init_weights", "generate", "to_grid", "image_grid",
           "snapshot_strip", "snapshot_scrubber", "DigitClassifier", "digit_classifier", "held_out_digits",
           "digit_probabilities", "digit_score", "DigitScore", "nearest_training", "NearestImages", "spatial_sizes",
           "train", "ImageResult", "noise_width"]


# --------------------------------------------------------------------------- the networks

def _check_size(size):
    size = check_int("size", size, low=4, high=256)
    if size & (size - 1):
        raise ValueError(f"size must be a power of two from 4 to 256 (4, 8, 16, 32, ...), since every layer "
                         f"doubles or halves the picture; got {size}.")
    return size


def init_weights(module, generator=None):
    """DCGAN initialisation, in place: every (transposed) convolution's weights from N(0, 0.02),
    batch-norm scales from N(1, 0.02), every bias 0. ``module.apply``-style; returns ``module``."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}.")
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, 0.0, 0.02, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02, generator=generator)
                m.bias.zero_()
    return module


def _seeded(seed):
    if seed is None:
        return None
    return torch.Generator().manual_seed(check_int("seed", seed, low=0))


class ImageGenerator(nn.Module):
    """DCGAN-style generator: noise ``(n, noise_dim)`` → images ``(n, channels, size, size)`` in [−1, 1].

    The noise is read as a 1×1 picture with ``noise_dim`` channels; a transposed convolution
    (kernel 2) makes it 2×2, then each transposed convolution with kernel 4, stride 2, padding 1
    doubles it, up to ``size`` (a power of two). Channels: ``width`` at the last hidden layer,
    twice as many at each layer before. Batch norm and ReLU after every layer but the last,
    tanh on the output. ``seed`` fixes the initial weights (else the global torch seed does).
    """

    def __init__(self, noise_dim=16, size=8, channels=1, width=32, batch_norm=True, seed=None):
        super().__init__()
        self.noise_dim = check_int("noise_dim", noise_dim, low=1)
        self.size = _check_size(size)
        self.channels = check_int("channels", channels, low=1)
        self.width = check_int("width", width, low=1)
        self.batch_norm = check_bool("batch_norm", batch_norm)
        doublings = int(math.log2(self.size)) - 1                 # 2×2 → size
        widths = [self.width * 2 ** (doublings - 1 - i) for i in range(doublings)] + [self.channels]
        layers = [nn.Unflatten(1, (self.noise_dim, 1, 1)),
                  nn.ConvTranspose2d(self.noise_dim, widths[0], 2, 1, 0, bias=not batch_norm)]
        pairs = list(zip(widths[:-1], widths[1:]))
        for k, (c_in, c_out) in enumerate(pairs):
            layers += ([nn.BatchNorm2d(c_in)] if batch_norm else []) + [nn.ReLU()]
            last = k == len(pairs) - 1                            # the output layer keeps its bias
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=last or not batch_norm))
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        self.shapes = [(self.noise_dim, 1)] + [(c, 2 ** (i + 1)) for i, c in enumerate(widths)]
        init_weights(self, _seeded(seed))

    def forward(self, z):
        if z.dim() != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"ImageGenerator expects noise of shape (n, {self.noise_dim}); got {tuple(z.shape)}.")
        return self.net(z)

    def __repr__(self):
        path = " → ".join(f"{c}×{s}×{s}" for c, s in self.shapes)
        norm = "batch norm + ReLU" if self.batch_norm else "ReLU"
        return f"ImageGenerator({path}; transposed convs, {norm}, tanh out)"


class ImageDiscriminator(nn.Module):
    """DCGAN-style discriminator: images ``(n, channels, size, size)`` → ``(n, 1)``.

    Convolutions with kernel 4, stride 2, padding 1 halve the picture down to 2×2, and a last
    convolution (kernel 2) makes one number of it; no pooling. Leaky ReLU (slope 0.2) after every
    hidden layer, batch norm on all but the first. Channels: ``width`` at the first layer, twice
    as many at each layer after. ``sigmoid=False`` (the default) returns a logit, for
    ``nn.BCEWithLogitsLoss``; ``D.outputs_logits`` says which.
    """

    def __init__(self, size=8, channels=1, width=32, batch_norm=True, sigmoid=False, seed=None):
        super().__init__()
        self.size = _check_size(size)
        self.channels = check_int("channels", channels, low=1)
        self.width = check_int("width", width, low=1)
        self.batch_norm = check_bool("batch_norm", batch_norm)
        self.outputs_logits = not check_bool("sigmoid", sigmoid)
        halvings = int(math.log2(self.size)) - 1                  # size → 2×2
        widths = [self.channels] + [self.width * 2 ** i for i in range(halvings)]
        layers = []
        for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
            norm = batch_norm and i > 0
            layers.append(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not norm))
            layers += ([nn.BatchNorm2d(c_out)] if norm else []) + [nn.LeakyReLU(0.2)]
        layers += [nn.Conv2d(widths[-1], 1, 2, 1, 0), nn.Flatten()]
        if sigmoid:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        self.shapes = [(c, self.size // 2 ** i) for i, c in enumerate(widths)] + [(1, 1)]
        init_weights(self, _seeded(seed))

    def forward(self, x):
        expected = (self.channels, self.size, self.size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"ImageDiscriminator expects images of shape (n, {', '.join(map(str, expected))}); "
                             f"got {tuple(x.shape)}.")
        return self.net(x)

    def __repr__(self):
        path = " → ".join(f"{c}×{s}×{s}" for c, s in self.shapes)
        out = "logit" if self.outputs_logits else "sigmoid"
        return f"ImageDiscriminator({path}; stride-2 convs, leaky ReLU, {out} out)"


def spatial_sizes(model, x):
    """``[(layer name, output shape)]`` for each convolution of ``model`` on the input ``x``:
    how a picture's size changes layer by layer."""
    sizes, hooks = [], []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out, name=name: sizes.append((f"{name} {type(mod).__name__}", tuple(out.shape)))))
    try:
        was = model.training
        model.eval()
        with torch.no_grad():
            model(x)
        model.train(was)
    finally:
        for h in hooks:
            h.remove()
    return sizes


@torch.no_grad()
def generate(G, n=64, seed=0, noise=None):
    """``n`` images from ``G`` in evaluation mode (batch norm uses its running statistics), with
    noise from ``seed`` — or the given ``noise`` ``(n, noise_dim)``; G's mode is restored after."""
    if noise is None:
        n = check_int("n", n, low=1)
        dim = getattr(G, "noise_dim", None)
        if dim is None:
            raise ValueError("G has no noise_dim attribute; pass the noise itself: generate(G, noise=z).")
        noise = torch.randn(n, dim, generator=torch.Generator().manual_seed(check_int("seed", seed, low=0)))
    was = G.training
    G.eval()
    try:
        return G(noise)
    finally:
        G.train(was)


# --------------------------------------------------------------------------- pictures

def _images_array(images, name="images"):
    """(n, c, h, w) float array in [−1, 1] from a tensor/array of (n, c, h, w), (n, h, w) or (n, 64)."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().float().numpy()
    try:
        x = np.asarray(images, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a tensor or array of pixels; got {type(images).__name__}.") from None
    if x.ndim == 2 and x.shape[1] == 64:
        x = x.reshape(-1, 1, 8, 8)
    elif x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise ValueError(f"{name} must have shape (n, 1, h, w) or (n, 3, h, w) with n >= 1 (or (n, h, w), or (n, 64) "
                         f"for 8×8 digits); got {tuple(np.shape(images))}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return x


def to_grid(images, nrow=None, pad=1, background=-1.0, label_space=0):
    """Tile images ``(n, c, h, w)`` into one picture, ``nrow`` images a row (default: about square),
    ``pad`` pixels of ``background`` between them and ``label_space`` more above each row (room for
    a caption). Returns an array ``(height, width)`` for one channel, ``(height, width, 3)`` for RGB."""
    x = _images_array(images)
    n, c, h, w = x.shape
    cols = check_int("nrow", nrow, low=1) if nrow is not None else int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    pad = check_int("pad", pad, low=0)
    extra = check_int("label_space", label_space, low=0)
    cell_h, cell_w = h + pad + extra, w + pad
    out = np.full((c, rows * cell_h + pad, cols * cell_w + pad), float(background))
    for k in range(n):
        r, q = divmod(k, cols)
        top, left = pad + extra + r * cell_h, pad + q * cell_w
        out[:, top:top + h, left:left + w] = x[k]
    return out[0] if c == 1 else out.transpose(1, 2, 0)


def image_grid(images, ax=None, *, nrow=None, title="Images", cmap="gray_r", labels=None, pad=1,
               edge=None, fontsize=11):
    """Draw images ``(n, c, h, w)`` in [−1, 1] as a grid; returns the axes.

    Greyscale images use ``cmap`` ("gray_r": −1 white, +1 black, ink on paper like the digits;
    "gray" for photographs); RGB images are shown in colour. ``labels``: one short text per image,
    written above it. ``edge``: a colour for the frame (e.g. plots.REAL or plots.FAKE).
    """
    x = _images_array(images)
    n, c, h, w = x.shape
    cols = check_int("nrow", nrow, low=1) if nrow is not None else int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    if labels is not None:
        labels = [str(t) for t in labels]
        if len(labels) != n:
            raise ValueError(f"labels must hold one text per image ({n}); got {len(labels)}.")
    extra = max(3, h // 2) if labels is not None else 0
    if ax is None:
        per = 0.75 * 8 / max(h, w) if max(h, w) <= 8 else 0.75
        height = rows * (h + pad + extra) / (h + pad)
        _, ax = plt.subplots(figsize=(min(per * cols + 0.6, 13), min(per * height + 0.9, 12)))
    background = 1.0 if (c == 1 and cmap == "gray") else -1.0
    grid = to_grid(x, nrow=cols, pad=pad, background=background, label_space=extra)
    if c == 1:
        ax.imshow(grid, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    else:
        ax.imshow(np.clip((grid + 1) / 2, 0, 1), interpolation="nearest")
    for k, text in enumerate(labels or ()):
        r, q = divmod(k, cols)
        ax.text(pad + q * (w + pad) + w / 2 - 0.5, r * (h + pad + extra) + pad + extra / 2 - 0.5, text,
                ha="center", va="center", fontsize=fontsize, color="black")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(edge is not None)
        if edge is not None:
            side.set_color(edge)
            side.set_linewidth(3)
    ax.set_title(title)
    return ax


def _check_snapshots(snapshots):
    if not isinstance(snapshots, (list, tuple)) or not snapshots:
        raise ValueError("snapshots must be a non-empty list of (step, images) pairs.")
    for item in snapshots:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            raise ValueError(f"snapshots must be (step, images) pairs; got an item of type {type(item).__name__}.")
    return snapshots


def snapshot_strip(snapshots, *, count=5, nrow=6, title="The same noise batch through G during training",
                   unit="step", cmap="gray_r"):
    """A row of image grids at ``count`` evenly spaced snapshots ``[(step, images), ...]``."""
    snapshots = _check_snapshots(snapshots)
    count = check_int("count", count, low=1)
    picks = np.unique(np.linspace(0, len(snapshots) - 1, count).round().astype(int))
    fig, axes = plt.subplots(1, len(picks), figsize=(2.9 * len(picks), 3.3))
    for ax, i in zip(np.atleast_1d(axes), picks):
        step, images = snapshots[i]
        image_grid(images[: nrow * nrow], ax, nrow=nrow, title=f"{unit} {step}", cmap=cmap, edge=plots.FAKE)
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig


def snapshot_scrubber(snapshots, *, captions=None, nrow=8, unit="step", cmap="gray_r"):
    """A slider over stored snapshots ``[(step, images), ...]``: move it to see G's output at each.

    Returns an ipywidgets ``VBox`` (show it as the last line of a cell); ``box.slider`` is the
    slider. ``captions``: one text per snapshot, shown under the grid (e.g. that epoch's score).
    Frames are drawn when first shown and kept.
    """
    import ipywidgets as W

    snapshots = _check_snapshots(snapshots)
    if captions is not None:
        captions = [str(c) for c in captions]
        if len(captions) != len(snapshots):
            raise ValueError(f"captions must hold one text per snapshot ({len(snapshots)}); got {len(captions)}.")
    frames = {}

    def frame(i):
        if i not in frames:
            step, images = snapshots[i]
            fig = plt.Figure(figsize=(4.6, 4.9))
            ax = fig.subplots()
            image_grid(images[: nrow * nrow], ax, nrow=nrow, cmap=cmap, edge=plots.FAKE,
                       title=f"G's output on the fixed noise, {unit} {step}")
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            frames[i] = (buf.getvalue(), captions[i] if captions is not None else "")
        return frames[i]

    slider = W.IntSlider(value=len(snapshots) - 1, min=0, max=len(snapshots) - 1, description="snapshot",
                         continuous_update=True, layout=W.Layout(width="460px"))
    image = W.Image(format="png", layout=W.Layout(width="380px"))
    text = W.HTML()

    def show(change=None):
        png, caption = frame(slider.value)
        image.value = png
        text.value = f"<pre style='font-size:13px'>{html.escape(caption)}</pre>" if caption else ""

    slider.observe(show, names="value")
    show()
    box = W.VBox([slider, image, text])
    box.slider, box.image, box.caption = slider, image, text
    return box


# --------------------------------------------------------------------------- the quality score

class DigitClassifier(nn.Module):
    """A small classifier of 8×8 digits: ``(n, 1, 8, 8)`` in [−1, 1] → logits ``(n, 10)``.

    64 pixels → 64 ReLU units → 10 scores. Train it with ``digit_classifier()``.
    """

    def __init__(self, hidden=64):
        super().__init__()
        self.hidden = check_int("hidden", hidden, low=1)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, self.hidden), nn.ReLU(), nn.Linear(self.hidden, 10))

    def forward(self, x):
        return self.net(x)

    def __repr__(self):
        return f"DigitClassifier(64 pixels → {self.hidden} ReLU → 10 digits)"


_CACHE = {}
TRAIN_SHARE = 1200        # digits the classifier learns from; the other 597 measure it (and the ceiling)
SPLIT_SEED = 0


def _split():
    from .data import load_digits
    images, labels = load_digits()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(SPLIT_SEED))
    return images, labels, order[:TRAIN_SHARE], order[TRAIN_SHARE:]


def digit_classifier(steps=200, seed=0):
    """The score's judge: a ``DigitClassifier`` trained on 1200 of the 1797 real digits (about
    a second, one thread, seeded; trained once per session and kept). Returns it in eval mode;
    ``.accuracy`` is its share of right answers on the 597 digits it did not learn from.

    Training: full-batch Adam (learning rate 0.01, weight decay 1e-3) on the cross-entropy.
    The weight decay keeps it modest about pictures unlike any digit (such as noise).
    """
    steps = check_int("steps", steps, low=1)
    seed = check_int("seed", seed, low=0)
    key = (steps, seed)
    if key not in _CACHE:
        # A Ctrl-C here must not cut an import in half (the digits come from scikit-learn, imported
        # on first use) nor throw away the training, so it waits for the judge (about a second),
        # then stops the caller as usual: a notebook cell, or an enclosing trainer's loop.
        with interrupt_guard() as guard:
            _CACHE[key] = _train_classifier(steps, seed)
        guard.pass_on()
    return _CACHE[key]


def _train_classifier(steps, seed):
    images, labels, train, test = _split()
    with torch.random.fork_rng(devices=[]), torch_threads(1), torch.enable_grad():
        torch.manual_seed(seed)
        model = DigitClassifier()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        x, y = images[train], labels[train]
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        model.accuracy = float((model(images[test]).argmax(1) == labels[test]).float().mean())
    return model


def held_out_digits():
    """``(images, labels)`` of the 597 real digits the score's classifier never saw:
    the fair set for measuring the real-data ceiling."""
    images, labels, _, test = _split()
    return images[test], labels[test]


def _digit_images(images):
    x = _images_array(images)
    if x.shape[1:] != (1, 8, 8):
        raise ValueError(f"images must be 8×8 greyscale digits, shape (n, 1, 8, 8) (or (n, 8, 8), (n, 64)); "
                         f"got {tuple(np.shape(images))}. The digit score only judges digits.")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.05 or hi > 1.05:
        hint = " (it looks like the raw 0–16 scale: use v / 8 − 1)" if lo >= 0 and hi > 2 else ""
        raise ValueError(f"images must be scaled to [−1, 1] like load_digits() (−1 background, +1 ink); got values "
                         f"from {lo:.3g} to {hi:.3g}{hint}.")
    return torch.tensor(x, dtype=torch.float32)


@torch.no_grad()
def digit_probabilities(images):
    """p(y|x): the classifier's probabilities ``(n, 10)`` for digit images ``(n, 1, 8, 8)`` in [−1, 1]."""
    x = _digit_images(images)
    with torch_threads(1):
        return torch.softmax(digit_classifier()(x).double(), dim=1)


@dataclass(frozen=True)
class DigitScore:
    """What ``digit_score`` measured on ``n`` images.

    * ``confident``: share of images whose most likely digit has p(y|x) > ``threshold`` (0–1);
    * ``evenness``: entropy of the histogram of predicted digits divided by log 10 (0: all one
      digit, 1: all ten equally often);
    * ``inception``: exp E[KL(p(y|x) ‖ p(y))], from 1 to 10;
    * ``counts``: how many images were labelled 0, 1, …, 9;
    * ``digits_overall``: exp H(p(y)), how many digits the images spread over, in effect (1–10);
    * ``digits_per_image``: exp E[H(p(y|x))], how many digits one image could be, in effect
      (1: sure of every image, 10: no idea). The score is the first divided by the second.
    """
    confident: float
    evenness: float
    inception: float
    n: int
    threshold: float
    counts: tuple
    digits_overall: float = float("nan")
    digits_per_image: float = float("nan")

    def __str__(self):
        return (f"confident {100 * self.confident:3.0f}%   evenness {self.evenness:.2f}   "
                f"classifier score {self.inception:4.2f}   (n = {self.n})")


def digit_score(images, threshold=0.9):
    """Score generated digits ``(n, 1, 8, 8)`` in [−1, 1] (also ``(n, 8, 8)`` or ``(n, 64)``) with the
    classifier trained on real digits; returns a ``DigitScore``. Use a few hundred images or more:
    with few, p(y) is a poor estimate and every part of the score is noisy."""
    threshold = check_number("threshold", threshold, low=0, high=1, low_open=True, high_open=True)
    x = _digit_images(images)                                         # checks shape and range
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0:
        # no background pixel at −1: most likely pictures on a [0, 1] scale, e.g. (imgs + 1) / 2
        warnings.warn(f"digit_score: images has no value below 0 (values from {lo:.3g} to {hi:.3g}), but the "
                      f"judge expects [−1, 1] (−1 background, +1 ink); a [0, 1] picture v is 2 * v - 1. The "
                      f"score of these images is probably meaningless.", stacklevel=2)
    p = digit_probabilities(x)                                        # (n, 10)
    confident = float((p.max(dim=1).values > threshold).double().mean())
    counts = torch.bincount(p.argmax(dim=1), minlength=10)
    share = counts.double() / len(p)
    nonzero = share[share > 0]
    evenness = float(-(nonzero * nonzero.log()).sum() / math.log(10))
    p_y = p.mean(dim=0, keepdim=True)
    log_p, log_p_y = p.clamp_min(1e-12).log(), p_y.clamp_min(1e-12).log()
    kl = (p * (log_p - log_p_y)).sum(dim=1)
    overall = float((-(p_y * log_p_y).sum()).exp())                               # exp H(p(y))
    per_image = float((-(p * log_p).sum(dim=1)).mean().exp())                     # exp E[H(p(y|x))]
    return DigitScore(confident=confident, evenness=max(0.0, evenness), inception=float(kl.mean().exp()),
                      n=len(p), threshold=threshold, counts=tuple(int(c) for c in counts),
                      digits_overall=overall, digits_per_image=per_image)


# --------------------------------------------------------------------------- memorisation

@dataclass(frozen=True)
class NearestImages:
    """What ``nearest_training`` found for ``n`` pictures: ``distance`` ``(n,)``, the L2 distance over
    the pixels (values in [−1, 1]) to the nearest training picture, and ``index`` ``(n,)``, that
    picture's row in the training set."""
    distance: torch.Tensor
    index: torch.Tensor

    def __repr__(self):
        d = self.distance
        return (f"NearestImages(n = {len(d)}: distance to the nearest training picture min {float(d.min()):.2f}, "
                f"median {float(d.median()):.2f}, max {float(d.max()):.2f})")


@torch.no_grad()
def nearest_training(images, training=None, *, leave_one_out=False, batch=512):
    """For each picture of ``images`` ``(n, c, h, w)``, the nearest picture of ``training``
    ``(m, c, h, w)`` (default: the 1797 digits of ``data.load_digits()``, the set the image lessons
    train on) by the L2 distance over all pixels; returns a ``NearestImages``.

    ``leave_one_out=True`` asks the question for real pictures that are themselves the training set
    (``images`` is ``training``, row for row): picture i is compared with all the others, never with
    itself, so each real picture plays in turn one the training set has not seen.
    For 8×8 digits in [−1, 1] a distance of 0 is an exact copy; one pixel going from paper to ink adds
    2 on its own.
    """
    x = _images_array(images)
    if training is None:
        from .data import load_digits
        training = load_digits()[0]
    t = _images_array(training, "training")
    if x.shape[1:] != t.shape[1:]:
        raise ValueError(f"images and training must be pictures of the same shape (channels, height, width); got "
                         f"{tuple(x.shape[1:])} and {tuple(t.shape[1:])}.")
    leave_one_out = check_bool("leave_one_out", leave_one_out)
    if leave_one_out:
        if len(x) != len(t) or not np.array_equal(x, t):
            raise ValueError(f"leave_one_out=True compares each training picture with the others, so images must be "
                             f"the training set itself, row for row; got {len(x)} images and {len(t)} training "
                             f"pictures{' that differ' if len(x) == len(t) else ''}.")
        if len(t) < 2:
            raise ValueError("leave_one_out=True needs at least 2 training pictures (one to leave out, one to compare).")
    batch = check_int("batch", batch, low=1)
    q = torch.from_numpy(x.reshape(len(x), -1))
    ref = torch.from_numpy(t.reshape(len(t), -1))
    distance, index = torch.empty(len(q), dtype=torch.float64), torch.empty(len(q), dtype=torch.int64)
    for start in range(0, len(q), batch):
        block = torch.cdist(q[start:start + batch], ref, compute_mode="donot_use_mm_for_euclid_dist")   # (b, m)
        if leave_one_out:
            rows = torch.arange(start, min(start + batch, len(q)))
            block[rows - start, rows] = float("inf")
        distance[start:start + batch], index[start:start + batch] = block.min(dim=1)
    return NearestImages(distance=distance, index=index)


# --------------------------------------------------------------------------- training

SCORE_N = 1000          # pictures the score of each epoch is measured on (the same noise every epoch)
PROBE_N = 256           # real and generated pictures D(x) and D(G(z)) are read on after each epoch
SNAPSHOT_N = 64         # pictures of the fixed noise batch kept after each epoch

_COLUMNS = ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "score", "confident", "evenness", "seconds")


def noise_width(G):
    """The length of the noise vectors ``G`` reads: its ``noise_dim`` if it has one, else what its
    first layer takes (``nn.Unflatten(1, (k, 1, 1))`` → k, ``nn.Linear`` → in_features, a
    (transposed) convolution → in_channels). ``None`` when it cannot tell."""
    said = getattr(G, "noise_dim", None)
    if isinstance(said, int) and not isinstance(said, bool):
        return said
    for m in G.modules():
        if isinstance(m, nn.Unflatten) and m.dim in (1, -1) and isinstance(m.unflattened_size, (tuple, list)):
            return int(math.prod(m.unflattened_size))
        if isinstance(m, nn.Linear):
            return m.in_features
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            return m.in_channels
    return None


@dataclass
class ImageResult:
    """What ``train`` returns.

    ``G``, ``D``: your two networks themselves, trained in place (G holds the averaged weights
    when ``ema`` > 0); ``history``: one entry per epoch in each list ``epoch``, ``loss_d``,
    ``loss_g`` (the epoch's mean losses), ``d_real``, ``d_fake`` (D's mean P(real) on 256 real
    pictures and 256 of G's, read after the epoch), ``score``, ``confident``, ``evenness`` (the
    ``digit_score`` of 1000 of G's pictures; NaN when not measured) and ``seconds`` (since the
    start); ``snapshots``: ``[(epoch, images)]``, G's pictures for ``fixed_noise``, epoch 0 first;
    ``status``: "finished", "interrupted" (Ctrl-C) or "diverged" (a loss became NaN or infinite),
    and ``message`` says which and why; ``epochs``: the epochs recorded; ``seconds``: the run's time.
    """
    G: nn.Module
    D: nn.Module
    history: dict
    snapshots: list
    fixed_noise: torch.Tensor
    noise_dim: int
    status: str
    message: str
    epochs: int
    seconds: float
    seed: int

    def sample(self, n=64, seed=0):
        """``n`` pictures ``(n, c, h, w)`` from ``G`` in evaluation mode, noise from ``seed``."""
        n = check_int("n", n, low=1)
        z = torch.randn(n, self.noise_dim, generator=torch.Generator().manual_seed(check_int("seed", seed, low=0)))
        return generate(self.G, noise=z)

    def score(self, n=SCORE_N, seed=0):
        """The ``digit_score`` of ``n`` of G's pictures (8×8 digits only); with the defaults, the
        same noise as the history's score column, so it equals the last entry there."""
        return digit_score(self.sample(n, seed))

    def __repr__(self):
        scores = [s for s in self.history.get("score", []) if not math.isnan(s)]
        score = f", score {scores[-1]:.2f}" if scores else ""
        return f"ImageResult({self.status}: {_epochs(self.epochs)} in {self.seconds:.1f} s{score})"


class _Progress:
    """The progress line: redrawn in place at most every half second, after the first second."""

    def __init__(self, enabled, name, epochs, seconds):
        self.enabled, self.name, self.epochs, self.budget = enabled, name, epochs, seconds
        self.start = time.perf_counter()
        self.next = self.start + 1.0
        self.shown = False

    def update(self, epoch, score):
        now = time.perf_counter()
        if self.enabled and now >= self.next:
            self.next, self.shown = now + 0.5, True
            of = f"/{self.epochs}" if self.epochs is not None else f" (up to {self.budget:g} s)"
            shown = f" · score {score:.2f}" if not math.isnan(score) else ""
            print(f"\r{self.name}: epoch {epoch}{of}{shown} · {now - self.start:.1f} s", end="", flush=True)

    def say(self, line):
        if self.enabled:
            print(("\r" if self.shown else "") + line + " " * 10, flush=True)
            self.shown = False


class _Diverged(Exception):
    """A loss became NaN or infinite: ``args`` are (which player, value)."""


def _check_images(data):
    if data is None:
        from .data import load_digits
        return load_digits()[0]
    if not isinstance(data, torch.Tensor):
        raise TypeError(f"data must be a float tensor of pictures (n, channels, size, size), like data.load_digits()[0] "
                        f"or data.load_image_folder(...); got {type(data).__name__}.")
    if data.dim() != 4 or data.shape[2] != data.shape[3] or len(data) < 2:
        raise ValueError(f"data must hold at least 2 square pictures, shape (n, channels, size, size); got shape "
                         f"{tuple(data.shape)}.")
    if not data.dtype.is_floating_point or not torch.isfinite(data).all():
        raise ValueError("data must hold finite floats in [−1, 1] (like data.load_digits()).")
    lo, hi = float(data.min()), float(data.max())
    if lo >= 0 and hi > 1.05:
        raise ValueError(f"data must lie in [−1, 1] (the range of G's tanh); got values from {lo:.3g} to {hi:.3g}, "
                         f"which looks like the raw 0–16 digits (use v / 8 - 1) or 0–255 pictures (use v / 127.5 - 1).")
    return data.detach().float()


def _check_step(train_step):
    check_callable("train_step", train_step, "a function train_step(G, D, g_opt, d_opt, real, z) that makes one "
                   "step of each network and returns (D's loss, G's loss)")
    try:
        inspect.signature(train_step).bind(*range(6))
    except TypeError:
        raise TypeError(f"train_step is called as train_step(G, D, g_opt, d_opt, real, z), with 6 arguments; "
                        f"{short_repr(train_step)} does not take 6.") from None
    except ValueError:                  # no signature to read (a builtin): let the call tell
        pass
    return train_step


def _library_step(logits):
    """The step ``train`` uses when you give none: ``steps.d_step`` then ``steps.g_step`` (notebook 05's)
    with the non-saturating loss, on the same noise."""
    def library_step(G, D, g_opt, d_opt, real, z):
        loss_d = steps.d_step(G, D, g_opt, d_opt, real, z, "non_saturating", logits=logits)
        loss_g = steps.g_step(G, D, g_opt, d_opt, z, "non_saturating", logits=logits)
        return loss_d, loss_g
    return library_step


def _as_losses(out):
    """What a step returned, as two floats (D's loss, G's loss), or a clear error."""
    def number(x):
        if isinstance(x, torch.Tensor) and x.numel() == 1 and x.is_floating_point():
            return float(x.detach())
        if isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_)):
            return float(x)
        return None
    pair = tuple(out) if isinstance(out, (tuple, list)) and len(out) == 2 else None
    values = tuple(number(x) for x in pair) if pair else None
    if values is None or None in values:
        raise TypeError(f"train_step must return D's loss and G's loss as two numbers, (loss_d.item(), "
                        f"loss_g.item()); it returned {short_repr(out)}.")
    return values


def _check_players(G, D, data, noise_dim):
    """One small forward pass of each (evaluation mode, no gradient): shapes named before any training."""
    z = torch.randn(2, noise_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for net, x, who in ((G, z, "generator"), (D, data[:2], "discriminator")):
            was = net.training
            net.eval()
            try:
                out = net(x)
            except Exception as exc:
                what = f"noise of shape (2, {noise_dim})" if who == "generator" else f"pictures of shape {tuple(x.shape)}"
                hint = " (pass noise_dim= if G reads noise of another length)" if who == "generator" else ""
                raise ValueError(f"the {who} could not be run on {what}: {type(exc).__name__}: {exc}{hint}") from exc
            finally:
                net.train(was)
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"the {who} returned {type(out).__name__}, not a tensor.")
            if who == "generator" and tuple(out.shape[1:]) != tuple(data.shape[1:]):
                raise ValueError(f"the generator makes pictures of shape {tuple(out.shape[1:])}, but the data are "
                                 f"{tuple(data.shape[1:])} (channels, height, width): they must match.")
            if who == "discriminator" and tuple(out.shape) not in ((2, 1), (2,)):
                raise ValueError(f"the discriminator must return one score per picture, shape (n, 1); for 2 pictures "
                                 f"it returned shape {tuple(out.shape)}.")


def _weights(*nets):
    return [copy.deepcopy(net.state_dict()) for net in nets]


def _restore(saved, *nets):
    for state, net in zip(saved, nets):
        net.load_state_dict(state)


@torch.no_grad()
def _look(net, x):
    """``net(x)`` in the mode the steps use (training), with its batch-norm statistics put back
    afterwards: looking changes nothing."""
    buffers = [b.clone() for b in net.buffers()]
    out = net(x)
    for b, saved in zip(net.buffers(), buffers):
        b.copy_(saved)
    return out


def _belief(D, x, logits):
    """D's mean P(real) on the pictures ``x``."""
    out = _look(D, x)
    return float((torch.sigmoid(out) if logits else out).mean())


def _divergence_message(which, value, epoch, kept, lr_d, lr_g, data):
    head = f"Training stopped in epoch {epoch}: the {which} loss became {value} (not a finite number)."
    low, high = float(data.min()), float(data.max())
    if low < -1.5 or high > 1.5:
        cause = (f"Likely cause: the pictures go from {low:.3g} to {high:.3g}, far outside [−1, 1] (the range of G's "
                 "tanh); scale them like data.load_digits().")
    elif lr_d is None:
        cause = "Likely cause: your optimizers' learning rates are too high and the weights blew up; try a tenth."
    else:
        cause = (f"Likely cause: the learning rates are too high (lr_d={lr_d:g}, lr_g={lr_g:g}) and the weights blew "
                 f"up; try {max(lr_d, lr_g) / 10:g}.")
    kept_text = f"the weights from the end of epoch {kept}" if kept else "the weights from before training"
    return f"{head} {cause} The result holds {kept_text}."


def train(generator, discriminator, *, train_step=None, data=None, epochs=None, seconds=None, batch_size=32,
          lr_g=2e-3, lr_d=2e-3, betas=(0.0, 0.999), ema=0.995, g_opt=None, d_opt=None, noise_dim=None, seed=0,
          score_every=1, progress=True, threads=1, name="image GAN"):
    """Train ``generator`` and ``discriminator`` (your modules, trained in place) on pictures;
    returns an ``ImageResult`` whose ``G`` is your generator.

    ``data``: pictures ``(n, c, size, size)`` in [−1, 1] (default: the 1797 8×8 digits). One epoch
    is one pass over them in shuffled batches of ``batch_size`` (an incomplete last batch is
    dropped). Each step calls ``train_step(G, D, g_opt, d_opt, real, z)`` with a real batch and
    noise ``z`` ``(batch_size, noise_dim)``; it must step both networks and return (D's loss,
    G's loss). Without a ``train_step`` the step is notebook 05's: ``steps.d_step`` then
    ``steps.g_step`` on the same ``z``, non-saturating loss (on logits unless D ends in a sigmoid).

    It runs ``epochs`` epochs, or until ``seconds`` have passed (the epoch under way finishes),
    or whichever comes first if both are given; neither: 40 epochs. Optimizers: Adam with
    ``lr_g``, ``lr_d`` and ``betas``, or your own ``g_opt`` and ``d_opt``. ``ema`` > 0 keeps a
    running average of G's weights: after step t, ``avg ← d·avg + (1 − d)·G`` with
    d = min(ema, t / (t + 9)), so that the average soon forgets the untrained start; its batch-norm
    statistics are measured afresh after every epoch. The snapshots and scores are taken from it,
    and G ends up holding it. ``noise_dim``: the noise length (default: read from G's first
    layer). ``seed`` fixes the batches, the noise and any random number your code draws. On 8×8 greyscale pictures the digit score of 1000 pictures is
    measured every ``score_every`` epochs. ``progress`` prints a progress line and a closing line.

    Ctrl-C (the notebook's stop button) stops after the step under way and returns what was
    trained, status "interrupted". A loss that becomes NaN or infinite stops the run, status
    "diverged", with the weights from the end of the last epoch and a message saying why.
    """
    with interrupt_guard() as guard:     # from the first line: the digits' first load imports scikit-learn
        for net, who in ((generator, "generator"), (discriminator, "discriminator")):
            if isinstance(net, type):
                raise TypeError(f"{who} must be a network (an nn.Module instance); got the class {net.__name__} "
                                f"itself. Note the brackets: {net.__name__}(...) makes one.")
            if not isinstance(net, nn.Module):
                if callable(net):
                    raise TypeError(f"{who} must be a torch.nn.Module (a network); got the function "
                                    f"{getattr(net, '__name__', short_repr(net))}. Call the function that builds it: "
                                    f"make_generator(noise_dim) returns the module.")
                raise TypeError(f"{who} must be a torch.nn.Module (a network); got {short_repr(net)}.")
            if not any(p.requires_grad for p in net.parameters()):
                raise ValueError(f"{who} has no trainable parameters, so there is nothing to train.")
        if generator is discriminator:
            raise ValueError("generator and discriminator are the same module; give two separate networks.")
        step = _check_step(train_step) if train_step is not None else _library_step(reads_logits(discriminator))
        data = _check_images(data)
        if epochs is None and seconds is None:
            epochs = 40
        epochs = check_int("epochs", epochs, low=1) if epochs is not None else None
        seconds = check_number("seconds", seconds, low=0, low_open=True) if seconds is not None else None
        batch_size = check_int("batch_size", batch_size, low=2)
        if batch_size > len(data):
            raise ValueError(f"batch_size must be at most the number of pictures ({len(data)}); got {batch_size}.")
        if (g_opt is None) != (d_opt is None):
            raise ValueError("give both g_opt and d_opt (your own optimizers), or neither (Adam with lr_g, lr_d, betas).")
        own_opts = g_opt is not None
        if not own_opts:
            lr_g = check_number("lr_g", lr_g, low=0, low_open=True)
            lr_d = check_number("lr_d", lr_d, low=0, low_open=True)
            if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
                raise ValueError(f"betas must be two numbers (β₁, β₂) for Adam; got {short_repr(betas)}.")
            betas = tuple(check_number("betas", b, low=0, high=1, high_open=True) for b in betas)
        ema = check_number("ema", ema, low=0, high=1, high_open=True)
        noise_dim = check_int("noise_dim", noise_dim, low=1) if noise_dim is not None else noise_width(generator)
        if noise_dim is None:
            raise ValueError("cannot tell how long G's noise vectors are: pass noise_dim=..., the length G reads.")
        seed = check_int("seed", seed, low=0)
        score_every = check_int("score_every", score_every, low=1)
        progress = check_bool("progress", progress)
        threads = check_int("threads", threads, low=1)
        measure = tuple(data.shape[1:]) == (1, 8, 8)
        if measure:
            digit_classifier()           # the score's judge, trained now rather than inside epoch 1
        warm_up()
        _check_players(generator, discriminator, data, noise_dim)
        with torch.random.fork_rng(devices=[]), torch_threads(threads), torch.enable_grad():
            torch.manual_seed(seed)
            if not own_opts:
                g_opt = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
                d_opt = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
            return _train(generator, discriminator, step, data, epochs, seconds, batch_size, g_opt, d_opt, ema,
                          noise_dim, seed, measure, score_every, _Progress(progress, name, epochs, seconds), name,
                          guard, (None, None) if own_opts else (lr_d, lr_g))


def _train(G, D, train_step, data, epochs, seconds, batch_size, g_opt, d_opt, ema, noise_dim, seed, measure,
           score_every, bar, name, guard, rates):
    rng = torch.Generator().manual_seed(seed)
    G.train()
    D.train()
    G_avg = copy.deepcopy(G).requires_grad_(False) if ema > 0 else G          # what is shown and returned
    averaged = list(zip(G_avg.parameters(), G.parameters())) if ema > 0 else []
    logits = reads_logits(D)
    fixed_noise = torch.randn(SNAPSHOT_N, noise_dim, generator=torch.Generator().manual_seed(seed + 1))
    probe_real = data[torch.randperm(len(data), generator=torch.Generator().manual_seed(seed + 2))[:PROBE_N]]
    probe_noise = torch.randn(len(probe_real), noise_dim, generator=torch.Generator().manual_seed(seed + 3))
    score_noise = torch.randn(SCORE_N, noise_dim, generator=torch.Generator().manual_seed(0))   # = result.score()
    history = {key: [] for key in _COLUMNS}
    snapshots = [(0, generate(G_avg, noise=fixed_noise))]
    saved = _weights(G, D, G_avg)                    # the end of the last epoch: what a diverged run returns
    batches = len(data) // batch_size
    started = time.perf_counter()
    status, message, epoch, done_steps, steps_done = "finished", "", 0, 0, 0
    warned = []                                      # the epoch of a warning already given
    try:
        while (epochs is None or epoch < epochs) and (seconds is None or time.perf_counter() - started < seconds):
            order = torch.randperm(len(data), generator=rng)
            loss_d = loss_g = 0.0
            for done_steps in range(batches):
                guard.stop_here()                    # a Ctrl-C asked to stop: here every step is complete
                real = data[order[done_steps * batch_size:(done_steps + 1) * batch_size]]
                z = torch.randn(batch_size, noise_dim, generator=rng)
                value_d, value_g = _as_losses(train_step(G, D, g_opt, d_opt, real, z))
                for which, value in (("discriminator", value_d), ("generator", value_g)):
                    if not math.isfinite(value):
                        raise _Diverged(which, value)
                loss_d, loss_g = loss_d + value_d, loss_g + value_g
                steps_done += 1
                decay = min(ema, steps_done / (steps_done + 9))       # short memory at first: forget the start
                with torch.no_grad():
                    for p_avg, p in averaged:
                        p_avg.lerp_(p, 1.0 - decay)
            done_steps = 0
            epoch += 1
            if ema > 0:
                _recalibrate(G_avg, noise_dim, seed + 4)
            _record(history, snapshots, epoch, loss_d / batches, loss_g / batches, G, G_avg, D, logits, probe_real,
                    probe_noise, fixed_noise, score_noise, measure and epoch % score_every == 0, started, warned)
            saved = _weights(G, D, G_avg)
            bar.update(epoch, history["score"][-1])
    except KeyboardInterrupt:
        status = "interrupted"
    except _Diverged as exc:
        which, value = exc.args
        status = "diverged"
        _restore(saved, G, D, G_avg)
        message = _divergence_message(which, value, epoch + 1, epoch, *rates, data)
    run_time = time.perf_counter() - started
    epoch = _trim(history, snapshots)
    if status == "interrupted":
        of = f" of {epochs}" if epochs is not None else ""
        if done_steps:
            record = f"the record of the {_epochs(epoch)} before" if epoch else "no record yet"
            message = (f"Training interrupted during epoch {epoch + 1}{of}, after {done_steps} of its {batches} steps; "
                       f"the result holds the weights trained so far and {record}.")
        elif epoch:
            message = (f"Training interrupted after epoch {epoch}{of}; the result holds the weights and the record "
                       f"of those {_epochs(epoch)}.")
        else:
            message = "Training interrupted before its first step; the result holds the untrained G and D."
    if ema > 0:                                      # G itself holds the averaged weights it was judged by
        if status == "interrupted" and done_steps:
            with contextlib.suppress(KeyboardInterrupt):         # (a second Ctrl-C: keep the last statistics)
                _recalibrate(G_avg, noise_dim, seed + 4)         # the average moved since its last statistics
        G.load_state_dict(G_avg.state_dict())
    if status == "finished":
        scores = [s for s in history["score"] if not math.isnan(s)]
        shown = f" · score {scores[-1]:.2f}" if scores else ""
        message = f"{name}: {_epochs(epoch)} in {run_time:.1f} s{shown}"
        bar.say(message)
    else:
        bar.say(message)
    return ImageResult(G=G, D=D, history=history, snapshots=snapshots, fixed_noise=fixed_noise, noise_dim=noise_dim,
                       status=status, message=message, epochs=epoch, seconds=run_time, seed=seed)


@torch.no_grad()
def _recalibrate(G, noise_dim, seed, n=1024, batch=256):
    """Measure G's batch-norm statistics afresh, on ``n`` pictures of its own, for the weights it has
    now. The averaged G needs this: the statistics the training G gathered belong to other weights."""
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    saved = [copy.deepcopy(m.state_dict()) for m in norms]
    was = G.training
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None                    # a plain average over the batches below
        G.train()
        rng = torch.Generator().manual_seed(seed)
        for _ in range(n // batch):
            G(torch.randn(batch, noise_dim, generator=rng))
    except BaseException:                        # cut short: the statistics G had before
        for m, state in zip(norms, saved):
            m.load_state_dict(state)
        raise
    finally:
        G.train(was)
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum


def _score_of(pictures, epoch, warned):
    """The digit score of G's pictures, or None when the judge cannot read them (said once a run)."""
    lo, hi = float(pictures.min()), float(pictures.max())
    if not math.isfinite(lo + hi) or lo < -1.05 or hi > 1.05:
        if not warned:
            warned.append(epoch)
            warnings.warn(f"images.train: no digit score from epoch {epoch} on: G's pictures run from {lo:.3g} to "
                          f"{hi:.3g}, and the judge reads pictures in [−1, 1] (end G with nn.Tanh()); the score is NaN "
                          f"for every epoch whose pictures leave that range.", stacklevel=5)
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # (a G that never paints below 0 is scored as it is)
        return digit_score(pictures)


def _epochs(n):
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _record(history, snapshots, epoch, loss_d, loss_g, G, G_avg, D, logits, probe_real, probe_noise, fixed_noise,
            score_noise, measure, started, warned):
    """One epoch's row of every column and its snapshot (an interrupted record is trimmed away).
    D(x) and D(G(z)) read the game as it stands: D against the G it trains against (not the average)."""
    d_real = _belief(D, probe_real, logits)
    d_fake = _belief(D, _look(G, probe_noise), logits)
    nan = float("nan")
    score = _score_of(generate(G_avg, noise=score_noise), epoch, warned) if measure else None
    snapshots.append((epoch, generate(G_avg, noise=fixed_noise)))
    row = (epoch, loss_d, loss_g, d_real, d_fake, score.inception if score else nan,
           score.confident if score else nan, score.evenness if score else nan, time.perf_counter() - started)
    for key, value in zip(_COLUMNS, row):
        history[key].append(value)


def _trim(history, snapshots):
    """Cut every column (and the snapshots after the first) to the epochs recorded in full; returns that number."""
    done = min([len(v) for v in history.values()] + [len(snapshots) - 1])
    for v in history.values():
        del v[done:]
    del snapshots[done + 1:]
    return done
