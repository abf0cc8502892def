"""The conditional GAN of the digits: both players are told which digit is meant.

A conditional GAN (Mirza and Osindero, 2014) gives G and D one extra input, the label y:

* G: noise ``(n, noise_dim)`` and labels ``(n,)`` → images ``(n, 1, 8, 8)``. The label becomes a
  one-hot row of ``classes`` numbers appended to the noise (``generator_input``, or the
  student's own function of that name, passed as ``generator_input=``), and the DCGAN generator
  of notebook 10 (``images.ImageGenerator``) takes the longer vector;
* D: images ``(n, 1, 8, 8)`` and labels ``(n,)`` → one logit per image ``(n, 1)``. Each of the
  one-hot numbers becomes a constant 8×8 plane stacked onto the picture as an extra channel
  (``discriminator_input``), so D reads 1 + classes channels; otherwise it is notebook 10's
  ``images.ImageDiscriminator``.

Real digits go to D with their true labels, fakes with the labels G was asked for, so D learns
to reject a picture that does not match its label, and G must draw the digit it was asked for.

``train_conditional`` trains the pair with notebook 05's two steps (``steps.d_step`` and
``steps.g_step``, Adam 2e-4, β₁ = 0.5): the labels reach them inside the batch, as the (picture,
label) pairs D judges (``AskedFor``). ``result.save(path)`` and ``gan_lesson.load(path)`` keep a
run. ``class_agreement`` measures how often the digit classifier of ``images.digit_classifier``
reads a picture asked to be k as k; ``digit_rows`` draws one row per digit and
``digit_picker`` is a widget that draws the digit you pick.
"""
import contextlib
import copy
import functools
import html
import inspect
import io
import math
import time
from dataclasses import dataclass, field

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..interrupts import interrupt_guard
from ..training import steps
from ..training.loop import Progress, torch_threads
from ..training.results import History, damaged, write_result
from ..validation import check_bool, check_int, check_number, short_repr
from ..views import plots
from .images import ImageDiscriminator, ImageGenerator, digit_classifier, digit_probabilities, image_grid

__all__ = ["CLASSES", "one_hot", "generator_input", "discriminator_input", "ConditionalGenerator",
           "ConditionalDiscriminator", "generate", "AskedFor", "train_conditional", "ConditionalResult", "from_saved",
           "HISTORY_COLUMNS", "class_agreement",
           "agreement_of", "ClassAgreement", "digit_rows", "picker_frame", "digit_picker", "conditional_diagram",
           "agreement_bars", "conditional_snapshot_strip"]

#: The digits 0–9: ten classes.
CLASSES = 10


# --------------------------------------------------------------------------- the label as input

def _labels(labels, classes, n=None, name="labels"):
    """``labels`` as an int64 tensor ``(n,)`` with values 0 … classes − 1 (clear errors otherwise)."""
    if isinstance(labels, torch.Tensor):
        t = labels.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(labels))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be a tensor or list of whole numbers from 0 to {classes - 1}; got "
                            f"{type(labels).__name__}.") from None
    if t.dtype == torch.bool or t.dtype.is_floating_point or t.dtype.is_complex:
        raise TypeError(f"{name} must hold whole numbers (an integer tensor such as torch.int64) from 0 to "
                        f"{classes - 1}; got dtype {str(t.dtype).replace('torch.', '')}.")
    if t.dim() != 1:
        raise ValueError(f"{name} must be one label per row, shape (n,); got shape {tuple(t.shape)}.")
    if n is not None and len(t) != n:
        raise ValueError(f"{name} must hold one label per row ({n}); got {len(t)}.")
    if len(t) and (int(t.min()) < 0 or int(t.max()) >= classes):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f"{name} must be whole numbers from 0 to {classes - 1} (classes={classes}); got {bad}.")
    return t.long()


def one_hot(labels, classes=CLASSES):
    """Labels ``(n,)`` (whole numbers 0 … classes − 1) → float32 rows ``(n, classes)``: a 1 in the
    label's column, 0 elsewhere. ``one_hot([2, 0], 3)`` is ``[[0, 0, 1], [1, 0, 0]]``."""
    classes = check_int("classes", classes, low=2)
    return F.one_hot(_labels(labels, classes), classes).float()


def _noise(z, noise_dim=None):
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"z must be a tensor of noise of shape (n, noise_dim); got {type(z).__name__}.")
    if z.dim() != 2 or (noise_dim is not None and z.shape[1] != noise_dim):
        want = f"(n, {noise_dim})" if noise_dim is not None else "(n, noise_dim)"
        raise ValueError(f"z must be noise of shape {want}; got {tuple(z.shape)}.")
    return z


def generator_input(z, labels, classes=CLASSES):
    """What a conditional G reads: the noise ``(n, noise_dim)`` with the one-hot label appended,
    ``(n, noise_dim + classes)``, float32."""
    z = _noise(z)
    return torch.cat([z.float(), one_hot(_labels(labels, classes, len(z)), classes)], dim=1)


def discriminator_input(x, labels, classes=CLASSES):
    """What a conditional D reads: images ``(n, c, h, w)`` with ``classes`` more channels, channel
    c + k all ones when the label is k and all zeros otherwise: ``(n, c + classes, h, w)``."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"x must be images of shape (n, channels, height, width); got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}.")
    planes = one_hot(_labels(labels, classes, len(x)), classes)[:, :, None, None]
    return torch.cat([x, planes.expand(-1, -1, x.shape[2], x.shape[3])], dim=1)


# --------------------------------------------------------------------------- the two players

def _check_input_maker(generator_input):
    if generator_input is not None and not callable(generator_input):
        raise TypeError(f"generator_input must be a function (z, labels, classes) -> tensor (n, noise_dim + classes), "
                        f"or None for the package's own; got {type(generator_input).__name__}.")
    return generator_input


class ConditionalGenerator(nn.Module):
    """Noise ``(n, noise_dim)`` and labels ``(n,)`` → images ``(n, channels, size, size)`` in [−1, 1].

    ``G(z, labels)`` builds its input from the noise and the labels, the one-hot label appended
    to the noise, and runs notebook 10's DCGAN generator on it (``self.body``, an
    ``images.ImageGenerator`` for noise_dim + classes inputs). The input is built by
    ``generator_input(z, labels, classes)``: the package's function of that name, or your own
    (notebook 11's exercise), which must return a float tensor ``(n, noise_dim + classes)``.
    ``seed`` fixes the initial weights.
    """

    def __init__(self, noise_dim=16, classes=CLASSES, size=8, channels=1, width=32, seed=None,
                 generator_input=None):
        super().__init__()
        self.noise_dim = check_int("noise_dim", noise_dim, low=1)
        self.classes = check_int("classes", classes, low=2)
        self.generator_input = _check_input_maker(generator_input)
        self.body = ImageGenerator(noise_dim=self.noise_dim + self.classes, size=size, channels=channels,
                                   width=width, seed=seed)
        self.size, self.channels = self.body.size, self.body.channels

    def forward(self, z, labels):
        z = _noise(z, self.noise_dim)
        if self.generator_input is None:
            return self.body(generator_input(z, labels, self.classes))
        labels = _labels(labels, self.classes, len(z))
        v = self.generator_input(z, labels, self.classes)
        want = (len(z), self.noise_dim + self.classes)
        name = getattr(self.generator_input, "__name__", "generator_input")
        if not isinstance(v, torch.Tensor):
            raise TypeError(f"{name}(z, labels, {self.classes}) must return a tensor of shape {want}; "
                            f"got {type(v).__name__}.")
        if tuple(v.shape) != want:
            raise ValueError(f"{name}(z, labels, {self.classes}) returned shape {tuple(v.shape)}; this generator reads "
                             f"{want}: {self.noise_dim} noise numbers and {self.classes} one-hot label numbers a row.")
        if not v.dtype.is_floating_point:
            raise TypeError(f"{name}(z, labels, {self.classes}) returned dtype {str(v.dtype).replace('torch.', '')}; "
                            "the generator's layers need floats (make the one-hot rows float with .float()).")
        return self.body(v.to(z.dtype) if z.dtype.is_floating_point else v.float())

    def __repr__(self):
        path = " → ".join(f"{c}×{s}×{s}" for c, s in self.body.shapes)
        maker = "" if self.generator_input is None else \
            f", input built by {getattr(self.generator_input, '__name__', 'your function')}"
        return (f"ConditionalGenerator(noise {self.noise_dim} + one-hot label {self.classes} = "
                f"{path}; transposed convs, tanh out{maker})")


class ConditionalDiscriminator(nn.Module):
    """Images ``(n, channels, size, size)`` and labels ``(n,)`` → one logit per image ``(n, 1)``.

    ``D(x, labels)`` stacks ``classes`` label planes onto the picture and runs notebook 10's
    DCGAN discriminator (``self.body``, an ``images.ImageDiscriminator`` for channels + classes
    input channels). ``seed`` fixes the initial weights.
    """

    def __init__(self, classes=CLASSES, size=8, channels=1, width=32, seed=None):
        super().__init__()
        self.classes = check_int("classes", classes, low=2)
        self.channels = check_int("channels", channels, low=1)
        self.body = ImageDiscriminator(size=size, channels=self.channels + self.classes, width=width, seed=seed)
        self.size = self.body.size
        self.outputs_logits = True

    def forward(self, x, labels):
        expected = (self.channels, self.size, self.size)
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"ConditionalDiscriminator expects images of shape (n, {', '.join(map(str, expected))}); "
                             f"got {got}.")
        return self.body(discriminator_input(x, labels, self.classes))

    def __repr__(self):
        c, s = self.body.shapes[0]
        rest = " → ".join(f"{c}×{s}×{s}" for c, s in self.body.shapes[1:])
        return (f"ConditionalDiscriminator(image {self.channels} + label planes {self.classes} = {c}×{s}×{s} → "
                f"{rest}; stride-2 convs, leaky ReLU, logit out)")


def _seeded_noise(n, dim, seed):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(check_int("seed", seed, low=0)))


@torch.no_grad()
def generate(G, labels, seed=0, noise=None):
    """Images from the conditional ``G`` for ``labels`` (a digit, or one label per image), in
    evaluation mode (G's mode is restored after). The noise comes from ``seed``, or is the given
    ``noise`` ``(n, noise_dim)``. ``generate(G, [7] * 8)``: eight 7s; ``generate(G, 7)``: one."""
    if not isinstance(G, ConditionalGenerator):
        raise TypeError(f"G must be a ConditionalGenerator; got {type(G).__name__}.")
    if isinstance(labels, (int, np.integer)) and not isinstance(labels, bool):
        labels = [int(labels)]
    elif isinstance(labels, (torch.Tensor, np.ndarray)) and labels.ndim == 0:
        labels = labels.reshape(1)          # torch.tensor(3), np.array(3): one digit, like a plain 3
    labels = _labels(labels, G.classes)
    if len(labels) == 0:
        raise ValueError("labels must hold at least one label.")
    if noise is None:
        noise = _seeded_noise(len(labels), G.noise_dim, seed)
    noise = _noise(noise, G.noise_dim)
    if len(noise) != len(labels):
        raise ValueError(f"noise must hold one row per label ({len(labels)}); got {len(noise)}.")
    was = G.training
    G.eval()
    try:
        return G(noise, labels)
    finally:
        G.train(was)


# --------------------------------------------------------------------------- the measure

@dataclass(frozen=True)
class ClassAgreement:
    """How often the digit classifier reads a picture meant to be digit k as k.

    * ``per_class``: for each digit k, the share of the pictures meant to be k read as k (0–1);
    * ``overall``: the same share over all pictures;
    * ``confusion``: counts, row = the digit asked for (or the true label), column = the digit read;
    * ``counts``: how many pictures each digit had.
    """
    per_class: tuple
    overall: float
    confusion: tuple
    counts: tuple

    @property
    def worst(self):
        """``(digit, share)`` of the digit drawn right least often."""
        k = int(np.argmin(self.per_class))
        return k, self.per_class[k]

    def __str__(self):
        k, share = self.worst
        return (f"read as the intended digit: {100 * self.overall:3.0f}% overall, hardest digit {k} at "
                f"{100 * share:.0f}% (n = {sum(self.counts)})")


def agreement_of(images, labels):
    """``ClassAgreement`` of digit images ``(n, 1, 8, 8)`` in [−1, 1] with the digits they are meant
    to show, ``labels`` ``(n,)``: for generated pictures the digits asked for, for real ones
    their true labels (the ceiling)."""
    p = digit_probabilities(images)                    # checks the images
    labels = _labels(labels, CLASSES, len(p))
    read = p.argmax(dim=1)
    confusion = torch.zeros(CLASSES, CLASSES, dtype=torch.long)
    confusion.index_put_((labels, read), torch.ones_like(labels), accumulate=True)
    counts = confusion.sum(dim=1)
    per_class = tuple(float(confusion[k, k] / counts[k]) if counts[k] else float("nan") for k in range(CLASSES))
    overall = float((read == labels).double().mean())
    return ClassAgreement(per_class=per_class, overall=overall,
                          confusion=tuple(tuple(int(v) for v in row) for row in confusion),
                          counts=tuple(int(c) for c in counts))


def class_agreement(G, per_class=100, seed=0):
    """Ask the conditional ``G`` for ``per_class`` pictures of every digit 0–9 (noise from
    ``seed``) and measure how often the digit classifier reads each as the digit asked for.
    Returns a ``ClassAgreement``; chance is 0.1 (one digit in ten)."""
    if not isinstance(G, ConditionalGenerator):
        raise TypeError(f"G must be a ConditionalGenerator; got {type(G).__name__}.")
    if G.classes != CLASSES or (G.channels, G.size) != (1, 8):
        raise ValueError(f"class_agreement measures generators of 8×8 greyscale digits with {CLASSES} classes; "
                         f"this G makes {G.channels}×{G.size}×{G.size} pictures of {G.classes} classes.")
    per_class = check_int("per_class", per_class, low=1)
    labels = torch.arange(CLASSES).repeat_interleave(per_class)
    return agreement_of(generate(G, labels, seed=seed), labels)


# --------------------------------------------------------------------------- training

FORMAT = "gan-lesson/conditional-result"
FORMAT_VERSION = 1

#: What ``train_conditional`` records after every epoch: ``ConditionalResult.history``'s columns.
HISTORY_COLUMNS = ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "agreement", "seconds")


class AskedFor(nn.Module):
    """The conditional ``G`` asked for one batch's ``labels``, in the form notebook 05's steps call a
    generator: ``AskedFor(G, y)(z)`` is ``discriminator_input(G(z, y), y)``, each picture with the
    planes of the label it was asked for stacked behind it, ``(n, c + classes, h, w)``.

    These (picture, label) pairs are what D judges, so one D serves the real batch (its own labels)
    and the fakes (the labels asked for): the steps get the real batch as pairs too,
    ``discriminator_input(x, y)``, and D as ``D.body``, which reads pairs:
    ``D.body(discriminator_input(x, y))`` is ``D(x, y)``.
    """

    def __init__(self, G, labels):
        super().__init__()
        self.G, self.labels = G, labels

    def forward(self, z):
        return discriminator_input(self.G(z, self.labels), self.labels, self.G.classes)

    def __repr__(self):
        return f"AskedFor(G, {len(self.labels)} labels): noise (n, {self.G.noise_dim}) → (picture, label) pairs"


@dataclass
class ConditionalResult:
    """What ``train_conditional`` returns (and ``gan_lesson.load`` brings back).

    ``G``, ``D``: the trained pair (what was trained so far if the run was interrupted);
    ``history``: a ``training.History`` with one row per epoch: ``epoch``, ``loss_d`` and ``loss_g``
    (the epoch's mean losses), ``d_real`` and ``d_fake`` (D's mean P(real), measured after the
    epoch, on a fixed sample of real pictures with their labels and on the snapshot's pictures with
    the labels asked for), ``agreement`` (the share of 1000 pictures, 100 per digit, read as the
    digit asked for; NaN when not measured) and ``seconds`` (since the start); read a column as
    ``history.loss_d`` or ``history["loss_d"]``;
    ``snapshots``: ``[(epoch, images)]``, G's pictures for ``fixed_noise`` in rows of one digit;
    ``status``: "finished", "interrupted" (Ctrl-C) or "diverged" (a loss became NaN or infinite);
    ``message`` says which and why; ``epochs``: the epochs recorded in ``history``; ``seconds``.
    """
    G: ConditionalGenerator
    D: ConditionalDiscriminator
    history: History
    snapshots: list
    fixed_noise: torch.Tensor
    status: str
    message: str
    epochs: int
    seconds: float
    seed: int
    columns: int = field(default=10)

    def save(self, path):
        """Save both networks' weights, the history and the snapshots to ``path``; ``gan_lesson.load(path)``
        brings the result back. The file holds tensors, numbers and strings only. An existing file is
        replaced only if it is itself a saved result, and the file is written whole or not at all
        (``training.write_result``). A G that built its input with your own ``generator_input`` is saved
        as weights only: loading needs that function again (see ``from_saved``)."""
        G, D = self.G, self.D
        maker = G.generator_input
        data = {
            "format": FORMAT, "version": FORMAT_VERSION,
            "generator_settings": dict(noise_dim=G.noise_dim, classes=G.classes, size=G.size, channels=G.channels,
                                       width=G.body.width),
            "discriminator_settings": dict(classes=D.classes, size=D.size, channels=D.channels, width=D.body.width),
            "generator_input": None if maker is None else getattr(maker, "__name__", "generator_input"),
            "generator": G.state_dict(), "discriminator": D.state_dict(),
            "history": self.history.as_dict(),
            "snapshot_epochs": [epoch for epoch, _ in self.snapshots],
            "snapshot_images": torch.stack([pictures for _, pictures in self.snapshots]),
            "fixed_noise": self.fixed_noise, "status": self.status, "message": self.message,
            "epochs": self.epochs, "seconds": self.seconds, "seed": self.seed, "columns": self.columns,
        }
        return write_result(path, data)

    def __repr__(self):
        last = self.history.agreement[-1] if len(self.history) else math.nan
        agree = f", drawn as asked {100 * last:.0f}%" if not math.isnan(last) else ""
        return f"ConditionalResult({self.status}: {self.epochs} epochs in {self.seconds:.1f} s{agree})"


def _settings_text(cls, settings):
    """``noise_dim=4, width=16``: the settings that differ from ``cls``'s defaults, as code."""
    defaults = {name: p.default for name, p in inspect.signature(cls).parameters.items()}
    return ", ".join(f"{name}={value!r}" for name, value in settings.items() if defaults.get(name) != value)


def from_saved(data, path, generator=None, discriminator=None):
    """A ``ConditionalResult`` from what ``ConditionalResult.save`` wrote (``gan_lesson.load`` calls it).

    ``generator``/``discriminator``: a ``ConditionalGenerator``/``ConditionalDiscriminator`` to load the
    saved weights into, or None to build them from the saved settings. A run whose G built its input
    with your own ``generator_input`` needs it: the file holds G's weights, not that function's code.
    Define the function again and pass a generator built with it,
    ``gl.load(path, generator=conditional.ConditionalGenerator(generator_input=generator_input))``.
    """
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{str(path)!r} was saved in format version {data.get('version')}; this gan_lesson reads "
                         f"version {FORMAT_VERSION}.")
    maker = data.get("generator_input")
    if maker and generator is None:
        settings = _settings_text(ConditionalGenerator, data.get("generator_settings", {}))
        raise ValueError(f"{str(path)!r} was trained with your own generator_input ({maker}): the file holds G's "
                         f"weights but not that function's code. Define it again as for training and pass a "
                         f"generator built with it: load(path, generator=conditional.ConditionalGenerator("
                         f"{settings + ', ' if settings else ''}generator_input={maker})).")
    for name, given, kind in (("generator", generator, ConditionalGenerator),
                              ("discriminator", discriminator, ConditionalDiscriminator)):
        if given is None:
            continue
        if not isinstance(given, kind):
            raise TypeError(f"{name} must be a {kind.__name__} to load the saved weights into (or None to build one "
                            f"from the saved settings); got {short_repr(given)}.")
        saved = data.get(f"{name}_settings", {})
        built = {key: getattr(given.body if key == "width" else given, key, None) for key in saved}
        if built != saved:
            differ = ", ".join(f"{key}={built[key]!r} (saved: {value!r})" for key, value in saved.items()
                               if built[key] != value)
            raise ValueError(f"{name} must be built with the settings of the saved one; it differs in {differ}. "
                             f"Build it with {_settings_text(kind, saved) or 'the default settings'}, as for training.")
    try:
        G = generator if generator is not None else ConditionalGenerator(**data["generator_settings"])
        D = discriminator if discriminator is not None else ConditionalDiscriminator(**data["discriminator_settings"])
        G.load_state_dict(data["generator"])
        D.load_state_dict(data["discriminator"])
        D.eval()
        return ConditionalResult(G=G, D=D, history=History.from_dict(data["history"], columns=HISTORY_COLUMNS),
                                 snapshots=list(zip(data["snapshot_epochs"], data["snapshot_images"])),
                                 fixed_noise=data["fixed_noise"], status=data["status"], message=data["message"],
                                 epochs=data["epochs"], seconds=data["seconds"], seed=data["seed"],
                                 columns=data["columns"])
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError) as exc:
        raise damaged(path, exc) from None


def _check_data(images, labels, classes):
    if images is None and labels is None:
        from .data import load_digits
        images, labels = load_digits()
    elif images is None or labels is None:
        missing = "labels" if labels is None else "images"
        raise ValueError(f"pass both images and labels (or neither, for the 8×8 digits); {missing} is missing.")
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[2] != images.shape[3]:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a float tensor of square pictures, shape (n, channels, size, size); got {got}.")
    if not images.dtype.is_floating_point or not torch.isfinite(images).all():
        raise ValueError("images must hold finite floats in [−1, 1] (like data.load_digits()).")
    lo, hi = float(images.min()), float(images.max())
    if lo >= 0 and hi > 1.05:
        # pictures on a 0–16 or 0–255 scale: G's tanh can never draw them, training would only fail.
        # (Values far outside [−1, 1] on both sides still train, and a divergence message names them.)
        raise ValueError(f"images must lie in [−1, 1] (−1 background, +1 ink); got values from {lo:.3g} to "
                         f"{hi:.3g}, which looks like the raw 0–16 digits (use images / 8 - 1, as "
                         f"data.load_digits() does) or 0–255 pictures (use images / 127.5 - 1).")
    labels = _labels(labels, classes, len(images))
    return images.float(), labels


def train_conditional(images=None, labels=None, *, epochs=20, noise_dim=16, classes=CLASSES, batch_size=32,
                      lr_d=2e-4, lr_g=2e-4, width=32, columns=10, measure=True, seed=0, progress=True, threads=1,
                      generator_input=None):
    """Train a conditional DCGAN on labelled pictures; returns a ``ConditionalResult``.

    ``images`` ``(n, c, size, size)`` in [−1, 1] and ``labels`` ``(n,)`` (whole numbers from 0 to
    classes − 1); leave both out for the 8×8 digits. One epoch is one pass over the data in
    shuffled batches of ``batch_size`` (the last, incomplete batch is dropped). Each batch takes
    notebook 05's two steps, ``steps.d_step`` then ``steps.g_step`` (the non-saturating loss on D's
    logits; Adam, β₁ = 0.5, learning rates ``lr_d``, ``lr_g``): D on the real batch with its labels
    → 1 and on G's pictures for random labels (detached) → 0; then G on the same noise and labels
    through the updated D → 1. The labels travel with the pictures, as the (picture, label) pairs
    D judges (``AskedFor``). G draws its pictures once in each step, so its batch-norm running
    averages (what ``generate`` uses) take each batch twice; the weights follow the same steps as
    one shared picture would give. ``seed`` fixes every random number (weights, batches, noise,
    labels). After every epoch: a row of ``result.history`` (``HISTORY_COLUMNS``), G's pictures for
    a fixed noise batch (``columns`` per label, the same noise in every row) and, with ``measure``
    (8×8 digits only), the share drawn as asked. ``progress`` prints ``training.Progress``'s line
    and a closing line. ``generator_input`` is the function G builds its input with (see
    ``ConditionalGenerator``); by default the package's own.

    Interrupting (Ctrl-C, or the notebook's stop button) finishes the epoch under way and
    returns what was trained, with ``status`` "interrupted"; a second interrupt stops at once.
    A loss that becomes NaN or infinite stops the run with ``status`` "diverged" and a message
    saying why; the result keeps the weights of its last record (the end of the last full epoch).
    """
    epochs = check_int("epochs", epochs, low=1)
    noise_dim = check_int("noise_dim", noise_dim, low=1)
    classes = check_int("classes", classes, low=2)
    batch_size = check_int("batch_size", batch_size, low=2)
    lr_d = check_number("lr_d", lr_d, low=0, low_open=True)
    lr_g = check_number("lr_g", lr_g, low=0, low_open=True)
    columns = check_int("columns", columns, low=1)
    measure = check_bool("measure", measure)
    seed = check_int("seed", seed, low=0)
    progress = check_bool("progress", progress)
    threads = check_int("threads", threads, low=1)
    generator_input = _check_input_maker(generator_input)
    # Everything from here on runs under the guard, setup included: the first load of the digits
    # imports scikit-learn (a Ctrl-C in the middle of an import can break it until the kernel
    # restarts) and the judge trains once. A Ctrl-C only asks the loop to stop after an epoch.
    with interrupt_guard() as guard:
        images, labels = _check_data(images, labels, classes)
        if batch_size > len(images):
            raise ValueError(f"batch_size must be at most the number of images ({len(images)}); got {batch_size}.")
        channels, size = images.shape[1], images.shape[2]
        measure = measure and (channels, size, classes) == (1, 8, CLASSES)
        if measure:
            digit_classifier()      # the judge of ``class_agreement``, trained now rather than inside epoch 1

        with torch.random.fork_rng(devices=[]), torch_threads(threads):
            torch.manual_seed(seed)
            G = ConditionalGenerator(noise_dim, classes, size=size, channels=channels, width=width, seed=seed,
                                     generator_input=generator_input)
            D = ConditionalDiscriminator(classes, size=size, channels=channels, width=width, seed=seed + 1)
            rng = torch.Generator().manual_seed(seed)
            fixed_noise = torch.randn(columns, noise_dim, generator=rng).repeat(classes, 1)
            fixed_labels = torch.arange(classes).repeat_interleave(columns)
            return _train(G, D, images, labels, epochs, batch_size, lr_d, lr_g, measure, seed, progress, rng,
                          fixed_noise, fixed_labels, columns, guard)


class _Diverged(Exception):
    """A loss became NaN or infinite: ``args`` are ``(which player, value)``."""


def _finite(value, which):
    if not math.isfinite(value):
        raise _Diverged(which, value)
    return value


def _weights(*players):
    return [copy.deepcopy(player.state_dict()) for player in players]


def _restore(saved, *players):
    for state, player in zip(saved, players):
        player.load_state_dict(state)


@contextlib.contextmanager
def _held_fixed(D):
    """D's weights take no gradient inside the block (G's step leaves them as they are: nothing to compute)."""
    D.requires_grad_(False)
    try:
        yield
    finally:
        D.requires_grad_(True)


def _train(G, D, images, labels, epochs, batch_size, lr_d, lr_g, measure, seed, progress, rng, fixed_noise,
           fixed_labels, columns, guard):
    g_opt = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed + 1))[:len(fixed_labels)]
    real_sample = discriminator_input(images[pick], labels[pick], G.classes)     # D's belief about real pairs
    history = History(columns=HISTORY_COLUMNS)
    snapshots = [(0, generate(G, fixed_labels, noise=fixed_noise))]
    saved = _weights(G, D)                   # the last record's weights: what a diverged run returns
    batches = len(images) // batch_size
    bar = Progress(progress, epochs, "conditional GAN")
    started = time.perf_counter()
    status, message, under_way = "finished", f"Finished {epochs} epochs.", 0
    try:
        for epoch in range(1, epochs + 1):
            guard.stop_here()                # a Ctrl-C asked to stop: here every step and record is complete
            under_way = epoch
            order = torch.randperm(len(images), generator=rng)
            loss_d = loss_g = 0.0
            for b in range(batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                real = discriminator_input(images[idx], labels[idx], G.classes)      # real digits, their own labels
                asked = torch.randint(0, G.classes, (batch_size,), generator=rng)    # the digits G is asked for
                z = torch.randn(batch_size, G.noise_dim, generator=rng)
                G_asked = AskedFor(G, asked)                                          # z -> (picture, label asked)
                loss_d += _finite(steps.d_step(G_asked, D.body, g_opt, d_opt, real, z, "non_saturating",
                                               logits=True), "discriminator")
                with _held_fixed(D):                                                  # G's step: D's weights stay
                    loss_g += _finite(steps.g_step(G_asked, D.body, g_opt, d_opt, z, "non_saturating",
                                                   logits=True), "generator")
            snapshot = generate(G, fixed_labels, noise=fixed_noise)
            history.append(**_record(G, D, epoch, loss_d / batches, loss_g / batches, real_sample, snapshot,
                                     fixed_labels, measure, started))
            snapshots.append((epoch, snapshot))
            saved = _weights(G, D)
            bar.update(epoch, agreement=history.agreement[-1] if measure else None)
    except KeyboardInterrupt:                # from stop_here, or raised directly (a second Ctrl-C, code in the loop)
        status = "interrupted"
    except _Diverged as exc:
        which, value = exc.args
        status = "diverged"
        _restore(saved, G, D)
        message = _divergence_message(which, value, len(history) + 1, lr_d, lr_g, images, kept=len(history))
    seconds = time.perf_counter() - started
    history.trim()                           # a record cut short by the exception
    del snapshots[len(history) + 1:]
    done = len(history)
    if status == "interrupted":
        # the stop came between two epochs (at stop_here) when the epoch under way was recorded whole
        status, message = _interrupted(done, epochs, between_epochs=done >= under_way)
    D.eval()
    result = ConditionalResult(G=G, D=D, history=history, snapshots=snapshots, fixed_noise=fixed_noise[:columns],
                               status=status, message=message, epochs=done, seconds=seconds, seed=seed,
                               columns=columns)
    if status == "finished":
        agree = f" · agreement {history.agreement[-1]:.3f} (share drawn as asked)" if measure and done else ""
        bar.say(f"conditional GAN: {done} epochs in {seconds:.1f} s{agree}")
    else:
        bar.say(message)
    return result


@torch.no_grad()
def _record(G, D, epoch, loss_d, loss_g, real_sample, snapshot, fixed_labels, measure, started):
    """One epoch's history row: what the figures plot."""
    return dict(epoch=epoch, loss_d=loss_d, loss_g=loss_g,
                d_real=torch.sigmoid(D.body(real_sample)).mean().item(),             # real pictures, their labels
                d_fake=torch.sigmoid(D(snapshot, fixed_labels)).mean().item(),       # G's, with the labels asked for
                agreement=class_agreement(G, per_class=100, seed=10_000 + epoch).overall if measure else math.nan,
                seconds=time.perf_counter() - started)


def _interrupted(done, epochs, between_epochs):
    """Status and message of a run a Ctrl-C stopped after ``done`` recorded epochs."""
    if done == epochs:
        return "finished", f"Finished {epochs} epochs."     # struck after the last epoch's record was complete
    if between_epochs and done == 0:
        return "interrupted", (f"Training interrupted before its first epoch (of {epochs}); the result holds the "
                               f"untrained G and D.")
    if between_epochs:
        return "interrupted", (f"Training interrupted after epoch {done} of {epochs}; the result holds the weights "
                               f"and the record of those {done} epochs.")
    return "interrupted", (f"Training interrupted during epoch {done + 1} of {epochs}; the result holds what was "
                           f"trained (the record stops at epoch {done}).")


def _divergence_message(which, value, epoch, lr_d, lr_g, images, kept):
    head = f"Training stopped at epoch {epoch}: the {which} loss became {value} (not a finite number)."
    low, high = float(images.min()), float(images.max())
    if low < -1.5 or high > 1.5:
        cause = (f"Likely cause: the images go from {low:.3g} to {high:.3g}, far outside [−1, 1] (the range of G's "
                 f"tanh); scale them like data.load_digits().")
    else:
        # the player whose loss broke is often not the one whose weights blew up: suggest the larger rate
        names = [name for name, lr in (("lr_d", lr_d), ("lr_g", lr_g)) if lr == max(lr_d, lr_g)]
        cause = (f"Likely cause: the learning rates are too high for this setup (lr_d={lr_d:g}, lr_g={lr_g:g}; "
                 f"2e-4 is the DCGAN choice) and the weights blew up; try {max(lr_d, lr_g) / 10:g} for "
                 f"{' and '.join(names)}.")
    weights = f"from the end of epoch {kept}, its last record" if kept else "it started with"
    return f"{head} {cause} The result keeps the weights {weights}."


# --------------------------------------------------------------------------- pictures

def _row_grid(G, columns, seed):
    """The noise of ``columns`` pictures, repeated for every digit: (images, labels), row k = digit k."""
    z = _seeded_noise(columns, G.noise_dim, seed).repeat(G.classes, 1)
    labels = torch.arange(G.classes).repeat_interleave(columns)
    return generate(G, labels, noise=z), labels


def _label_rows(ax, rows, h=8, pad=1, what="digit asked for"):
    ax.set_yticks([pad + r * (h + pad) + h / 2 - 0.5 for r in range(rows)])
    ax.set_yticklabels([str(r) for r in range(rows)])
    ax.tick_params(axis="y", length=0, labelsize=11)
    ax.set_ylabel(what)


def digit_rows(G, columns=10, seed=0, ax=None, title="One row per digit asked for, one column per noise vector"):
    """Draw G's pictures as a grid: row k = digit k asked for, column j = noise vector j (the same
    noise all down a column). Returns the axes."""
    if not isinstance(G, ConditionalGenerator):
        raise TypeError(f"G must be a ConditionalGenerator; got {type(G).__name__}.")
    columns = check_int("columns", columns, low=1, high=40)
    pictures, _ = _row_grid(G, columns, seed)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(0.55 * columns + 1.2, 13), 0.55 * G.classes + 1.1))
    image_grid(pictures, ax, nrow=columns, title=title, edge=plots.FAKE)
    _label_rows(ax, G.classes, h=G.size)
    ax.set_xlabel("different noise (the same down each column) →")
    return ax


def conditional_snapshot_strip(result, count=4, title="The fixed noise batch, one row per digit, during training",
                               epochs=None):
    """A row of ``digit_rows``-style grids at ``count`` evenly spaced epochs of a ``ConditionalResult``,
    or at the listed ``epochs`` (each must be a stored snapshot's epoch)."""
    count = check_int("count", count, low=1)
    snaps = result.snapshots
    if epochs is None:
        picks = np.unique(np.linspace(0, len(snaps) - 1, count).round().astype(int))
    else:
        stored = [e for e, _ in snaps]
        missing = [e for e in epochs if e not in stored]
        if missing or not len(epochs):
            raise ValueError(f"epochs must list epochs with a stored snapshot ({stored[0]} to {stored[-1]}); "
                             f"got {list(epochs)!r}.")
        picks = [stored.index(e) for e in epochs]
    fig, axes = plt.subplots(1, len(picks), figsize=(3.2 * len(picks), 3.7))
    for ax, i in zip(np.atleast_1d(axes), picks):
        epoch, pictures = snaps[i]
        image_grid(pictures, ax, nrow=result.columns, title=f"epoch {epoch}", edge=plots.FAKE)
        _label_rows(ax, result.G.classes, h=result.G.size, what="digit asked for" if i == picks[0] else "")
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    return fig


def picker_frame(G, digit, seed=0, n=16, nrow=8):
    """What the digit picker shows: ``n`` pictures of ``digit`` from noise ``seed``, as PNG bytes,
    with a caption saying how many of them the digit classifier reads as ``digit``.
    Returns ``(png, caption)``."""
    if not isinstance(G, ConditionalGenerator):
        raise TypeError(f"G must be a ConditionalGenerator; got {type(G).__name__}.")
    digit = check_int("digit", digit, low=0, high=G.classes - 1)
    n = check_int("n", n, low=1, high=100)
    nrow = check_int("nrow", nrow, low=1)
    pictures = generate(G, [digit] * n, noise=_seeded_noise(n, G.noise_dim, seed))
    rows = int(math.ceil(n / min(nrow, n)))
    fig = matplotlib.figure.Figure(figsize=(0.62 * min(nrow, n) + 0.4, 0.62 * rows + 0.75))
    ax = fig.subplots()
    image_grid(pictures, ax, nrow=min(nrow, n), edge=plots.FAKE, title=f"G asked for the digit {digit} (noise seed {seed})")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    caption = ""
    if G.classes == CLASSES and (G.channels, G.size) == (1, 8):
        read = digit_probabilities(pictures).argmax(dim=1)
        hits = int((read == digit).sum())
        others = sorted({int(r) for r in read if int(r) != digit})
        caption = f"The digit classifier reads {hits} of {n} as a {digit}"
        caption += f" (the others as {', '.join(map(str, others))})." if others else "."
    return buf.getvalue(), caption


def digit_picker(G, n=16, nrow=8, seed=0):
    """A widget to ask ``G`` for a digit: buttons 0–9 and a "new noise" button redraw ``n``
    pictures of the chosen digit. The noise stays the same until "new noise" is pressed, so
    switching digits shows the same noise with another label.

    Returns an ipywidgets ``VBox`` (show it as the last line of a cell). Headless use: set
    ``box.digit.value = 3`` or call ``box.new_noise.click()``; ``box.image.value`` (PNG bytes) and
    ``box.caption.value`` change at once; ``box.seed`` is the current noise seed.
    """
    import ipywidgets as W

    if not isinstance(G, ConditionalGenerator):
        raise TypeError(f"G must be a ConditionalGenerator; got {type(G).__name__}.")
    n = check_int("n", n, low=1, high=100)
    nrow = check_int("nrow", nrow, low=1)
    seed = check_int("seed", seed, low=0)
    digit = W.ToggleButtons(options=list(range(G.classes)), value=0, description="digit",
                            style={"button_width": "34px"})
    new_noise = W.Button(description="new noise", icon="refresh", layout=W.Layout(width="120px"))
    image = W.Image(format="png", layout=W.Layout(width="480px"))
    caption = W.HTML()
    box = W.VBox([W.HBox([digit, new_noise]), image, caption])
    box.digit, box.new_noise, box.image, box.caption, box.seed = digit, new_noise, image, caption, seed

    def show(change=None):
        png, text = picker_frame(G, digit.value, seed=box.seed, n=n, nrow=nrow)
        image.value = png
        caption.value = f"<span style='font-size:13px'>{html.escape(text)}</span>"

    def fresh(button):
        box.seed += 1
        show()

    digit.observe(show, names="value")
    new_noise.on_click(fresh)
    show()
    return box


def agreement_bars(agreement, ceiling=None, ax=None, title="Pictures read as the digit asked for"):
    """Bar chart of ``ClassAgreement.per_class`` (generated), next to a ``ceiling`` (the real
    digits' ``ClassAgreement``) if given, with chance (0.1) marked. Returns the axes."""
    if not isinstance(agreement, ClassAgreement) or (ceiling is not None and not isinstance(ceiling, ClassAgreement)):
        raise TypeError("agreement and ceiling must be ClassAgreement results (from class_agreement or agreement_of).")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.8))
    k = np.arange(CLASSES)
    width = 0.4 if ceiling is not None else 0.7
    shift = width / 2 if ceiling is not None else 0.0
    if ceiling is not None:
        ax.bar(k - shift, ceiling.per_class, width, color=plots.REAL, label=f"real digits ({100 * ceiling.overall:.0f}%)")
    ax.bar(k + shift, agreement.per_class, width, color=plots.FAKE,
           label=f"generated, asked for k ({100 * agreement.overall:.0f}%)")
    ax.axhline(0.1, color=plots.NOISE, ls="--", lw=1.2, label="chance (10%)")
    ax.set(title=title, xlabel="digit k", ylabel="share read as k", xticks=k, ylim=(0, 1.28),
           yticks=np.linspace(0, 1, 6))
    ax.legend(loc="upper center", ncol=3, fontsize=9, framealpha=0.95)
    return ax


def conditional_diagram(ax=None):
    """The data flow of a conditional GAN: the label y goes to both players."""
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.6))
    ax.set_xlim(0, 11)
    ax.set_ylim(-0.2, 4.6)
    ax.axis("off")

    box, arrow = functools.partial(plots.diagram_box, ax), functools.partial(plots.diagram_arrow, ax)

    label_colour = "#CC79A7"
    box(1.1, 0.6, "noise z", plots.NOISE)
    box(1.1, 2.0, "label y: \"7\"", label_colour)
    box(3.6, 1.3, "Generator G", plots.FAKE)
    box(6.1, 1.3, "fake G(z, y)\nwith label y", plots.FAKE, h=1.0)
    box(6.1, 3.5, "real x\nwith its label", plots.REAL, h=1.0)
    box(8.5, 2.4, "Discriminator D", plots.BELIEF, w=2.2)
    ax.text(10.45, 2.4, "P(real,\nwith this\nlabel)", ha="center", va="center", fontsize=11)
    arrow(2.05, 0.7, 2.65, 1.15)
    arrow(2.05, 1.9, 2.65, 1.45)
    arrow(4.55, 1.3, 5.15, 1.3)
    arrow(7.05, 1.6, 7.45, 2.1)
    arrow(7.05, 3.2, 7.45, 2.7)
    arrow(9.6, 2.4, 9.85, 2.4)
    arrow(2.05, 2.2, 7.35, 2.35, color=label_colour, ls="--")      # the same label reaches D too
    ax.text(4.6, 2.45, "the same label, shown to D with the picture", ha="center", fontsize=10, color="#8a3a6a")
    ax.text(6.1, 0.25, "the label G was asked for travels with its picture", ha="center", fontsize=10,
            color="#8a3a6a")
    ax.set_title("A conditional GAN: one extra input, the label, for both players")
    return ax
