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

Measured by ``benchmarks/fit_benchmark.py`` (see README): on N(4, 1.25²) the modern recipe
reaches a median Wasserstein-1 distance of about 0.03σ in about 2.5 s on one thread, and fits
shifted, scaled, skewed, bounded and correlated 2-D targets about as well. Two bumps far apart
are its weak spot: ``benchmarks/ablation.py`` measures a median of 0.23σ at 800 epochs (0.09σ to
0.98σ over five seeds, the worst missing a whole bump) and 0.15σ at 2400, and it switches each
ingredient off in turn (notebook 05's ablation table).

Each setting is declared once, on its ``Recipe`` field: what it accepts, what it means, and its
dashboard control, if it has one. ``SETTINGS`` holds those declarations: ``Recipe`` checks its
values with them (``SETTINGS["lr_d"].check(value)`` checks one the same way, for any trainer
that takes a setting of its own), the dashboard builds its sliders and menus from them, and
``print(describe())`` lists them all. A recipe also refuses settings its networks would not
read (``g_hidden=(10, 99, 7)`` for the classic generator, which has one hidden width).

``PRESETS`` are the dashboard's named starting points (each a recipe, a target from
``TARGETS``, a few settings, and what the coach should say of the run).
"""
import dataclasses
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import math

import torch
from torch import nn

from ..maths import features, samplers
from ..maths.features import FEATURES
from ..maths.losses import LOSSES
from ..maths.models import ACTIVATIONS, Discriminator, Generator, LinearGenerator, MLPDiscriminator, MLPGenerator
from ..maths.samplers import NOISE_KINDS
from .coach import KINDS
from ..validation import MAX_SEED, check_bool, check_choice, check_int, check_number, short_repr

__all__ = ["Recipe", "RECIPES", "recipe_named", "SETTINGS", "SEED", "Setting", "Slider", "Menu", "describe",
           "TARGETS", "PRESETS", "PRESET_KEYS", "check_presets"]


# --------------------------------------------------------------------------- what a setting accepts

class Number:
    """A finite real number between ``low`` and ``high`` (each end included unless ``*_open``)."""

    def __init__(self, low=None, high=None, *, low_open=False, high_open=False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def check(self, name, value):
        return check_number(name, value, low=self.low, high=self.high, low_open=self.low_open,
                            high_open=self.high_open)

    def within(self, low, high):
        """The same kind of value, from ``low`` to ``high`` (a dashboard control's range)."""
        return Number(low, high)

    @property
    def bounds(self):
        """The bounds in words, e.g. ``> 0 and <= 10``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)

    def __str__(self):
        return f"a finite number {self.bounds}".strip()


class Whole:
    """A whole number from ``low`` to ``high`` (either may be None: no bound)."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def check(self, name, value):
        return check_int(name, value, low=self.low, high=self.high)

    def within(self, low, high):
        return Whole(low, high)

    def __str__(self):
        if self.high is None:
            return f"a whole number >= {self.low}"
        return f"a whole number from {self.low} to {self.high}"


class OneOf:
    """One of a few names."""

    def __init__(self, choices):
        self.choices = tuple(choices)

    def check(self, name, value):
        return str(check_choice(name, value, self.choices))

    def __str__(self):
        return "one of " + ", ".join(map(repr, self.choices))


class YesNo:
    def check(self, name, value):
        return check_bool(name, value)

    def __str__(self):
        return "True or False"


class Text:
    def check(self, name, value):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string; got {short_repr(value)}.")
        return str(value)

    def __str__(self):
        return "a string"


class Widths:
    """Layer widths: one whole number (one layer) or a list of them, each from 1 to ``high``."""

    def __init__(self, high):
        self.high = high

    def check(self, name, value):
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = (value,)
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise TypeError(f"{name} must be a whole number or a list of them (layer widths); got {short_repr(value)}.")
        value = tuple(value)
        if not value:
            raise ValueError(f"{name} must list at least one layer width; got an empty list.")
        return tuple(check_int(f"{name}[{i}]", h, low=1, high=self.high) for i, h in enumerate(value))

    def __str__(self):
        return f"layer widths: a whole number or a list of them, each from 1 to {self.high}"


class Pair:
    """Two numbers, each as ``item`` accepts; ``names`` says what they are."""

    def __init__(self, item, names):
        self.item, self.names = item, names

    def check(self, name, value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
            raise ValueError(f"{name} must be two numbers ({', '.join(self.names)}); got {short_repr(value)}.")
        return tuple(self.item.check(f"{name}[{i}]", v) for i, v in enumerate(value))

    def __str__(self):
        return f"two numbers ({', '.join(self.names)}), each {self.item.bounds}"


# --------------------------------------------------------------------------- the dashboard's controls

@dataclass(frozen=True)
class Slider:
    """A dashboard slider from ``low`` to ``high`` (a log scale when ``log``; ``step`` is then in
    powers of ten)."""

    label: str
    low: float
    high: float
    step: float = 1
    log: bool = False

    def __str__(self):
        return f"slider {self.low:g} to {self.high:g}{' (log scale)' if self.log else ''}"


@dataclass(frozen=True)
class Menu:
    """A dashboard menu of every choice the setting accepts."""

    label: str

    def __str__(self):
        return "menu"


@dataclass(frozen=True)
class Setting:
    """One setting, declared once: what it accepts, what it means, and its dashboard control."""

    accepts: object
    meaning: str
    control: object = None      # a Slider, a Menu, or None (not on the dashboard)
    name: str = ""

    def check(self, value, name=None):
        """``value`` as a plain Python value if the setting accepts it; else a TypeError or
        ValueError that names ``name`` (default: the setting's), the value and what is accepted."""
        return self.accepts.check(name or self.name, value)

    def check_control(self, value, name=None):
        """Like ``check``, within the range of the dashboard's slider (what a preset may set)."""
        if isinstance(self.control, Slider):
            return self.accepts.within(self.control.low, self.control.high).check(name or self.name, value)
        return self.check(value, name)

    @property
    def choices(self):
        """The names a choice setting accepts (None for other settings)."""
        return getattr(self.accepts, "choices", None)


def setting(default, accepts, meaning, control=None):
    """A Recipe field with its declaration (read back into ``SETTINGS``)."""
    return dataclasses.field(default=default, metadata={"setting": Setting(accepts, meaning, control)})


_RATE = Number(0, 10, low_open=True)
_FRACTION = Number(0, 1, high_open=True)


# --------------------------------------------------------------------------- the recipe

@dataclass(frozen=True)
class Recipe:
    """All settings of one training run. Change one with ``recipe.replace(name=value)``;
    ``print(gan_lesson.recipes.describe())`` lists them with what each accepts and means."""

    name: str = setting("custom", Text(), "a label for the run, shown in printouts and saved with the result")
    epochs: int = setting(800, Whole(1, 1_000_000), "how long to train; an epoch is d_steps D steps, then g_steps "
                          "G steps", Slider("epochs", 10, 5000, step=10))
    lr_d: float = setting(2e-3, _RATE, "the discriminator's learning rate",
                          Slider("lr of D", 1e-5, 1, step=0.1, log=True))
    lr_g: float = setting(2e-3, _RATE, "the generator's learning rate",
                          Slider("lr of G", 1e-5, 1, step=0.1, log=True))
    d_steps: int = setting(1, Whole(1, 1000), "discriminator steps in each epoch", Slider("D steps / epoch", 1, 20))
    g_steps: int = setting(1, Whole(1, 1000), "generator steps in each epoch", Slider("G steps / epoch", 1, 20))
    batch_size: int = setting(512, Whole(2, 65536), "real samples in each step (and as many generated ones)")
    optimizer: str = setting("adam", OneOf(("adam", "sgd")), "the optimizer of both networks")
    momentum: float = setting(0.9, _FRACTION, "SGD's momentum (read only when optimizer='sgd')")
    betas: tuple = setting((0.5, 0.999), Pair(_FRACTION, ("beta1", "beta2")),
                           "Adam's betas (read only when optimizer='adam')")
    loss: str = setting("non_saturating", OneOf(LOSSES), "the game's losses (gan_lesson.losses)", Menu("loss"))
    features: str = setting("per_sample", OneOf(FEATURES), "what D sees: each sample, or a summary of the whole "
                            "batch (gan_lesson.features)", Menu("what D sees"))
    noise: str = setting("normal", OneOf(NOISE_KINDS), "the distribution of G's input noise")
    noise_dim: int = setting(4, Whole(1, 1024), "noise numbers G gets for each sample")
    generator: str = setting("mlp", OneOf(("classic", "mlp", "linear")), "G's architecture: 'classic' (noise → h → h "
                             "→ data, dropout), 'mlp' (the widths of g_hidden) or 'linear' (one linear layer)")
    g_hidden: tuple = setting((32, 32), Widths(4096), "widths of G's hidden layers ('classic': one width h, used "
                              "by both its layers; not read by 'linear')")
    g_activation: str = setting("silu", OneOf(ACTIVATIONS), "G's activation between layers ('classic': relu or "
                                "tanh; not read by 'linear')")
    g_dropout: float = setting(0.0, _FRACTION, "dropout after G's hidden layers (generator='classic' only)")
    discriminator: str = setting("mlp", OneOf(("classic", "mlp")), "D's architecture: 'classic' (in → h → h → 1, "
                                 "a sigmoid after every layer) or 'mlp' (the widths of d_hidden)")
    d_hidden: tuple = setting((32, 32), Widths(4096), "widths of D's hidden layers ('classic': one width h, "
                              "used by both its layers)")
    d_activation: str = setting("leaky_relu", OneOf(ACTIVATIONS), "D's activation between layers ('classic': "
                                "sigmoid, the only one it has)")
    standardise: bool = setting(True, YesNo(), "train on standardised data (mean 0, std 1; whitened in 2-D and "
                                "up) and map G's output back to the data's units")
    lr_decay: bool = setting(True, YesNo(), "decay both learning rates linearly to 0 over the run")
    ema: float = setting(0.995, _FRACTION, "decay of the moving average of G's weights the run returns (0 = off)")
    order: str = setting("d_first", OneOf(("d_first", "g_first")), "which network steps first in each epoch")
    d_pretrain: int = setting(0, Whole(0, 100_000), "discriminator steps before the first epoch")
    gp_weight: float = setting(10.0, Number(0), "weight of the gradient penalty (loss='wasserstein_gp')")
    clip: float = setting(0.01, Number(0, low_open=True), "the critic's weight clip (loss='wasserstein_clip')")
    log_every: int = setting(20, Whole(1), "record the history and a snapshot every this many epochs")
    report_every: int = setting(0, Whole(0), "print the classic statistics every this many epochs (0 = never)")

    def __post_init__(self):
        # every setting is checked once and stored as a plain Python value (a numpy number from a
        # sweep becomes an int or float), so whatever trains also saves and loads
        for name, declared in SETTINGS.items():
            object.__setattr__(self, name, declared.check(getattr(self, name)))
        _refuse_what_cannot_be_built(self)

    def replace(self, **changes):
        """A copy with some settings changed, e.g. ``RECIPES['modern'].replace(ema=0)``."""
        unknown = sorted(set(changes) - set(SETTINGS))
        if unknown:
            raise TypeError(f"unknown recipe setting(s) {', '.join(unknown)}; the settings are: "
                            f"{', '.join(SETTINGS)}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        return {name: (list(v) if isinstance(v := getattr(self, name), tuple) else v) for name in SETTINGS}

    @classmethod
    def from_dict(cls, values):
        return cls(**{k: v for k, v in values.items() if k in SETTINGS})

    def __repr__(self):
        return (f"Recipe({self.name!r}: {self.epochs} epochs, {self.optimizer} lr_d={self.lr_d:g} "
                f"lr_g={self.lr_g:g}, {self.d_steps} D + {self.g_steps} G steps, batch {self.batch_size}, "
                f"loss {self.loss}, D sees {self.features})")


#: Every recipe setting, declared once (name -> ``Setting``), in the order of ``Recipe``'s fields.
#: Recipe checks its values with it, the dashboard makes its controls from it, and
#: ``describe()`` lists it; ``SETTINGS["lr_d"].check(value)`` checks a value as Recipe would.
SETTINGS = {f.name: dataclasses.replace(f.metadata["setting"], name=f.name) for f in dataclasses.fields(Recipe)}

#: ``fit``'s seed (not a recipe setting: the same recipe trains with any seed).
SEED = Setting(Whole(0, MAX_SEED), "fixes every random number of a run (fit's seed=...)", Slider("seed", 0, 99),
               name="seed")


def _one_width(hidden):
    return len(hidden) == 1 or (len(hidden) == 2 and hidden[0] == hidden[1])


def _refuse_what_cannot_be_built(r):
    """Refuse settings that the chosen networks would not read (the run would build something
    other than the recipe says), naming the settings and what to change."""
    if r.generator == "classic":
        h = r.g_hidden[0]
        if not _one_width(r.g_hidden):
            raise ValueError(
                f"generator='classic' has one hidden width, used by both its hidden layers (noise → h → h → data); "
                f"g_hidden={r.g_hidden} would build {r.noise_dim} → {h} → {h} → data and ignore the rest. Give one "
                f"width, e.g. g_hidden=({h},), or use generator='mlp' for layers of several widths.")
        if r.g_activation not in ("relu", "tanh"):
            raise ValueError(
                f"generator='classic' uses relu or tanh between its layers; got g_activation={r.g_activation!r}. "
                f"Set g_activation='relu' or 'tanh', or use generator='mlp' for {r.g_activation!r}.")
    elif r.g_dropout:
        raise ValueError(
            f"g_dropout={r.g_dropout:g} is read only by generator='classic' (the {r.generator!r} generator has no "
            "dropout); set g_dropout=0, or use generator='classic'.")
    if r.discriminator == "classic":
        h = r.d_hidden[0]
        if not _one_width(r.d_hidden):
            raise ValueError(
                f"discriminator='classic' has one hidden width, used by both its hidden layers (in → h → h → 1); "
                f"d_hidden={r.d_hidden} would build in → {h} → {h} → 1 and ignore the rest. Give one width, "
                f"e.g. d_hidden=({h},), or use discriminator='mlp' for layers of several widths.")
        if r.d_activation != "sigmoid":
            raise ValueError(
                f"discriminator='classic' puts a sigmoid after every layer, so d_activation={r.d_activation!r} "
                f"would be ignored; set d_activation='sigmoid', or use discriminator='mlp' for {r.d_activation!r}.")


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


def describe():
    """Every recipe setting as a Markdown table: its name, the classic and modern values, what it
    accepts, what it means and its dashboard control. ``print(describe())`` shows it."""
    def shown(v):
        return repr(v) if isinstance(v, str) else f"{v}"
    rows = ["| setting | classic | modern | accepts | meaning | dashboard |", "|---|---|---|---|---|---|"]
    for name, s in (*SETTINGS.items(), ("seed", SEED)):
        values = ("(fit's seed)", "(fit's seed)") if s is SEED else (shown(getattr(RECIPES[r], name)) for r in RECIPES)
        control = f"{s.control.label}: {s.control}" if s.control else ""
        rows.append(f"| `{name}` | {' | '.join(values)} | {s.accepts} | {s.meaning} | {control} |")
    return "\n".join(rows)


# --------------------------------------------------------------------------- presets

#: Targets the dashboard offers (name -> a function that makes the sampler); presets name them.
TARGETS = {
    "N(4, 1.25²), the series' target": lambda: samplers.Gaussian(4.0, 1.25),
    "two far bumps (mixture at ±3)": lambda: samplers.Mixture((-3.0, 3.0), 0.3),
    "skewed (Gamma, shape 2)": lambda: samplers.Gamma(2.0, 1.0),
    "bounded (uniform on 0–1)": lambda: samplers.Uniform(0.0, 1.0),
    "2-D correlated Gaussian": lambda: samplers.Gaussian2D(),
    "2-D ring of 8 Gaussians": lambda: samplers.Ring(8, 2.0, 0.05),
}

_PLAIN = {"lr_decay": False, "ema": 0.0}                       # no schedule, no averaging
_SGD = {"optimizer": "sgd", "momentum": 0.9, **_PLAIN}

#: Named starting points, each a failure of notebook 06, diagnosed in notebook 07. A preset sets the recipe, the target (a
#: key of ``TARGETS``; the first target when it names none), any setting that has a dashboard
#: control and the seed, and under ``changes`` any other recipe setting; everything else takes
#: the recipe's value. ``expect`` is what the coach should say of the run (one of
#: ``gan_lesson.coach.KINDS``).
PRESETS = {
    "modern recipe": {"recipe": "modern", "expect": "converged"},
    "classic recipe (notebook 05; slow)": {"recipe": "classic", "epochs": 1000},
    "failure: D overpowers G (vanishing gradients)": {
        "changes": {**_SGD, "standardise": False}, "loss": "minimax", "lr_d": 1e-2, "lr_g": 1e-3,
        "d_steps": 5, "epochs": 300, "expect": "d_winning"},
    "remedy: the same with the non-saturating loss": {
        "changes": {**_SGD, "standardise": False}, "loss": "non_saturating", "lr_d": 1e-2, "lr_g": 1e-3,
        "d_steps": 5, "epochs": 300, "expect": "learning"},
    "failure: D pre-trained for 300 steps (a head start)": {
        "changes": {**_SGD, "standardise": False, "d_pretrain": 300}, "loss": "minimax", "lr_d": 1e-2,
        "lr_g": 1e-3, "epochs": 300, "expect": "d_winning"},
    "failure: G fools a moments-only D (ring)": {
        "target": "2-D ring of 8 Gaussians", "features": "moments", "expect": "g_exploits"},
    "failure: mode collapse (two far bumps)": {
        "target": "two far bumps (mixture at ±3)", "changes": _SGD, "lr_d": 1e-2, "lr_g": 1e-2,
        "epochs": 600, "expect": "collapsed"},
    "remedy: two far bumps with the Wasserstein loss": {
        "target": "two far bumps (mixture at ±3)", "loss": "wasserstein_gp", "epochs": 1600, "expect": "converged"},
    "failure: oscillation (learning rates too high)": {
        "changes": {**_PLAIN, "betas": (0.9, 0.999)}, "lr_d": 1e-2, "lr_g": 1e-2, "expect": "oscillating"},
}

#: The settings a preset sets directly: those with a dashboard control, and the seed.
CONTROLLED = tuple(name for name, s in SETTINGS.items() if s.control) + ("seed",)
#: Every key a preset may hold.
PRESET_KEYS = ("recipe", "target", "changes", "expect") + CONTROLLED


def check_presets(presets, targets=TARGETS):
    """Refuse presets that could not be applied, naming the preset and the setting: an unknown
    key, recipe, target (``targets``: the names offered) or coach kind, a value outside its
    control's range, or changes that make no valid recipe. Returns ``presets``."""
    if not isinstance(presets, Mapping):
        raise TypeError("presets must be a dict of name -> settings (like gan_lesson.recipes.PRESETS); "
                        f"got {short_repr(presets)} of type {type(presets).__name__}.")
    if not presets:
        raise ValueError("presets must name at least one preset; got an empty dict.")
    for name, preset in presets.items():
        if not isinstance(name, str):
            raise TypeError(f"presets must be named by strings; got the name {short_repr(name)}.")
        where = f"presets[{name!r}]"
        if not isinstance(preset, Mapping):
            raise TypeError(f"{where} must be a dict of settings such as {{'recipe': 'modern', 'epochs': 400}}; "
                            f"got {short_repr(preset)}.")
        unknown = [k for k in preset if k not in PRESET_KEYS]
        if unknown:
            raise ValueError(f"{where} names unknown setting(s) {', '.join(map(repr, unknown))}; a preset can "
                             f"name {', '.join(map(repr, PRESET_KEYS))}.")
        recipe = check_choice(f"{where}: recipe", preset.get("recipe", "modern"), tuple(RECIPES))
        if "target" in preset:
            check_choice(f"{where}: target", preset["target"], tuple(targets))
        if "expect" in preset:
            check_choice(f"{where}: expect", preset["expect"], KINDS)
        for key in CONTROLLED:
            if key in preset:
                (SEED if key == "seed" else SETTINGS[key]).check_control(preset[key], f"{where}: {key}")
        changes = preset.get("changes", {})
        if not isinstance(changes, Mapping):
            raise TypeError(f"{where}: changes must be a dict of recipe settings such as {{'ema': 0.0}}; "
                            f"got {short_repr(changes)}.")
        try:
            RECIPES[recipe].replace(**changes)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: changes: {exc}") from None
        controlled = {k: preset[k] for k in CONTROLLED if k in preset and k != "seed"}
        try:
            RECIPES[recipe].replace(**changes, **controlled)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{where}: {exc}") from None
    return presets


# --------------------------------------------------------------------------- the networks and optimizers a recipe builds

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
    d_in = features.feature_size(recipe.features, recipe.batch_size, dim)
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
