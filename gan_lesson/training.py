"""The training loop around notebook 05's two steps, its history, and ``fit``.

One epoch of the loop (``order="d_first"``, the classic one):

1. ``d_steps`` calls of ``d_step(G, D, g_opt, d_opt, real, z)``: a real batch (target 1) and a
   detached fake batch ``G(z)`` (target 0), then D's optimizer steps;
2. ``g_steps`` calls of ``g_step(G, D, g_opt, d_opt, z)``: ``G(z)`` through D against the label
   "real", then G's optimizer steps. D is held fixed meanwhile (``requires_grad_(False)``), so
   the generator's loss neither moves D nor spends time on D's gradients.

The steps are ``gan_lesson.steps.d_step`` and ``g_step`` (the functions notebook 05 has you
write) unless you pass your own to ``fit``; the networks are the recipe's unless you pass your
own. ``order="g_first"`` runs the generator phase first. Every ``log_every`` epochs the run
records the mean losses, D(x) and D(G(z)), the generator's gradient norm, the generated spread
and the distance to the target in a ``History``, keeps a snapshot of samples generated from one
fixed noise batch, and calls ``callback(state)``; a callback that returns ``False`` stops it.

Faults: a loss that is not a finite number stops the run, says which loss, when and the likely
cause, and returns the weights of the last record; Ctrl-C (the notebook's stop button) stops it
at the end of the epoch. Both return the result trained so far, with ``result.status`` saying
what happened.
"""
import contextlib
import copy
import functools
import inspect
import math
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import features as _features
from . import losses, steps
from .interrupts import interrupt_guard, warm_up
from .metrics import distance as _distance
from .metrics import moments as _moments
from .models import Discriminator, Generator, LinearGenerator, MLPDiscriminator, MLPGenerator
from .recipes import Recipe, recipe_named
from .samplers import Empirical, Sampler, noise_sampler
from .validation import MAX_SEED, check_bool, check_callable, check_int, check_seed, unknown_setting
from .validation import short_repr as _show

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Standardiser", "as_target", "draw", "Progress", "write_result", "read_result", "reads_logits",
           "DataGenerator", "DataDiscriminator", "torch_threads", "check_spread"]

FORMAT = "gan-lesson/fit-result"
FORMAT_VERSION = 1
REFERENCE_SIZE = 2000   # real samples kept to measure the distance during training
SNAPSHOT_SIZE = 2000    # generated samples kept at each logged epoch (the same size: a fast W1)
F32_MAX = float(torch.finfo(torch.float32).max)
SAMPLE_LIMIT = 2**30    # bytes one call of FitResult.sample may use (a classroom kernel has about 1 GB)


@contextlib.contextmanager
def torch_threads(n):
    """Run the block with ``n`` PyTorch threads, then restore the previous count.

    Small networks are dominated by per-operation overhead: one thread is as fast as two and
    much faster when another process is busy, so training uses one by default.
    """
    n = check_int("threads", n, low=1)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------- bookkeeping

#: The columns ``fit`` records (every trainer records ``epoch``, ``loss_d``, ``loss_g``, ``d_real``,
#: ``d_fake`` and ``seconds``, plus measures of its own: the image GAN's digit score, say).
FIT_COLUMNS = ("epoch", "loss_d", "loss_g", "d_real", "d_fake", "grad_g", "distance", "spread",
               "fake_mean", "fake_std", "fake_skew", "fake_kurtosis", "seconds")


class History:
    """What a run recorded every ``log_every`` epochs: one list per column, one entry per record.

    ``fit``'s columns: ``loss_d``/``loss_g``: mean losses since the previous record;
    ``d_real``/``d_fake``: mean D(x) on a batch of the fixed real sample and D(G(z)) on a batch of
    the fixed noise, measured at the record, as probabilities (raw scores for least squares and
    Wasserstein losses); ``grad_g``: norm of the generator's gradient at its last step;
    ``distance``: Wasserstein-1 (sliced for d > 1) from the snapshot to a fixed real sample, in
    data units; ``spread``: generated std over real std (1 is right, near 0 is collapse);
    ``fake_mean`` … ``fake_kurtosis``: moments of the snapshot (1-D data only, else NaN);
    ``seconds``: wall time since the start. Another trainer names its own columns:
    ``History(columns=("epoch", "loss_d", "loss_g", "score", "seconds"))``.
    Read a column as ``history.distance`` or ``history["distance"]``.
    """

    def __init__(self, columns=None, **values):
        if columns is None:
            columns = FIT_COLUMNS + tuple(k for k in values if k not in FIT_COLUMNS)
        columns = tuple(columns)
        unknown = [k for k in values if k not in columns]
        if unknown or not columns or not all(isinstance(c, str) and c.isidentifier() for c in columns):
            raise ValueError(f"a History's columns must be names (identifiers) and hold every value given; "
                             f"columns {columns}, values for {sorted(values)}.")
        self.__dict__["_columns"] = columns
        for name in columns:
            self.__dict__[name] = list(values.get(name, []))

    @property
    def columns(self):
        return self._columns

    def __len__(self):
        return len(self.__dict__[self._columns[0]])

    def __getitem__(self, name):
        """``history["distance"]`` is ``history.distance`` (a column by name)."""
        if isinstance(name, str) and name in self._columns:
            return self.__dict__[name]
        raise KeyError(f"a History has the columns {', '.join(self._columns)}; got {_show(name)}. "
                       f"Read one as history.{self._columns[0]} or history[{self._columns[0]!r}].")

    def __setattr__(self, name, value):
        if name in self._columns:
            self.__dict__[name] = value
        else:
            raise AttributeError(f"a History has the columns {', '.join(self._columns)}; {name!r} is not one of them.")

    def __eq__(self, other):
        return isinstance(other, History) and self.as_dict() == other.as_dict()

    def append(self, **row):
        """Add one record: a value for every column, or none at all (columns stay equal in length)."""
        missing, unknown = set(self._columns) - set(row), set(row) - set(self._columns)
        if missing or unknown:
            raise ValueError(f"a history record needs exactly the columns {', '.join(self._columns)}; "
                             f"missing {sorted(missing)}, unknown {sorted(unknown)}.")
        for name in self._columns:
            self.__dict__[name].append(row[name])

    def trim(self):
        """Cut every column to the shortest one's length (after a record that was cut short)."""
        n = min(len(self.__dict__[c]) for c in self._columns)
        for c in self._columns:
            del self.__dict__[c][n:]
        return self

    def as_dict(self):
        return {c: list(self.__dict__[c]) for c in self._columns}

    @classmethod
    def from_dict(cls, values, columns=None):
        """A History from ``as_dict()``'s output; one of ``fit``'s columns it lacks is filled with NaN."""
        if columns is None:
            columns = (FIT_COLUMNS + tuple(k for k in values if k not in FIT_COLUMNS)
                       if "distance" in values or not values else tuple(values))
        n = len(values.get("epoch", next(iter(values.values()), [])))
        return cls(columns, **{k: list(values[k]) if k in values else [float("nan")] * n for k in columns}).trim()

    def last(self):
        """The latest record as a dict (empty before the first)."""
        return {c: self.__dict__[c][-1] for c in self._columns if self.__dict__[c]}

    def __repr__(self):
        if not len(self):
            return "History(empty)"
        first = self._columns[0]
        measure = next((c for c in ("distance", "score") if c in self._columns), self._columns[-1])
        return (f"History({len(self)} records, {first}s {self.__dict__[first][0]}–{self.__dict__[first][-1]}, "
                f"last {measure} {self.__dict__[measure][-1]:.3g})")


@dataclass
class TrainingState:
    """What a callback receives every ``log_every`` epochs."""

    epoch: int
    epochs: int
    history: History
    samples: torch.Tensor      # the latest snapshot, (SNAPSHOT_SIZE, d), data units
    reference: torch.Tensor    # real samples, (REFERENCE_SIZE, d), data units
    seconds: float
    recipe: Recipe


class Standardiser(nn.Module):
    """Maps data to standard units and back: ``forward(x) = (x − shift)·M⁻¹``, ``inverse(y) = y·M + shift``.

    For 1-D data M is the standard deviation; for d > 1 it is the symmetric square root of the
    covariance (whitening), so correlated targets become round. Identity when ``enabled=False``.
    """

    def __init__(self, dim, shift=None, scale=None):
        super().__init__()
        self.register_buffer("shift", torch.zeros(dim) if shift is None else shift.float())
        self.register_buffer("scale", torch.eye(dim) if scale is None else scale.float())
        self.register_buffer("inverse_scale", torch.linalg.inv(self.scale.double()).float())

    @classmethod
    def fitted_to(cls, sample):
        x = sample.double()
        shift = x.mean(0)
        if x.shape[1] == 1:
            scale = x.std(0).clamp_min(1e-12).reshape(1, 1)
        else:
            values, vectors = torch.linalg.eigh(torch.cov(x.T))
            values = values.clamp_min(1e-4 * values.max().clamp_min(1e-24))
            scale = vectors @ torch.diag(values.sqrt()) @ vectors.T
        return cls(x.shape[1], shift, scale)

    def forward(self, x):
        return (x - self.shift) @ self.inverse_scale

    def inverse(self, y):
        return y @ self.scale + self.shift


class DataGenerator(nn.Module):
    """A trained generator in the data's units: noise ``(n, noise_dim)`` -> samples ``(n, d)``."""

    def __init__(self, net, standardiser):
        super().__init__()
        self.net, self.standardiser = net, standardiser

    def forward(self, z):
        return self.standardiser.inverse(self.net(z))

    def __repr__(self):
        return f"DataGenerator({self.net!r}, output in data units)"


class DataDiscriminator(nn.Module):
    """A trained discriminator in the data's units: samples ``(n, d)`` -> beliefs.

    Returns P(real) for the BCE losses and the raw score for least squares / Wasserstein; one
    row per sample (``per_sample``) or a single row for the whole batch (the other features).
    """

    def __init__(self, net, standardiser, features, probability):
        super().__init__()
        self.net, self.standardiser = net, standardiser
        self.features = features
        self.probability = probability
        self._featurize = _features.featurize(features)

    def forward(self, x):
        dim = self.standardiser.shift.shape[0]
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"the discriminator judges samples of shape (n, {dim}), as the target gives them; got "
                             f"{shape}{' (use x.reshape(-1, 1))' if dim == 1 and isinstance(x, torch.Tensor) else ''}.")
        out = self.net(self._featurize(self.standardiser(x)))
        if self.probability and getattr(self.net, "outputs_logits", False):
            out = torch.sigmoid(out)
        return out

    def __repr__(self):
        return f"DataDiscriminator({self.net!r}, sees {self.features})"


# --------------------------------------------------------------------------- the result

class FitResult:
    """A trained pair, what the run recorded, and how it ended.

    ``generator``/``discriminator``: modules in the data's units; ``history``: a ``History``;
    ``snapshots``: list of ``(epoch, samples)`` from one fixed noise batch; ``status``:
    ``"finished"``, ``"interrupted"``, ``"stopped"`` (by a callback), ``"failed"`` (the callback
    raised an error) or ``"diverged"``;
    ``message``: one sentence on how it ended; ``epochs_done``; ``seconds``; ``recipe``.
    """

    def __init__(self, generator, discriminator, history, snapshots, recipe, dim, status, message,
                 epochs_done, seconds, seed, reference=None, target=None, own_networks=None):
        self.generator, self.discriminator = generator, discriminator
        self.own_networks = dict(own_networks or {})     # which network was the student's own (not the recipe's)
        self.history, self.snapshots, self.recipe = history, snapshots, recipe
        self.dim, self.status, self.message = dim, status, message
        self.epochs_done, self.seconds, self.seed = epochs_done, seconds, seed
        self.reference, self.target = reference, target

    @property
    def noise_dim(self):
        return self.recipe.noise_dim

    def noise(self, n, generator=None):
        """Noise of the kind this generator was trained on: ``(n, noise_dim)``."""
        return noise_sampler(self.recipe.noise)(n, self.recipe.noise_dim, generator=generator)

    @torch.no_grad()
    def sample(self, n, seed=None):
        """``n`` generated samples, tensor ``(n, d)`` in the target's units."""
        n = check_int("n", n, low=1)
        widest = max((self.recipe.noise_dim, self.dim, *self.recipe.g_hidden))
        need = 4 * n * (2 * widest + self.recipe.noise_dim + self.dim)
        if need > SAMPLE_LIMIT:
            most = SAMPLE_LIMIT // (4 * (2 * widest + self.recipe.noise_dim + self.dim))
            raise ValueError(f"n={n:,} samples would need about {need / 2**30:.1f} GB of memory; at most "
                             f"{most:,} at once fit in {SAMPLE_LIMIT / 2**30:.0f} GB. Draw fewer (or several "
                             "batches and combine what you measure).")
        g = None if seed is None else torch.Generator().manual_seed(check_seed("seed", seed))
        return self.generator(self.noise(n, g))

    def distance(self, n=20000, seed=0):
        """Wasserstein-1 (sliced for d > 1) between ``n`` generated and ``n`` fresh real samples."""
        if self.target is None:
            raise ValueError("this result has no target attached (it was loaded from a file); "
                             "use gan_lesson.metrics.distance(result.sample(n), real_samples).")
        n = check_int("n", n, low=2)
        seed = int(torch.randint(0, MAX_SEED - 1, ())) if seed is None else check_int("seed", seed, low=0, high=MAX_SEED - 1)
        g = torch.Generator().manual_seed(seed + 1)
        return _distance(self.sample(n, seed=seed), draw(self.target, n, g))

    def report(self):
        """Print the final statistics the way the classic lesson does (1-D data)."""
        print(_report_line(self.history, self.reference, self.epochs_done, final=True))

    def save(self, path):
        """Save weights, settings and history (tensors, numbers and strings only) to ``path``.

        An existing file is replaced only if it is itself a saved result: anything else there (a
        notebook, a data file) is refused rather than overwritten. The file is written whole or
        not at all (a Ctrl-C or a full disk leaves any earlier file as it was).
        """
        snaps = self.snapshots
        data = {
            "format": FORMAT, "version": FORMAT_VERSION, "recipe": self.recipe.to_dict(),
            "dim": self.dim, "status": self.status, "message": self.message,
            "epochs_done": self.epochs_done, "seconds": self.seconds, "seed": self.seed,
            "history": self.history.as_dict(),
            "generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
            "snapshot_epochs": [e for e, _ in snaps],
            "snapshot_samples": torch.stack([s for _, s in snaps]) if snaps else torch.zeros(0),
            "reference": self.reference,
            "own_networks": self.own_networks,
        }
        return write_result(path, data)

    def __repr__(self):
        dist = f", distance {self.history.distance[-1]:.3g}" if len(self.history) else ""
        return (f"FitResult({self.recipe.name}, {self.epochs_done}/{self.recipe.epochs} epochs, "
                f"{self.status}{dist}, {self.seconds:.1f} s)")


def _as_path(path, verb):
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path.strip()):
        raise TypeError(f"path must be a file name (a string or pathlib.Path) to {verb}; got {_show(path)}.")
    return Path(os.fspath(path)).expanduser()


def write_result(path, data):
    """Write a result's ``data`` (a dict of tensors, numbers and strings with a ``"format"``) to ``path``.

    An existing file is replaced only if it is itself a saved result: anything else there (a
    notebook, a data file) is refused rather than overwritten. The file is written whole or not at
    all (a Ctrl-C or a full disk leaves any earlier file as it was). Every result's ``save`` uses it.
    """
    path = _as_path(path, "save")
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a folder; give a file name inside it, e.g. "
                                f"{str(path / 'run.pt')!r}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path {str(path)!r}: the folder {str(path.parent)!r} does not exist; "
                                "create it first or save elsewhere.")
    if path.exists() and not _is_result(path):
        raise FileExistsError(f"path {str(path)!r} already holds a file that is not a saved gan-lesson result; "
                              "it is left as it is. Choose another file name, or remove that file first.")
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with interrupt_guard() as guard:
            torch.save(data, part)
            os.replace(part, path)
    except OSError as exc:
        raise OSError(f"could not save to {str(path)!r}: {exc.strerror or exc}. Save to a file in a folder "
                      "you can write to.") from None
    except RuntimeError as exc:       # torch reports a failed write this way
        raise OSError(f"could not save to {str(path)!r}: {str(exc).splitlines()[0]}. Save to a file in a "
                      "folder you can write to, with room on the disk.") from None
    finally:
        part.unlink(missing_ok=True)
    if guard.requested:
        raise KeyboardInterrupt
    return path


def _is_result(path):
    """Whether ``path`` holds a file written by a result's ``save``."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return False
    return isinstance(data, dict) and str(data.get("format", "")).startswith("gan-lesson/")


def read_result(path):
    """The dict a result's ``save`` wrote to ``path``, read as tensors, numbers and strings only.

    No code in the file is ever run (``weights_only=True``). A file that is not a saved result, or
    is damaged, raises ``ValueError`` saying which.
    """
    import pickle
    import zipfile
    path = _as_path(path, "load")
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a folder; give the file written by a result's save().")
    if path.is_file() and not zipfile.is_zipfile(path):
        if path.read_bytes()[:2] == b"PK":
            raise ValueError(f"{str(path)!r} is a damaged file (cut short?): it starts like a saved result but cannot "
                             "be read. Save the run again, or use another copy of the file.")
        head = path.read_bytes()[:64].lstrip()
        kind = ("a text file" if head[:1] in (b"{", b"[", b"#", b"<") or (head and head.isascii() and head.decode("ascii").isprintable())
                else "empty" if not head else "some other file")
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it is {kind}, not a file written by "
                         "FitResult.save.")
    if path.is_file():
        try:
            with zipfile.ZipFile(path) as archive:
                broken = archive.testzip()          # every member's checksum
        except (zipfile.BadZipFile, OSError, EOFError):
            broken = "the archive"
        if broken is not None:
            raise ValueError(f"{str(path)!r} is damaged: {broken} fails its checksum, so the file changed after it "
                             "was saved. Save the run again, or use another copy of the file.")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"path {str(path)!r} does not exist; give the file written by FitResult.save.") from None
    except pickle.UnpicklingError:
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it holds Python objects other than "
                         "tensors and numbers, and load() refuses to run code from a file.") from None
    except Exception:  # a damaged archive (cut short, corrupted)
        raise ValueError(f"{str(path)!r} is not a gan-lesson result, or it is damaged (cut short?): PyTorch "
                         "cannot read it. Save the run again, or use another copy of the file.") from None
    if not isinstance(data, dict) or not str(data.get("format", "")).startswith("gan-lesson/"):
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it was not written by FitResult.save.")
    return data


#: Which module rebuilds a saved result of each format (its ``from_saved(data, path, **pieces)``).
RESULT_FORMATS = {FORMAT: "training", "gan-lesson/conditional-result": "conditional",
                  "gan-lesson/image-result": "images"}


def load(path, *, generator=None, discriminator=None):
    """Bring back any result saved with ``.save(path)`` (``fit``'s, the conditional GAN's, the image GAN's).

    Only tensors, numbers and strings are read (``weights_only=True``): no code in the file is
    ever run. A file that is not a saved result raises ``ValueError``. A result trained with your
    own networks needs them again (the file holds their weights, not their code):
    ``load(path, generator=make_G(), discriminator=make_D())``.
    """
    data = read_result(path)
    kind = RESULT_FORMATS.get(data.get("format"))
    if kind is None:
        raise ValueError(f"{str(path)!r} holds a result of the kind {data.get('format')!r}, which this gan_lesson "
                         f"does not know (it reads {', '.join(RESULT_FORMATS)}).")
    import importlib
    module = importlib.import_module(f".{kind}", __package__)
    return module.from_saved(data, path, generator=generator, discriminator=discriminator)


def from_saved(data, path, *, generator=None, discriminator=None):
    """A ``FitResult`` from what ``FitResult.save`` wrote (``load`` calls it)."""
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{str(path)!r} was saved in format version {data.get('version')}; this gan_lesson reads version {FORMAT_VERSION}.")
    own = data.get("own_networks", {})
    for name, given in (("generator", generator), ("discriminator", discriminator)):
        if own.get(name) and given is None:
            raise ValueError(f"{str(path)!r} was trained with your own {name}: the file holds its weights but not its "
                             f"code. Build it again as you did for training and pass it: load(path, {name}=...).")
        if given is not None and not isinstance(given, nn.Module):
            raise TypeError(f"{name} must be the network (an nn.Module) the result was trained with; got {_show(given)}.")
    try:
        recipe = Recipe.from_dict(data["recipe"])
        dim = data["dim"]
        G, D = build_models(recipe, dim)
        G, D = generator if generator is not None else G, discriminator if discriminator is not None else D
        std = Standardiser(dim)
        generator = DataGenerator(G, std)
        discriminator = DataDiscriminator(D, std, recipe.features,
                                          probability=losses.get(recipe.loss).probabilities)
        generator.load_state_dict(data["generator"])
        discriminator.load_state_dict(data["discriminator"])
        snaps = list(zip(data["snapshot_epochs"], data["snapshot_samples"])) if data["snapshot_epochs"] else []
        return FitResult(generator, discriminator, History.from_dict(data["history"]), snaps, recipe, dim,
                         data["status"], data["message"], data["epochs_done"], data["seconds"], data["seed"],
                         reference=data.get("reference"), own_networks=own)
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError) as exc:
        raise damaged(path, exc) from None


def damaged(path, exc):
    """The error for a saved result that cannot be rebuilt (``exc`` says what went wrong while rebuilding)."""
    problem = (f"the entry {exc.args[0]!r} is missing" if isinstance(exc, KeyError)
               else str(exc).strip().splitlines()[0][:200])
    return ValueError(f"{str(path)!r} is a damaged gan-lesson result and cannot be loaded ({problem}). "
                      "Save the run again, or use another copy of the file.")


# --------------------------------------------------------------------------- helpers

def draw(target, n, generator, dim=None):
    """n real samples from ``target`` as float32 ``(n, d)``, with the checks a student needs.

    ``dim``: the number of columns the first call returned; a later call that returns another
    number is a clear error rather than a shape error deep inside a network.
    """
    if isinstance(target, Sampler):
        x = target(n, generator=generator)
    else:
        x = target(n)
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"target must return real numbers; target({n}) returned an array of dtype {x.dtype}.")
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"target must return a tensor or numpy array of shape (n, d); target({n}) returned "
                        f"{type(x).__name__}.")
    if x.is_complex() or x.dtype == torch.bool:
        raise TypeError(f"target must return real numbers; target({n}) returned a tensor of dtype {x.dtype}.")
    x = x.detach()          # samples are data: a graph attached to them (say, from a network) is not
    if x.dtype == torch.float64 and bool(torch.isfinite(x).all()):
        if x.abs().max() > F32_MAX:
            raise ValueError(f"target returned values up to {x.abs().max().item():.3g}, beyond what float32 (the "
                             f"networks' number type) holds (about ±{F32_MAX:.1e}); rescale the data first.")
        _check_float32_spacing(x, n)
    if x.ndim == 1:
        x = x.unsqueeze(1)
    if x.ndim != 2:
        raise ValueError(f"target must return shape (n, d); target({n}) returned shape {tuple(x.shape)}.")
    if x.shape[0] != n:
        raise ValueError(f"target must return n rows; target({n}) returned {x.shape[0]} rows.")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"target must return the same number of columns at every call; it returned {dim} "
                         f"at first and {x.shape[1]} now (target({n}) has shape {tuple(x.shape)}).")
    return x.float()


def _check_float32_spacing(x, n):
    """Refuse float64 data whose spread float32 would round away (values near 3e7 come in steps of 2)."""
    if len(x) < 2:
        return
    centre = x.mean(0).abs()
    spacing = torch.finfo(torch.float32).eps * centre
    spread = x.std(0)
    coarse = spacing > spread / 8
    if bool(coarse.any()):
        j = int(coarse.nonzero()[0, 0])
        raise ValueError(f"target returned values around {x[:, j].mean().item():.4g} that vary by only about "
                         f"{spread[j].item():.3g}; float32 (the networks' number type) holds numbers that large only "
                         f"in steps of {float(np.spacing(np.float32(centre[j].item()))):.3g}, so the spread would be rounded away. Subtract "
                         f"the offset first (train on x - {x[:, j].mean().item():.4g}) and add it back to the samples.")


def check_spread(sample):
    """Refuse real data with no spread at all: a GAN learns a distribution, and a constant has none."""
    if len(sample) > 1 and bool((sample.double().std(0) == 0).all()):
        value = sample[0].tolist()
        value = value[0] if len(value) == 1 else (value if len(value) <= 4 else f"a row of {len(value)} numbers")
        hint = ""
        if sample.abs().max() >= 1e6:
            hint = (" At this size float32 (the networks' number type) keeps only about 7 significant digits, so "
                    "small differences may have been rounded away: subtract the offset (or rescale) first.")
        raise ValueError(f"target returned the same value ({value}) in all {len(sample)} samples: a constant has "
                         f"no distribution to learn. Give a target whose samples vary.{hint}")


def as_target(target):
    """``target`` as a sampler ``n -> (n, d)``: a data set becomes ``Empirical``; anything else is checked."""
    if isinstance(target, (np.ndarray, torch.Tensor)):
        if target.ndim == 2 and 1 <= target.shape[0] <= target.shape[1]:
            rows, cols = target.shape
            raise ValueError(f"target: a data set has one sample per row, and this one has {rows} row"
                             f"{'s' if rows != 1 else ''} of {cols} numbers, so it would train a {cols}-D GAN on "
                             f"{rows} sample{'s' if rows != 1 else ''}. If the samples run along the other axis, "
                             f"pass data.T (shape ({cols}, {rows})){' or data.reshape(-1, 1)' if rows == 1 else ''}.")
        if target.dtype in (np.float64, torch.float64) and target.ndim in (1, 2) and len(target) > 1:
            table = torch.as_tensor(target).reshape(len(target), -1)
            if bool(torch.isfinite(table).all()):
                _check_float32_spacing(table, len(table))
        return Empirical(target)
    if isinstance(target, type) and issubclass(target, Sampler):
        raise TypeError(f"target must be a sampler, such as {target.__name__}(...); got the class {target.__name__} "
                        f"itself. Note the brackets: {target.__name__}() makes one (with its own settings inside).")
    check_callable("target", target, "a sampler: a function n -> tensor (n, d) of real samples "
                   "(or a tensor/array of real samples)")
    if not isinstance(target, Sampler) and not _accepts(target, 1):
        raise TypeError(f"target is called as target(n), with the number of samples wanted, and must return them "
                        f"(a tensor or array (n, d)); {_show(target)} does not take one argument. Write it as "
                        "`lambda n: ...` or `def target(n): ...`.")
    return target


def _accepts(fn, count):
    """Whether ``fn`` can be called with ``count`` positional arguments (True when it cannot be told)."""
    try:
        inspect.signature(fn).bind(*range(count))
    except TypeError:
        return False
    except ValueError:          # no signature to read (some built-ins): let the call itself tell
        return True
    return True


def build_models(recipe, dim, generator=None):
    """The recipe's G and D for ``dim``-dimensional data.

    With ``generator`` (a ``torch.Generator``) the weights are drawn from it instead of PyTorch's
    global random state, exactly as ``nn.Linear`` would draw them after ``torch.manual_seed``,
    and the classic generator's dropout draws from it too: a run in a background thread then
    trains the same networks without touching the notebook's random numbers.
    """
    if generator is None:
        return _make_models(recipe, dim)
    with torch.device("meta"):
        G, D = _make_models(recipe, dim)
    G, D = G.to_empty(device="cpu"), D.to_empty(device="cpu")
    for net in (G, D):
        for layer in net.modules():
            if isinstance(layer, nn.Linear):
                _init_linear(layer, generator)
            elif any(True for _ in layer.parameters(recurse=False)):
                raise TypeError(f"cannot initialise {type(layer).__name__} from a private generator")
    if isinstance(G, Generator):
        G.dropout_generator = generator
    return G, D


@torch.no_grad()
def _init_linear(layer, generator):
    """``nn.Linear.reset_parameters``, drawing from ``generator`` (same numbers for the same state)."""
    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        fan_in = layer.weight.shape[1]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _make_models(recipe, dim):
    d_in = _features.feature_size(recipe.features, recipe.batch_size, dim)
    critic = recipe.loss not in ("non_saturating", "minimax")
    if recipe.generator == "classic":
        G = Generator(recipe.noise_dim, recipe.g_hidden[0], dim, recipe.g_activation, recipe.g_dropout)
    elif recipe.generator == "linear":
        G = LinearGenerator(recipe.noise_dim, dim)
    else:
        G = MLPGenerator(recipe.noise_dim, dim, recipe.g_hidden, recipe.g_activation)
    if recipe.discriminator == "classic":
        D = Discriminator(d_in, recipe.d_hidden[0], 1, sigmoid=not critic)
    else:
        D = MLPDiscriminator(d_in, recipe.d_hidden, recipe.d_activation, sigmoid=False)
    return G, D


def make_optimizer(recipe, params, lr):
    """The recipe's optimizer (Adam or SGD with momentum) for ``params`` at learning rate ``lr``."""
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=recipe.momentum, fused=False)
    # fused: one kernel for all parameters, much less Python per step on small networks
    return torch.optim.Adam(params, lr=lr, betas=recipe.betas, fused=True)


def _report_line(history, reference, epoch, final=False):
    last = history.last()
    head = f"{'final' if final else 'epoch'} {epoch:>5}"
    if not last:
        return head + ": nothing recorded yet"
    if reference is not None and reference.shape[1] == 1:
        r = _moments(reference)
        real = f"mean {r['mean']:.2f} std {r['std']:.2f} skew {r['skew']:+.2f} kurt {r['kurtosis']:+.2f}"
        fake = (f"mean {last['fake_mean']:.2f} std {last['fake_std']:.2f} skew {last['fake_skew']:+.2f} "
                f"kurt {last['fake_kurtosis']:+.2f}")
        return (f"{head} | D loss {last['loss_d']:.3f}  G loss {last['loss_g']:.3f} | "
                f"real: {real} | fake: {fake}")
    return (f"{head} | D loss {last['loss_d']:.3f}  G loss {last['loss_g']:.3f} | "
            f"D(x) {last['d_real']:.2f}  D(G(z)) {last['d_fake']:.2f} | distance {last['distance']:.3f}")


def _said_go_on(answer):
    """A callback's answer read as a yes or no (False, 0, np.False_, tensor(False) all say stop)."""
    try:
        return bool(answer)
    except Exception:
        raise TypeError(f"callback must return True/None (go on) or False (stop); it returned {_show(answer)}.") from None


class _CallbackFailed(Exception):
    pass


class _Diverged(Exception):
    pass


class Progress:
    """The one progress line every trainer prints, redrawn at most every half second.

    ``update(epoch, distance=0.31)`` shows ``name: epoch 120/800 · distance 0.310 · 1.2 s`` (any
    measures, by name); ``say(line)`` prints a line that stays (a report, the closing summary).
    """

    def __init__(self, enabled, epochs, name):
        self.enabled, self.epochs, self.name = enabled, epochs, name
        self.start = time.perf_counter()
        self.shown = False
        self.next = self.start + 1.0

    def update(self, epoch, **measures):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + 0.5
            self.shown = True
            shown = "".join(f" · {k.replace('_', ' ')} {v:.3f}" if isinstance(v, float) else f" · {k.replace('_', ' ')} {v}"
                            for k, v in measures.items() if v is not None)
            print(f"\r{self.name}: epoch {epoch}/{self.epochs}{shown} · {now - self.start:.1f} s", end="", flush=True)

    def say(self, line):
        if self.enabled:
            print(("\r" if self.shown else "") + line, flush=True)
            self.shown = False


# --------------------------------------------------------------------------- fit

def fit(target, *, recipe="modern", generator=None, discriminator=None, d_step=None, g_step=None, epochs=None, lr_d=None, lr_g=None, d_steps=None, g_steps=None,
        batch_size=None, seed=0, callback=None, loss=None, features=None, noise=None, order=None,
        d_pretrain=None, log_every=None, report_every=None, progress=True, threads=1, **unknown):
    """Train a GAN on ``target`` and return a ``FitResult``.

    ``target``: a function ``n -> tensor (n, d)`` of real samples (a sampler from
    ``gan_lesson.samplers``, any callable returning a tensor or numpy array, or a tensor/array
    holding a data set). ``recipe``: ``"modern"`` (seconds, close fit), ``"classic"`` (the
    classic 1-D loop of notebook 05) or a ``Recipe``. Every other setting left at ``None`` takes the
    recipe's value. ``seed`` fixes every random number of the run (same seed, same machine →
    same weights). ``callback(state)`` is called every ``log_every`` epochs with a
    ``TrainingState``; returning ``False`` stops the run. ``progress`` prints a progress line and
    a closing line (the summary, or why the run stopped early; ``result.message`` holds it too);
    ``threads`` is the PyTorch thread count used while training.

    Your own pieces, each optional (what is not given comes from the recipe):
    ``generator``: a module from noise ``(n, noise_dim)`` to samples ``(n, d)`` (its first
    ``nn.Linear`` sets ``noise_dim``); ``discriminator``: a module from samples ``(n, d)`` to one
    verdict per sample ``(n, 1)`` (logits, or probabilities if it ends in ``nn.Sigmoid``);
    ``d_step(G, D, g_opt, d_opt, real, z)`` and ``g_step(G, D, g_opt, d_opt, z)``: notebook 05's
    steps, returning the loss. Your modules are trained in place (with ``ema`` > 0 they end
    holding the averaged weights) and the result samples from them. When the recipe
    standardises the data, your networks work in standard units (``real`` arrives standardised).
    Your steps get a D that returns what the loss reads: P(real) for the BCE losses
    (``"non_saturating"``, ``"minimax"``), a raw score for the others.
    """
    if unknown:
        raise TypeError(unknown_setting("fit", sorted(unknown)[0], FIT_SETTINGS))
    with interrupt_guard() as guard:     # from the first line: a Ctrl-C never lands half-way
        pieces = _check_pieces(generator=generator, discriminator=discriminator, d_step=d_step, g_step=g_step)
        return _fit(target, guard, pieces=pieces, recipe=recipe, epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps,
                    g_steps=g_steps, batch_size=batch_size, seed=seed, callback=callback, loss=loss,
                    features=features, noise=noise, order=order, d_pretrain=d_pretrain, log_every=log_every,
                    report_every=report_every, progress=progress, threads=threads)


FIT_SETTINGS = ("recipe", "generator", "discriminator", "d_step", "g_step", "epochs", "lr_d", "lr_g", "d_steps", "g_steps", "batch_size", "seed", "callback", "loss",
                "features", "noise", "order", "d_pretrain", "log_every", "report_every", "progress", "threads")


def _check_pieces(**given):
    """The student's pieces that were given, each checked: modules for the players, functions for the steps."""
    pieces = {}
    for name in ("generator", "discriminator"):
        module = given[name]
        if module is None:
            continue
        if isinstance(module, type):
            raise TypeError(f"{name} must be a model (an nn.Module instance); got the class {module.__name__} itself. "
                            f"Note the brackets: {module.__name__}(...) makes one.")
        if not isinstance(module, nn.Module):
            hint = " (call your function: make_generator(...) returns the module)" if callable(module) else ""
            raise TypeError(f"{name} must be a torch.nn.Module (a network); got {_show(module)}{hint}.")
        if not any(p.requires_grad for p in module.parameters()):
            raise ValueError(f"{name} has no trainable parameters, so there is nothing to train: give it at least "
                             "one layer with weights (nn.Linear, nn.Conv2d, ...).")
        pieces[name] = module
    for name, count, call in (("d_step", 6, "d_step(G, D, g_opt, d_opt, real, z)"), ("g_step", 5, "g_step(G, D, g_opt, d_opt, z)")):
        step = given[name]
        if step is None:
            continue
        check_callable(name, step, f"a function {call} that makes one update and returns the loss")
        if not _accepts(step, count):
            raise TypeError(f"{name} is called as {call}, with {count} arguments; {_show(step)} does not take "
                            f"{count}. Write it as `def {call}: ...`.")
        pieces[name] = step
    if "generator" in pieces and pieces.get("generator") is pieces.get("discriminator"):
        raise ValueError("generator and discriminator are the same module; give two separate networks.")
    return pieces


def _fit(target, guard, *, pieces, recipe, epochs, lr_d, lr_g, d_steps, g_steps, batch_size, seed, callback, loss,
         features, noise, order, d_pretrain, log_every, report_every, progress, threads):
    if torch.get_default_dtype() != torch.float32:
        raise RuntimeError(f"fit trains in float32, but PyTorch's default dtype is now {torch.get_default_dtype()} "
                           "(torch.set_default_dtype was called); run torch.set_default_dtype(torch.float32) first.")
    base = recipe_named(recipe)
    overrides = {k: v for k, v in dict(epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, g_steps=g_steps,
                                       batch_size=batch_size, loss=loss, features=features, noise=noise,
                                       order=order, d_pretrain=d_pretrain, log_every=log_every,
                                       report_every=report_every).items() if v is not None}
    rec = base.replace(**overrides) if overrides else base
    seed = check_seed("seed", seed)
    if callback is not None:
        check_callable("callback", callback)
        if not _accepts(callback, 1):
            raise TypeError(f"callback is called as callback(state), with a TrainingState, and must take one "
                            f"argument; {_show(callback)} does not. Write it as `def callback(state): ...`.")
    progress = check_bool("progress", progress)
    target = as_target(target)
    threads_n = check_int("threads", threads, low=1)

    warm_up()
    if threading.current_thread() is not threading.main_thread():
        # a dashboard's background run: the notebook's own random numbers (and thread count,
        # which PyTorch keeps per thread) must not notice it, so the run draws from private
        # generators only, seeded so that it trains exactly what the same call in the notebook would
        with torch_threads(threads_n):
            return _train(target, rec, seed, callback, progress, guard, private=True, pieces=pieces)
    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), torch_threads(threads_n):
            torch.manual_seed(seed)
            np.random.seed(seed)
            return _train(target, rec, seed, callback, progress, guard, pieces=pieces)
    finally:
        np.random.set_state(np_state)


class _Judge(nn.Module):
    """D as the steps see it: the recipe's features first (a batch's moments, or each sample as it is),
    then D; ``probabilities=True`` applies the sigmoid to a D that returns logits."""

    def __init__(self, D, features, probabilities=False):
        super().__init__()
        self.D, self.featurize = D, _features.featurize(features)
        self.sigmoid = probabilities

    def forward(self, x):
        out = self.D(self.featurize(x))
        return torch.sigmoid(out) if self.sigmoid else out


@contextlib.contextmanager
def _held_fixed(D):
    """D's weights take no gradient inside the block (the generator's phase): nothing to compute or to leak."""
    params = [p for p in D.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


class _Mean:
    """A running mean that starts empty (NaN until something is added)."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value):
        self.total, self.count = self.total + value, self.count + 1

    def take(self):
        """The mean so far, then start again."""
        mean = self.total / self.count if self.count else float("nan")
        self.total, self.count = 0.0, 0
        return mean


def _loss_value(value, step):
    """What a step returned, as a float (a scalar tensor or a number), or a clear error."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{step} must return the loss it stepped on (a float such as loss.item(), or a scalar tensor); "
                    f"it returned {_show(value)}. End it with `return loss.item()`.")


def _grad_norm(module):
    grads = [p.grad.norm() for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(grads)).item() if grads else float("nan")


class _Averager:
    """G's weights averaged over the steps (``ema`` > 0): ``avg ← ema·avg + (1 − ema)·G`` after every epoch."""

    def __init__(self, G, ema):
        self.ema = ema
        self.G_avg = copy.deepcopy(G).requires_grad_(False) if ema > 0 else G
        self.pairs = list(zip(self.G_avg.parameters(), G.parameters())) if ema > 0 else []
        self.buffers = list(zip(self.G_avg.buffers(), G.buffers())) if ema > 0 else []

    @torch.no_grad()
    def update(self):
        for p_avg, p in self.pairs:
            p_avg.lerp_(p, 1.0 - self.ema)
        for b_avg, b in self.buffers:       # batch-norm statistics: the latest ones
            b_avg.copy_(b)


@torch.enable_grad()          # training needs gradients, even when called inside torch.no_grad()
def _train(target, rec, seed, callback, progress, guard, private=False, pieces=None):
    pieces = pieces or {}
    rng = torch.Generator().manual_seed(seed)

    # --- the data: checked once, standardised for the networks, a fixed sample to measure against
    first = draw(target, rec.batch_size, rng)
    if not torch.isfinite(first).all():
        raise ValueError(f"target returned NaN or infinite values (in the first batch of {rec.batch_size}); "
                         "real samples must be finite numbers.")
    dim = first.shape[1]
    reference = draw(target, REFERENCE_SIZE, rng, dim)
    check_spread(torch.cat([first, reference]))
    std = (Standardiser.fitted_to(torch.cat([reference, draw(target, max(0, 5000 - REFERENCE_SIZE), rng, dim)]))
           if rec.standardise else Standardiser(dim))

    # --- the players: the student's own where given, else the recipe's
    G, D, rec = _players(rec, dim, pieces, private, seed)
    logits = reads_logits(D)
    loss = losses.get(rec.loss)
    d_opt = make_optimizer(rec, D.parameters(), rec.lr_d)
    g_opt = make_optimizer(rec, G.parameters(), rec.lr_g)
    noise = noise_sampler(rec.noise)
    fixed_noise = noise(SNAPSHOT_SIZE, rec.noise_dim, generator=torch.Generator().manual_seed(seed + 12345))
    judge = D if rec.features == "per_sample" else _Judge(D, rec.features)          # D's raw output
    belief = _Judge(D, rec.features, probabilities=logits and loss.probabilities)   # read as the loss reads it
    if "d_step" in pieces:
        d_step, D_for_d = pieces["d_step"], belief
    else:
        d_step, D_for_d = functools.partial(steps.d_step, loss=loss, logits=logits, gp_weight=rec.gp_weight,
                                            clip=rec.clip, generator=rng), judge
    if "g_step" in pieces:
        g_step, D_for_g = pieces["g_step"], belief
    else:
        g_step, D_for_g = functools.partial(steps.g_step, loss=loss, logits=logits), judge
    _check_players(G, belief, std(first), noise(2, rec.noise_dim, generator=torch.Generator().manual_seed(0)),
                   dim, rec, pieces)

    real_batch = _RealBatches(target, rec.batch_size, rng, dim, std)

    def noise_batch():
        return noise(rec.batch_size, rec.noise_dim, generator=rng)

    averager = _Averager(G, rec.ema)
    history, snapshots = History(), []
    loss_d, loss_g, grad_g = _Mean(), _Mean(), float("nan")
    saved = _weights(G, D, averager.G_avg)           # the last recorded weights: what a diverged run returns
    bar = Progress(progress, rec.epochs, f"{rec.name} recipe")
    started = time.perf_counter()
    phases = ("d", "g") if rec.order == "d_first" else ("g", "d")
    status, message, epoch = "finished", f"Finished {rec.epochs} epochs.", 0   # epoch: the last one completed

    try:
        for _ in range(rec.d_pretrain):                # D first learns what real looks like
            guard.stop_here()
            _finite(_loss_value(d_step(G, D_for_d, g_opt, d_opt, real_batch(), noise_batch()), "d_step"), "discriminator")
        row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g, grad_g, 0, started)
        snapshots.append((0, samples))
        history.append(**row)
        _after_record(callback, history, snapshots, reference, rec, bar, started)

        for epoch_now in range(1, rec.epochs + 1):
            guard.stop_here()                          # a Ctrl-C asked to stop: here every step is complete
            if rec.lr_decay:                           # linearly down to zero over the run
                d_opt.param_groups[0]["lr"] = rec.lr_d * (1 - (epoch_now - 1) / rec.epochs)
                g_opt.param_groups[0]["lr"] = rec.lr_g * (1 - (epoch_now - 1) / rec.epochs)
            for phase in phases:
                if phase == "d":                       # 1. D: real -> 1, detached fake -> 0
                    for _ in range(rec.d_steps):
                        value = _loss_value(d_step(G, D_for_d, g_opt, d_opt, real_batch(), noise_batch()), "d_step")
                        loss_d.add(_finite(value, "discriminator"))
                else:                                  # 2. G: fake through a fixed D -> 1
                    with _held_fixed(D):
                        for _ in range(rec.g_steps):
                            value = _loss_value(g_step(G, D_for_g, g_opt, d_opt, noise_batch()), "g_step")
                            loss_g.add(_finite(value, "generator"))
                    grad_g = _grad_norm(G)             # the size of G's last step's gradient
            averager.update()
            epoch = epoch_now
            if epoch % rec.log_every == 0 or epoch == rec.epochs or (rec.report_every and epoch % rec.report_every == 0):
                row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g,
                                       grad_g, epoch, started)
                snapshots.append((epoch, samples))
                history.append(**row)
                saved = _weights(G, D, averager.G_avg)
                if not _after_record(callback, history, snapshots, reference, rec, bar, started):
                    status = "stopped"
                    message = f"Stopped by the callback at epoch {epoch} of {rec.epochs}; the result holds what was trained so far."
                    break
    except KeyboardInterrupt:
        status = "interrupted"
        message = (f"Training interrupted after epoch {epoch} of {rec.epochs}; "
                   f"the result holds what was trained up to there.")
        if rec.d_pretrain and not len(history):
            message = (f"Training interrupted while the discriminator was pre-trained (before epoch 1 of "
                       f"{rec.epochs}); the result holds the untrained generator.")
    except _CallbackFailed as exc:
        error = exc.args[0]
        status = "failed"
        message = (f"Stopped at epoch {epoch} of {rec.epochs}: the callback raised {type(error).__name__}: {error} "
                   "(its traceback is printed above); the result holds what was trained up to there.")
        traceback.print_exception(error, file=sys.stderr)
    except _Diverged as exc:
        which, value = exc.args
        if which == "discriminator" and not torch.isfinite(real_batch.last).all():
            which = "target"               # the data, not the weights, made the loss NaN
        status = "diverged"
        kept = history.epoch[-1] if len(history) else 0
        _restore(saved, G, D, averager.G_avg)          # the weights of the last record, before the blow-up
        message = _divergence_message(which, value, epoch + 1, rec, reference, kept)
        if rec.d_pretrain and not len(history):
            message = message.replace(f"at epoch {epoch + 1}", "while the discriminator was pre-trained")
        epoch = kept

    seconds = time.perf_counter() - started
    history.trim()                                   # a record cut short by an exception
    del snapshots[len(history):]
    if status in ("interrupted", "diverged") and (not len(history) or history.epoch[-1] != epoch):
        with contextlib.suppress(Exception, KeyboardInterrupt):      # a last record of the weights returned
            row, samples = _record(G, averager.G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g,
                                   grad_g, epoch, started)
            snapshots.append((epoch, samples))
            history.append(**row)
        history.trim()
        del snapshots[len(history):]
    if rec.ema > 0:                                  # G itself holds the averaged weights it is judged by
        G.load_state_dict(averager.G_avg.state_dict())
    result = FitResult(DataGenerator(G, std), DataDiscriminator(D, std, rec.features, probability=loss.probabilities),
                       history, snapshots, rec, dim, status, message, epoch, seconds, seed, reference=reference,
                       target=target, own_networks={k: k in pieces for k in ("generator", "discriminator")})
    if status == "finished":
        d = history.distance[-1] if len(history) else float("nan")
        bar.say(f"{rec.name} recipe: {epoch} epochs in {seconds:.1f} s · distance to target {d:.3f}")
    elif progress:
        print(("\r" if bar.shown else "") + message, flush=True)
    return result


class _RealBatches:
    """Draws real batches in standard units; ``last`` keeps the latest one as drawn (to tell NaN data from a blow-up)."""

    def __init__(self, target, batch_size, rng, dim, std):
        self.target, self.batch_size, self.rng, self.dim, self.std = target, batch_size, rng, dim, std
        self.last = torch.zeros(0)

    def __call__(self):
        self.last = draw(self.target, self.batch_size, self.rng, self.dim)
        return self.std(self.last)


def _finite(value, which):
    if not math.isfinite(value):
        raise _Diverged(which, value)
    return value


@torch.no_grad()
def _record(G, G_avg, belief, std, fixed_noise, reference, rec, loss_d, loss_g, grad_g, epoch, started):
    """One history row and the snapshot: what the figures plot."""
    samples = std.inverse(G_avg(fixed_noise))
    finite = bool(torch.isfinite(samples).all())
    n = min(rec.batch_size, len(reference), len(fixed_noise))
    d_real = belief(std(reference[:n])).mean().item()               # D(x) on real samples
    d_fake = belief(G(fixed_noise[:n])).mean().item()                # D(G(z)) on the current G's samples
    m = _moments(samples) if finite and samples.shape[1] == 1 else dict.fromkeys(("mean", "std", "skew", "kurtosis"), float("nan"))
    return dict(epoch=epoch, loss_d=loss_d.take(), loss_g=loss_g.take(), d_real=d_real, d_fake=d_fake, grad_g=grad_g,
                distance=_distance(samples, reference) if finite else float("inf"),
                spread=float((samples.std(0) / reference.std(0).clamp_min(1e-12)).mean()) if finite else float("nan"),
                fake_mean=m["mean"], fake_std=m["std"], fake_skew=m["skew"], fake_kurtosis=m["kurtosis"],
                seconds=time.perf_counter() - started), samples.clone()


def _after_record(callback, history, snapshots, reference, rec, bar, started):
    """Print what the recipe asks for and ask the callback whether to go on (False: stop)."""
    epoch, samples = snapshots[-1]
    if rec.report_every and epoch % rec.report_every == 0:
        bar.say(_report_line(history, reference, epoch))
    bar.update(epoch, distance=history.distance[-1])
    if callback is None:
        return True
    try:       # the callback sees copies: whatever it does to them, the run's own record stays as it was
        answer = callback(TrainingState(epoch, rec.epochs, History.from_dict(history.as_dict()), samples.clone(),
                                        reference.clone(), time.perf_counter() - started, rec))
    except Exception as exc:          # the student's callback broke: keep what was trained
        raise _CallbackFailed(exc) from exc
    return answer is None or _said_go_on(answer)


def _weights(*modules):
    return [{k: v.detach().clone() for k, v in m.state_dict().items()} for m in modules]


def _restore(saved, *modules):
    for state, m in zip(saved, modules):
        m.load_state_dict(state)


def reads_logits(D):
    """Whether D returns raw scores: its own ``outputs_logits`` if it says, else whether it does not end in a sigmoid."""
    said = getattr(D, "outputs_logits", None)
    if said is not None:
        return bool(said)
    last = [m for m in D.modules() if not list(m.children())]
    return not (last and isinstance(last[-1], nn.Sigmoid))


def _players(rec, dim, pieces, private, seed):
    """G and D: the student's modules where given (trained in place), the recipe's otherwise."""
    G, D = pieces.get("generator"), pieces.get("discriminator")
    if G is not None:
        width = getattr(G, "noise_dim", None) or next((m.in_features for m in G.modules() if isinstance(m, nn.Linear)), None)
        if width is not None and width != rec.noise_dim:
            rec = rec.replace(noise_dim=int(width))        # the noise this generator takes
    if G is None or D is None:
        built_G, built_D = build_models(rec, dim, generator=torch.Generator().manual_seed(seed) if private else None)
        G = built_G if G is None else G
        D = built_D if D is None else D
    return G.train(), D.train(), rec


def _run_once(net, x, failed):
    """``net(x)`` without gradients; an error says ``failed`` and what PyTorch said."""
    try:
        with torch.no_grad():
            return net(x)
    except Exception as exc:
        raise ValueError(f"{failed}: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}") from None


def _check_players(G, belief, real, z, dim, rec, pieces):
    """Run each player once on a tiny batch and say clearly what does not fit."""
    mine = "your generator" if "generator" in pieces else "the recipe's generator"
    out = _run_once(G, z, f"generator: {mine} could not take noise of shape {tuple(z.shape)} (the recipe's "
                          f"noise_dim={rec.noise_dim})")
    if not isinstance(out, torch.Tensor) or out.shape != (len(z), dim):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"generator: {mine} must map noise (n, {rec.noise_dim}) to samples (n, {dim}) like the "
                         f"target's; for noise of shape {tuple(z.shape)} it returned {shape}.")
    mine = "your discriminator" if "discriminator" in pieces else "the recipe's discriminator"
    verdict = _run_once(belief, real, f"discriminator: {mine} could not judge a real batch of shape "
                                      f"{tuple(real.shape)} (D sees {rec.features!r})")
    rows = len(real) if rec.features == "per_sample" else 1
    if not isinstance(verdict, torch.Tensor) or verdict.shape != (rows, 1):
        shape = tuple(verdict.shape) if isinstance(verdict, torch.Tensor) else type(verdict).__name__
        raise ValueError(f"discriminator: {mine} must give one verdict per {'sample' if rows > 1 else 'batch'}, "
                         f"shape ({rows}, 1), for a real batch of shape {tuple(real.shape)}; it returned {shape}.")


def _divergence_message(which, value, epoch, rec, reference, kept):
    kept_text = f"from epoch {kept}, its last record" if kept else "it started with"
    if which == "target":
        return (f"Training stopped at epoch {epoch}: the target returned NaN or infinite samples, so the losses would "
                f"be NaN. Likely cause: the target returned NaN or infinite samples; real samples must be finite "
                f"numbers. The result keeps the weights {kept_text}.")
    head = f"Training stopped at epoch {epoch}: the {which} loss became {value} (not a finite number)."
    lr = rec.lr_d if which == "discriminator" else rec.lr_g
    cause = (f"Likely cause: the learning rates are too high for this setup (lr_d={rec.lr_d:g}, "
             f"lr_g={rec.lr_g:g}) and the weights blew up; try {lr / 10:g} for lr_{which[0]}")
    if not losses.get(rec.loss).bounded or rec.loss == "least_squares":
        cause += f", or a bounded loss such as 'non_saturating' (this run used {rec.loss!r})"
    cause += "."
    kept = f"from epoch {kept}, its last record" if kept else "it started with"
    return f"{head} {cause} The result keeps the weights {kept}."


_as_target, _draw = as_target, draw      # old names, until every module uses the public ones
