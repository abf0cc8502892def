"""The training loop, its history, and ``fit``: one call for the common case.

One epoch of the loop (``order="d_first"``, the classic one):

1. ``d_steps`` discriminator updates. Each draws a real batch (target label 1) and a fake batch
   ``G(z)`` that is *detached*, so the discriminator's labels do not train G (target label 0);
   then steps D's optimizer only.
2. ``g_steps`` generator updates. Each passes ``G(z)`` through D against the label "real" and
   steps G's optimizer only. D is frozen meanwhile (``requires_grad_(False)``), so the
   generator's loss neither moves D nor wastes time on D's gradients.

``order="g_first"`` runs the generator phase first. Every ``log_every`` epochs the run records
the mean losses, D(x), D(G(z)), the generator's gradient norm, the generated spread and the
distance to the target in a ``History``, keeps a snapshot of samples generated from one fixed
noise batch, and calls ``callback(state)``; a callback that returns ``False`` stops the run.

Faults: a non-finite loss stops the run before the step that would spoil the weights and says
which loss, when, and the likely cause; Ctrl-C (the notebook's stop button) stops it too. Both
return the result trained so far, with ``result.status`` saying what happened.
"""
import contextlib
import copy
import inspect
import math
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import features as _features
from .interrupts import interrupt_guard, warm_up
from .losses import _gradient_penalty, loss_functions
from .metrics import distance as _distance
from .metrics import moments as _moments
from .models import Discriminator, Generator, LinearGenerator, MLPDiscriminator, MLPGenerator
from .recipes import RECIPES, Recipe, recipe_named
from .samplers import Empirical, Sampler, noise_sampler
from .validation import MAX_SEED, check_bool, check_callable, check_int, check_seed, unknown_setting
from .validation import short_repr as _show

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Standardiser",
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

@dataclass
class History:
    """What the run recorded every ``log_every`` epochs (one entry per record).

    ``loss_d``/``loss_g``: mean losses since the previous record; ``d_real``/``d_fake``: mean
    D(x) and D(G(z)) as probabilities (critic scores for Wasserstein losses); ``grad_g``: norm of
    the generator's gradient at its last step; ``distance``: Wasserstein-1 (sliced for d > 1)
    from the snapshot to a fixed real sample, in data units; ``spread``: generated std over real
    std (1 is right, near 0 is collapse); ``fake_mean`` … ``fake_kurtosis``: moments of the
    snapshot (1-D data only, else NaN); ``seconds``: wall time since the start.
    """

    epoch: list = field(default_factory=list)
    loss_d: list = field(default_factory=list)
    loss_g: list = field(default_factory=list)
    d_real: list = field(default_factory=list)
    d_fake: list = field(default_factory=list)
    grad_g: list = field(default_factory=list)
    distance: list = field(default_factory=list)
    spread: list = field(default_factory=list)
    fake_mean: list = field(default_factory=list)
    fake_std: list = field(default_factory=list)
    fake_skew: list = field(default_factory=list)
    fake_kurtosis: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def __len__(self):
        return len(self.epoch)

    def __getitem__(self, name):
        """``history["distance"]`` is ``history.distance`` (a column by name)."""
        if isinstance(name, str) and name in self.__dataclass_fields__:
            return getattr(self, name)
        raise KeyError(f"a History has the columns {', '.join(self.__dataclass_fields__)}; got {_show(name)}. "
                       "Read one as history.distance or history['distance'].")

    def append(self, **row):
        """Add one record: a value for every column, or none at all (columns stay equal in length)."""
        names = list(self.__dataclass_fields__)
        missing, unknown = set(names) - set(row), set(row) - set(names)
        if missing or unknown:
            raise ValueError(f"a history record needs exactly the columns {', '.join(names)}; "
                             f"missing {sorted(missing)}, unknown {sorted(unknown)}.")
        for name in names:
            getattr(self, name).append(row[name])

    def trim(self):
        """Cut every column to the shortest one's length (after a record that was cut short)."""
        n = min(len(v) for v in self.__dict__.values())
        for v in self.__dict__.values():
            del v[n:]
        return self

    def as_dict(self):
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, values):
        """A History from ``as_dict()``'s output; a column it lacks is filled with NaN."""
        n = len(values.get("epoch", []))
        return cls(**{k: list(values[k]) if k in values else [float("nan")] * n
                      for k in cls.__dataclass_fields__}).trim()

    def last(self):
        """The latest record as a dict (empty before the first)."""
        return {k: v[-1] for k, v in self.__dict__.items() if v}

    def __repr__(self):
        if not self.epoch:
            return "History(empty)"
        return (f"History({len(self)} records, epochs {self.epoch[0]}–{self.epoch[-1]}, "
                f"last distance {self.distance[-1]:.3g})")


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
                 epochs_done, seconds, seed, reference=None, target=None):
        self.generator, self.discriminator = generator, discriminator
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
        return _distance(self.sample(n, seed=seed), _draw(self.target, n, g))

    def report(self):
        """Print the final statistics the way the classic lesson does (1-D data)."""
        print(_report_line(self.history, self.reference, self.epochs_done, final=True))

    def save(self, path):
        """Save weights, settings and history (tensors, numbers and strings only) to ``path``.

        An existing file is replaced only if it is itself a saved result: anything else there (a
        notebook, a data file) is refused rather than overwritten. The file is written whole or
        not at all (a Ctrl-C or a full disk leaves any earlier file as it was).
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
        }
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

    def __repr__(self):
        dist = f", distance {self.history.distance[-1]:.3g}" if len(self.history) else ""
        return (f"FitResult({self.recipe.name}, {self.epochs_done}/{self.recipe.epochs} epochs, "
                f"{self.status}{dist}, {self.seconds:.1f} s)")


def _as_path(path, verb):
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path.strip()):
        raise TypeError(f"path must be a file name (a string or pathlib.Path) to {verb}; got {_show(path)}.")
    return Path(os.fspath(path)).expanduser()


def _is_result(path):
    """Whether ``path`` holds a file written by ``FitResult.save``."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT


def load(path):
    """Bring back a ``FitResult`` saved with ``.save(path)``.

    Only tensors, numbers and strings are read (``weights_only=True``): no code in the file is
    ever run. A file that is not a saved result raises ``ValueError``.
    """
    import pickle
    import zipfile
    path = _as_path(path, "load")
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a folder; give the file written by FitResult.save.")
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
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a gan-lesson result: it was not written by FitResult.save.")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{str(path)!r} was saved in format version {data.get('version')}; this gan_lesson reads version {FORMAT_VERSION}.")
    try:
        recipe = Recipe.from_dict(data["recipe"])
        dim = data["dim"]
        G, D = _build_models(recipe, dim)
        std = Standardiser(dim)
        generator = DataGenerator(G, std)
        discriminator = DataDiscriminator(D, std, recipe.features,
                                          probability=recipe.loss in ("non_saturating", "minimax"))
        generator.load_state_dict(data["generator"])
        discriminator.load_state_dict(data["discriminator"])
        snaps = list(zip(data["snapshot_epochs"], data["snapshot_samples"])) if data["snapshot_epochs"] else []
        return FitResult(generator, discriminator, History.from_dict(data["history"]), snaps, recipe, dim,
                         data["status"], data["message"], data["epochs_done"], data["seconds"], data["seed"],
                         reference=data.get("reference"))
    except KeyError as exc:
        problem = f"the entry {exc.args[0]!r} is missing"
    except (RuntimeError, TypeError, ValueError, AttributeError) as exc:
        problem = str(exc).strip().splitlines()[0][:200]
    raise ValueError(f"{str(path)!r} is a damaged gan-lesson result and cannot be loaded ({problem}). "
                     "Save the run again, or use another copy of the file.")


# --------------------------------------------------------------------------- helpers

def _draw(target, n, generator, dim=None):
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


def _as_target(target):
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


def _build_models(recipe, dim, generator=None):
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


def _optimizer(recipe, params, lr):
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


class _Progress:
    """A one-line progress display, redrawn at most every half second."""

    def __init__(self, enabled, epochs, name):
        self.enabled, self.epochs, self.name = enabled, epochs, name
        self.start = time.perf_counter()
        self.shown = False
        self.next = self.start + 1.0

    def update(self, epoch, dist):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now >= self.next:
            self.next = now + 0.5
            self.shown = True
            print(f"\r{self.name}: epoch {epoch}/{self.epochs} · distance {dist:.3f} · {now - self.start:.1f} s",
                  end="", flush=True)

    def say(self, line):
        if self.enabled:
            print(("\r" if self.shown else "") + line, flush=True)
            self.shown = False


# --------------------------------------------------------------------------- fit

def fit(target, *, recipe="modern", epochs=None, lr_d=None, lr_g=None, d_steps=None, g_steps=None,
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
    """
    if unknown:
        raise TypeError(unknown_setting("fit", sorted(unknown)[0], FIT_SETTINGS))
    with interrupt_guard() as guard:     # from the first line: a Ctrl-C never lands half-way
        return _fit(target, guard, recipe=recipe, epochs=epochs, lr_d=lr_d, lr_g=lr_g, d_steps=d_steps,
                    g_steps=g_steps, batch_size=batch_size, seed=seed, callback=callback, loss=loss,
                    features=features, noise=noise, order=order, d_pretrain=d_pretrain, log_every=log_every,
                    report_every=report_every, progress=progress, threads=threads)


FIT_SETTINGS = ("recipe", "epochs", "lr_d", "lr_g", "d_steps", "g_steps", "batch_size", "seed", "callback", "loss",
                "features", "noise", "order", "d_pretrain", "log_every", "report_every", "progress", "threads")


def _fit(target, guard, *, recipe, epochs, lr_d, lr_g, d_steps, g_steps, batch_size, seed, callback, loss,
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
    target = _as_target(target)
    threads_n = check_int("threads", threads, low=1)

    warm_up()
    if threading.current_thread() is not threading.main_thread():
        # a dashboard's background run: the notebook's own random numbers (and thread count,
        # which PyTorch keeps per thread) must not notice it, so the run draws from private
        # generators only, seeded so that it trains exactly what the same call in the notebook would
        with torch_threads(threads_n):
            return _train(target, rec, seed, callback, progress, guard, private=True)
    np_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]), torch_threads(threads_n):
            torch.manual_seed(seed)
            np.random.seed(seed)
            return _train(target, rec, seed, callback, progress, guard)
    finally:
        np.random.set_state(np_state)


@torch.enable_grad()          # training needs gradients, even when called inside torch.no_grad()
def _train(target, rec, seed, callback, progress, guard, private=False):
    rng = torch.Generator().manual_seed(seed)
    draw = lambda n: _draw(target, n, rng)  # noqa: E731

    # first draw: check everything about the target once
    first = draw(rec.batch_size)
    if not torch.isfinite(first).all():
        raise ValueError(f"target returned NaN or infinite values (in the first batch of {rec.batch_size}); "
                         "real samples must be finite numbers.")
    dim = first.shape[1]
    draw = lambda n: _draw(target, n, rng, dim)  # noqa: E731
    reference = draw(REFERENCE_SIZE)
    check_spread(torch.cat([first, reference]))
    if rec.standardise:
        std = Standardiser.fitted_to(torch.cat([reference, draw(max(0, 5000 - REFERENCE_SIZE))]))
    else:
        std = Standardiser(dim)

    standardise = std if rec.standardise else (lambda x: x)
    G, D = _build_models(rec, dim, generator=torch.Generator().manual_seed(seed) if private else None)
    d_opt = _optimizer(rec, D.parameters(), rec.lr_d)
    g_opt = _optimizer(rec, G.parameters(), rec.lr_g)
    G_avg = copy.deepcopy(G).requires_grad_(False) if rec.ema > 0 else G
    avg_pairs = list(zip(G_avg.parameters(), G.parameters())) if rec.ema > 0 else []
    logits = getattr(D, "outputs_logits", False)
    bce = rec.loss in ("non_saturating", "minimax")
    d_loss_fn, g_loss_fn = loss_functions(rec.loss)
    featurize = _features.featurize(rec.features)
    noise = noise_sampler(rec.noise)
    judge = lambda x: D(featurize(x))  # noqa: E731
    as_prob = (lambda s: torch.sigmoid(s)) if (logits and bce) else (lambda s: s)  # noqa: E731
    fixed_noise = noise(SNAPSHOT_SIZE, rec.noise_dim, generator=torch.Generator().manual_seed(seed + 12345))

    history, snapshots = History(), []
    sums = {"loss_d": 0.0, "loss_g": 0.0, "d_real": 0.0, "d_fake": 0.0, "nd": 0, "ng": 0}
    last_grad = [float("nan")]
    started = time.perf_counter()
    bar = _Progress(progress, rec.epochs, f"{rec.name} recipe")
    real_std = reference.std(0).clamp_min(1e-12)

    def d_step(count):
        real = standardise(draw(rec.batch_size))
        with torch.no_grad():     # like G(z).detach(): D's labels must not train G (and no graph is built)
            fake = G(noise(rec.batch_size, rec.noise_dim, generator=rng))
        if rec.features == "per_sample":      # one pass through D for both halves: same result, faster
            d_real, d_fake = D(torch.cat([real, fake])).split(rec.batch_size)
        else:
            d_real, d_fake = judge(real), judge(fake)
        loss = d_loss_fn(d_real, d_fake, logits)
        if rec.loss == "wasserstein_gp":
            loss = loss + _gradient_penalty(judge, real, fake, rec.gp_weight, rng)
        value = loss.item()
        if not math.isfinite(value):
            raise _Diverged(("discriminator", value, real))
        d_opt.zero_grad()
        loss.backward()
        d_opt.step()
        if rec.loss == "wasserstein_clip":
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-rec.clip, rec.clip)
        if count:
            sums["loss_d"] += value
            sums["d_real"] += as_prob(d_real).mean().item()
            sums["d_fake"] += as_prob(d_fake).mean().item()
            sums["nd"] += 1

    def g_step(measure):
        fake = G(noise(rec.batch_size, rec.noise_dim, generator=rng))
        loss = g_loss_fn(judge(fake), logits)               # "pretend to be real"
        value = loss.item()
        if not math.isfinite(value):
            raise _Diverged(("generator", value, None))
        g_opt.zero_grad()
        loss.backward()                                     # D is frozen here: only G gets gradients
        if measure:
            last_grad[0] = torch.linalg.vector_norm(
                torch.stack([p.grad.norm() for p in G.parameters() if p.grad is not None])).item()
        g_opt.step()
        sums["loss_g"] += value
        sums["ng"] += 1

    d_params = list(D.parameters())

    def g_phase(logging):
        for p in d_params:           # hold D fixed while G trains (and skip its gradients)
            p.requires_grad = False
        try:
            for i in range(rec.g_steps):
                g_step(logging and i == rec.g_steps - 1)
        finally:
            for p in d_params:
                p.requires_grad = True

    @torch.no_grad()
    def record(epoch):
        samples = std.inverse(G_avg(fixed_noise))
        finite = bool(torch.isfinite(samples).all())
        dist = _distance(samples, reference) if finite else float("inf")
        nd, ng = sums["nd"] or float("nan"), sums["ng"] or float("nan")   # NaN: nothing measured yet
        if dim == 1 and finite:
            m = _moments(samples)
            moments = (m["mean"], m["std"], m["skew"], m["kurtosis"])
        else:
            moments = (float("nan"),) * 4
        snapshots.append((epoch, samples.clone()))     # first: trimmed to the history if cut short
        history.append(
            epoch=epoch, loss_d=sums["loss_d"] / nd, loss_g=sums["loss_g"] / ng, d_real=sums["d_real"] / nd,
            d_fake=sums["d_fake"] / nd, grad_g=last_grad[0], distance=dist,
            spread=float((samples.std(0) / real_std).mean()) if finite else float("nan"),
            fake_mean=moments[0], fake_std=moments[1], fake_skew=moments[2], fake_kurtosis=moments[3],
            seconds=time.perf_counter() - started)
        for k in sums:
            sums[k] = 0 if k in ("nd", "ng") else 0.0
        if rec.report_every and epoch % rec.report_every == 0:
            bar.say(_report_line(history, reference, epoch))
        bar.update(epoch, dist)
        if callback is not None:
            # the callback sees a copy: whatever it does to it, the run's own record stays as it was
            try:
                answer = callback(TrainingState(epoch, rec.epochs, History.from_dict(history.as_dict()),
                                                samples.clone(), reference.clone(), time.perf_counter() - started, rec))
            except Exception as exc:          # the student's callback broke: keep what was trained
                raise _CallbackFailed(exc) from exc
            if answer is not None and not _said_go_on(answer):
                return False
        return True

    status, message = "finished", ""
    epoch = 0          # the last epoch whose steps all ran
    try:
        for _ in range(rec.d_pretrain):
            if guard.requested:
                raise KeyboardInterrupt
            d_step(count=False)
        record(0)
        for epoch_now in range(1, rec.epochs + 1):
            if guard.requested:            # a Ctrl-C asked to stop: here every step is complete
                raise KeyboardInterrupt
            if rec.lr_decay:
                frac = 1.0 - (epoch_now - 1) / rec.epochs
                d_opt.param_groups[0]["lr"] = rec.lr_d * frac
                g_opt.param_groups[0]["lr"] = rec.lr_g * frac
            logging = (epoch_now % rec.log_every == 0 or epoch_now == rec.epochs
                       or (rec.report_every and epoch_now % rec.report_every == 0))
            if rec.order == "g_first":
                g_phase(logging)
            for _ in range(rec.d_steps):
                d_step(count=True)
            if rec.order == "d_first":
                g_phase(logging)
            if avg_pairs:
                with torch.no_grad():
                    for p_avg, p in avg_pairs:
                        p_avg.lerp_(p, 1.0 - rec.ema)
            epoch = epoch_now
            if logging and not record(epoch):
                status = "stopped"
                message = f"Stopped by the callback at epoch {epoch} of {rec.epochs}; the result holds what was trained so far."
                break
        else:
            message = f"Finished {rec.epochs} epochs."
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
        which, value, real = exc.args[0]
        status = "diverged"
        message = _divergence_message(which, value, epoch + 1, rec, real)
        if rec.d_pretrain and not len(history):
            message = message.replace(f"at epoch {epoch + 1}", "while the discriminator was pre-trained")

    seconds = time.perf_counter() - started
    history.trim()                                  # a record cut short by an exception
    del snapshots[len(history):]
    if status in ("interrupted", "diverged") and (not len(history) or history.epoch[-1] != epoch):
        with contextlib.suppress(Exception, KeyboardInterrupt):
            record(epoch)   # a last record of the weights being returned
        history.trim()
        del snapshots[len(history):]
    disc = DataDiscriminator(D, std, rec.features, probability=bce)
    result = FitResult(DataGenerator(G_avg, std), disc, history, snapshots, rec, dim, status, message,
                       epoch, seconds, seed, reference=reference, target=target)
    if status == "finished":
        d = history.distance[-1] if len(history) else float("nan")
        bar.say(f"{rec.name} recipe: {epoch} epochs in {seconds:.1f} s · distance to target {d:.3f}")
    elif progress:
        print(("\r" if bar.shown else "") + message, flush=True)
    return result


def _divergence_message(which, value, epoch, rec, real):
    head = f"Training stopped at epoch {epoch}: the {which} loss became {value} (not a finite number)."
    if real is not None and not torch.isfinite(real).all():
        cause = "Likely cause: the target returned NaN or infinite samples."
    else:
        lr = rec.lr_d if which == "discriminator" else rec.lr_g
        cause = (f"Likely cause: the learning rates are too high for this setup (lr_d={rec.lr_d:g}, "
                 f"lr_g={rec.lr_g:g}) and the weights blew up; try {lr / 10:g} for lr_{which[0]}")
        if rec.loss in ("least_squares", "wasserstein_gp", "wasserstein_clip"):
            cause += f", or a bounded loss such as 'non_saturating' (this run used {rec.loss!r})"
        cause += "."
    return f"{head} {cause} The result keeps the weights from before that step."
