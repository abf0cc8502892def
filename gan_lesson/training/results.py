"""What a training run leaves: its history, its networks in the data's units, and saving and loading.

``History`` is the table of measures a run records (one whole row at a time); ``FitResult`` is
``fit``'s result (the trained pair, the history, the snapshots, how the run ended); every
result's ``save`` goes through ``write_result`` and ``gl.load`` brings back any of them.
"""
import importlib
import os
from pathlib import Path

import torch
from torch import nn

from ..interrupts import interrupt_guard
from ..maths import features as _features
from ..maths import losses
from ..maths.metrics import distance as _distance
from ..maths.metrics import moments as _moments
from ..maths.samplers import draw, noise_sampler
from ..validation import MAX_SEED, check_int, check_seed
from ..validation import short_repr as _show
from .recipes import Recipe, build_models

__all__ = ["History", "FIT_COLUMNS", "FitResult", "Standardiser", "DataGenerator", "DataDiscriminator",
           "write_result", "read_result", "load", "damaged", "RESULT_FORMATS", "report_line"]

FORMAT = "gan-lesson/fit-result"


FORMAT_VERSION = 1


SAMPLE_LIMIT = 2**30    # bytes one call of FitResult.sample may use (a classroom kernel has about 1 GB)


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
        print(report_line(self.history, self.reference, self.epochs_done, final=True))

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
RESULT_FORMATS = {FORMAT: "gan_lesson.training.results",
                  "gan-lesson/conditional-result": "gan_lesson.lessons.conditional",
                  "gan-lesson/image-result": "gan_lesson.lessons.images"}


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
    module = importlib.import_module(kind)
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


def report_line(history, reference, epoch, final=False):
    """One line on the run at ``epoch``: the losses, and the moments (1-D) or D's beliefs and the distance."""
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
