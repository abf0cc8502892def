"""Recipes: every setting of a training run, in one place.

``RECIPES["classic"]`` is the series' original 1-D loop, faithfully: the discriminator judges a
whole batch through its four moments, SGD with learning rate 2e-4 and momentum 0.9 for both
players, 20 discriminator then 20 generator steps an epoch, uniform noise, batches of 500,
5001 epochs, the generator trained to make D say "real" (the non-saturating loss). It takes about
two minutes on one CPU thread and usually ends far from the target: that is its lesson.

``RECIPES["modern"]`` is the best we could make in a few seconds on a CPU. What it does and why:

* **Standardise the data** (subtract the mean, divide by the std; in d > 1 dimensions whiten with
  the symmetric square root of the covariance). Both networks then work on numbers near ±1
  whatever the target's location and scale, so one set of learning rates fits every target;
  the generator's output is mapped back to the data's units.
* **Gaussian noise of 4 dimensions**: more than the data's dimension gives G room to shape
  skewed, bounded and multi-modal targets; Gaussian rather than uniform noise has no edges to
  undo.
* **Per-sample discriminator**, 2 hidden layers of 32 leaky-ReLU units, returning a logit (the
  loss applies the sigmoid, which stays finite when D is confident).
* **Generator** with 2 hidden layers of 32 SiLU units: smooth, so the generated density is smooth
  (ReLU generators make piecewise-linear maps with kinks and spikes).
* **Non-saturating loss**, **Adam** (learning rate 2e-3, β₁ = 0.5), one D step per G step,
  800 epochs. Batches of 512: on a CPU a step costs about the same at 256 or 512 (the time
  goes to per-operation overhead, not arithmetic), and the larger batch halves the noise.
* **Learning rates decay linearly to zero** over the run, so the final steps are small and the
  game settles instead of circling the equilibrium.
* **An exponential moving average of the generator's weights** (decay 0.995) is what the run
  returns: averaging the iterates cancels most of the remaining oscillation.

Measured by ``benchmarks/fit_benchmark.py`` (see README): on N(4, 1.25) the modern recipe
reaches a median Wasserstein-1 distance of about 0.03σ in about 2.5 s on one thread, and fits
shifted, scaled, skewed, bounded, bimodal and correlated 2-D targets about as well.
"""
import dataclasses
import numbers
from dataclasses import dataclass, field

from .features import FEATURES
from .losses import LOSSES
from .models import ACTIVATIONS
from .samplers import NOISE_KINDS
from .validation import check_bool, check_choice, check_int, check_number

__all__ = ["Recipe", "RECIPES", "recipe_named"]


@dataclass(frozen=True)
class Recipe:
    """All settings of one training run. Change one with ``recipe.replace(name=value)``."""

    name: str = "custom"
    epochs: int = 800
    lr_d: float = 2e-3
    lr_g: float = 2e-3
    d_steps: int = 1
    g_steps: int = 1
    batch_size: int = 512
    optimizer: str = "adam"            # "adam" or "sgd"
    momentum: float = 0.9              # SGD only
    betas: tuple = (0.5, 0.999)        # Adam only
    loss: str = "non_saturating"       # one of losses.LOSSES
    features: str = "per_sample"       # one of features.FEATURES
    noise: str = "normal"              # "normal" or "uniform"
    noise_dim: int = 4
    generator: str = "mlp"             # "classic", "mlp" or "linear"
    g_hidden: tuple = (32, 32)
    g_activation: str = "silu"
    g_dropout: float = 0.0             # classic generator only
    discriminator: str = "mlp"         # "classic" or "mlp"
    d_hidden: tuple = (32, 32)
    d_activation: str = "leaky_relu"
    standardise: bool = True
    lr_decay: bool = True              # linear decay of both learning rates to 0
    ema: float = 0.995                 # generator weight averaging (0 = off)
    order: str = "d_first"             # "d_first" or "g_first"
    d_pretrain: int = 0                # discriminator steps before the first epoch
    gp_weight: float = 10.0            # loss "wasserstein_gp"
    clip: float = 0.01                 # loss "wasserstein_clip"
    log_every: int = 20                # record history and a snapshot every this many epochs
    report_every: int = 0              # print the classic statistics every this many epochs (0 = never)

    def __post_init__(self):
        # every setting is checked once and stored as a plain Python value (a numpy number from a
        # sweep becomes an int or float), so whatever trains also saves and loads
        def put(name, value):
            object.__setattr__(self, name, value)

        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {self.name!r}.")
        put("name", str(self.name))
        put("epochs", check_int("epochs", self.epochs, low=1, high=1_000_000))
        put("lr_d", check_number("lr_d", self.lr_d, low=0, low_open=True, high=10))
        put("lr_g", check_number("lr_g", self.lr_g, low=0, low_open=True, high=10))
        put("d_steps", check_int("d_steps", self.d_steps, low=1, high=1000))
        put("g_steps", check_int("g_steps", self.g_steps, low=1, high=1000))
        put("batch_size", check_int("batch_size", self.batch_size, low=2, high=65536))
        put("optimizer", str(check_choice("optimizer", self.optimizer, ("adam", "sgd"))))
        put("momentum", check_number("momentum", self.momentum, low=0, high=1, high_open=True))
        betas = self.betas
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"betas must be two numbers (beta1, beta2); got {betas!r}.")
        put("betas", tuple(check_number(f"betas[{i}]", b, low=0, high=1, high_open=True) for i, b in enumerate(betas)))
        put("loss", str(check_choice("loss", self.loss, LOSSES)))
        put("features", str(check_choice("features", self.features, FEATURES)))
        put("noise", str(check_choice("noise", self.noise, NOISE_KINDS)))
        put("noise_dim", check_int("noise_dim", self.noise_dim, low=1, high=1024))
        put("generator", str(check_choice("generator", self.generator, ("classic", "mlp", "linear"))))
        put("g_activation", str(check_choice("g_activation", self.g_activation, ACTIVATIONS)))
        put("g_dropout", check_number("g_dropout", self.g_dropout, low=0, high=1, high_open=True))
        put("discriminator", str(check_choice("discriminator", self.discriminator, ("classic", "mlp"))))
        put("d_activation", str(check_choice("d_activation", self.d_activation, ACTIVATIONS)))
        for name in ("g_hidden", "d_hidden"):
            value = getattr(self, name)
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                value = (value,)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise TypeError(f"{name} must be a whole number or a list of them (layer widths); got {value!r}.")
            value = tuple(value)
            if not value:
                raise ValueError(f"{name} must list at least one layer width; got an empty list.")
            put(name, tuple(check_int(f"{name}[{i}]", h, low=1, high=4096) for i, h in enumerate(value)))
        put("standardise", check_bool("standardise", self.standardise))
        put("lr_decay", check_bool("lr_decay", self.lr_decay))
        put("ema", check_number("ema", self.ema, low=0, high=1, high_open=True))
        put("order", str(check_choice("order", self.order, ("d_first", "g_first"))))
        put("d_pretrain", check_int("d_pretrain", self.d_pretrain, low=0, high=100_000))
        put("gp_weight", check_number("gp_weight", self.gp_weight, low=0))
        put("clip", check_number("clip", self.clip, low=0, low_open=True))
        put("log_every", check_int("log_every", self.log_every, low=1))
        put("report_every", check_int("report_every", self.report_every, low=0))
        if self.features != "per_sample" and self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 when D judges whole batches (features={self.features!r}); got {self.batch_size}.")

    def replace(self, **changes):
        """A copy with some settings changed, e.g. ``RECIPES['modern'].replace(ema=0)``."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise TypeError(f"unknown recipe setting(s) {', '.join(unknown)}; the settings are: "
                            f"{', '.join(f.name for f in dataclasses.fields(self))}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def __repr__(self):
        return (f"Recipe({self.name!r}: {self.epochs} epochs, {self.optimizer} lr_d={self.lr_d:g} "
                f"lr_g={self.lr_g:g}, {self.d_steps} D + {self.g_steps} G steps, batch {self.batch_size}, "
                f"loss {self.loss}, D sees {self.features})")


RECIPES = {
    "classic": Recipe(
        name="classic", epochs=5001, lr_d=2e-4, lr_g=2e-4, d_steps=20, g_steps=20, batch_size=500,
        optimizer="sgd", momentum=0.9, loss="non_saturating", features="moments",
        noise="uniform", noise_dim=1, generator="classic", g_hidden=(10,), g_activation="relu",
        g_dropout=0.25, discriminator="classic", d_hidden=(10,), d_activation="sigmoid",
        standardise=False, lr_decay=False, ema=0.0, log_every=25, report_every=500),
    "modern": Recipe(name="modern"),
}


def recipe_named(recipe):
    """A ``Recipe`` from a name in ``RECIPES`` or a ``Recipe`` itself."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, str):
        return RECIPES[check_choice("recipe", recipe, tuple(RECIPES))]
    raise TypeError(f"recipe must be one of {', '.join(map(repr, RECIPES))} or a Recipe; got {type(recipe).__name__}.")
