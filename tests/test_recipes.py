"""Recipes: each setting declared once (what it accepts, what it means, its dashboard control),
the combinations a recipe refuses because it could not build them, and the presets."""
import dataclasses
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import gan_lesson.checks
from gan_lesson import recipes
from gan_lesson.training.coach import KINDS
from gan_lesson.training.recipes import PRESETS, RECIPES, SEED, SETTINGS, TARGETS, Recipe, check_presets, describe

CLASSIC, MODERN = RECIPES["classic"], RECIPES["modern"]


# --------------------------------------------------------------------------- one declaration

def test_every_recipe_field_is_declared_once_in_field_order():
    assert list(SETTINGS) == [f.name for f in dataclasses.fields(Recipe)]
    for name, s in SETTINGS.items():
        assert s.name == name and s.meaning and str(s.accepts), name


@pytest.mark.parametrize("changes, error, message", [
    ({"lr_d": -0.1}, ValueError, "lr_d must be a finite number > 0 and <= 10; got -0.1."),
    ({"lr_g": "fast"}, TypeError, "lr_g must be a number; got 'fast' of type str."),
    ({"epochs": 0}, ValueError, "epochs must be a whole number from 1 to 1000000; got 0."),
    ({"epochs": 2.5}, TypeError, "epochs must be a whole number; got 2.5, which has a fractional part (use 2 or 3)."),
    ({"batch_size": 1}, ValueError, "batch_size must be a whole number from 2 to 65536; got 1."),
    ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of 'adam', 'sgd'; got 'rmsprop'."),
    ({"momentum": 1.0}, ValueError, "momentum must be a finite number >= 0 and < 1; got 1.0."),
    ({"betas": 0.5}, ValueError, "betas must be two numbers (beta1, beta2); got 0.5."),
    ({"betas": (0.5, 1.0)}, ValueError, "betas[1] must be a finite number >= 0 and < 1; got 1.0."),
    ({"loss": "l2"}, ValueError, "loss must be one of 'non_saturating', 'minimax', 'least_squares', "
                                 "'wasserstein_gp', 'wasserstein_clip'; got 'l2'."),
    ({"g_hidden": "32"}, TypeError, "g_hidden must be a whole number or a list of them (layer widths); got '32'."),
    ({"d_hidden": ()}, ValueError, "d_hidden must list at least one layer width; got an empty list."),
    ({"d_hidden": (32, 0)}, ValueError, "d_hidden[1] must be a whole number from 1 to 4096; got 0."),
    ({"standardise": "yes"}, TypeError, "standardise must be True or False; got 'yes'."),
    ({"name": 3}, TypeError, "name must be a string; got 3."),
    ({"report_every": -1}, ValueError, "report_every must be a whole number >= 0; got -1."),
])
def test_recipe_refuses_a_bad_value_naming_the_setting_the_value_and_what_it_accepts(changes, error, message):
    with pytest.raises(error) as caught:
        MODERN.replace(**changes)
    assert str(caught.value) == message


@pytest.mark.parametrize("name", list(SETTINGS))
def test_the_declaration_accepts_each_recipes_own_values(name):
    for r in RECIPES.values():
        assert SETTINGS[name].check(getattr(r, name)) == getattr(r, name)


def test_the_declaration_checks_a_value_under_another_name():
    """Another trainer (fit_many's one learning rate per GAN, say) checks with Recipe's own rule."""
    with pytest.raises(ValueError, match=r"^lr_d\[3\] must be a finite number > 0 and <= 10; got -1.0\.$"):
        SETTINGS["lr_d"].check(-1.0, "lr_d[3]")


def test_settings_are_stored_as_plain_python_values():
    r = MODERN.replace(epochs=np.int64(100), lr_d=np.float32(1e-3), g_hidden=np.int64(16), standardise=np.True_,
                       betas=[np.float64(0.5), 0.9])
    assert type(r.epochs) is int and type(r.lr_d) is float and r.g_hidden == (16,) and r.standardise is True
    assert r.betas == (0.5, 0.9) and Recipe.from_dict(r.to_dict()) == r


def test_describe_lists_every_setting_with_its_values_range_meaning_and_control():
    table = describe()
    rows = table.splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == [f"`{n}`" for n in (*SETTINGS, "seed")]
    lr = next(r for r in rows if r.startswith("| `lr_d` |"))
    assert "| 0.0002 | 0.002 | a finite number > 0 and <= 10 | the discriminator's learning rate |" in lr
    assert "lr of D: slider 1e-05 to 1 (log scale)" in lr
    loss = next(r for r in rows if r.startswith("| `loss` |"))
    assert "'wasserstein_clip'" in loss and "loss: menu" in loss


def test_every_dashboard_control_lies_inside_what_its_setting_accepts():
    for s in (*SETTINGS.values(), SEED):
        c = s.control
        if isinstance(c, recipes.Slider):
            assert s.check(c.low) == c.low and s.check(c.high) == c.high, s.name
        elif c is not None:
            assert isinstance(c, recipes.Menu) and s.choices, s.name
    assert recipes.CONTROLLED == ("epochs", "lr_d", "lr_g", "d_steps", "g_steps", "loss", "features", "seed")


# --------------------------------------------------------------------------- what a recipe cannot build

def test_the_classic_and_modern_recipes_validate():
    for r in (CLASSIC, MODERN):
        assert Recipe(**{name: getattr(r, name) for name in SETTINGS}) == r
    assert CLASSIC.generator == CLASSIC.discriminator == "classic" and CLASSIC.d_activation == "sigmoid"


def test_classic_generator_with_several_widths_is_refused_by_name():
    with pytest.raises(ValueError) as caught:
        CLASSIC.replace(g_hidden=(10, 99, 7))
    assert str(caught.value) == (
        "generator='classic' has one hidden width, used by both its hidden layers (noise → h → h → data); "
        "g_hidden=(10, 99, 7) would build 1 → 10 → 10 → data and ignore the rest. Give one width, e.g. "
        "g_hidden=(10,), or use generator='mlp' for layers of several widths.")
    assert CLASSIC.replace(g_hidden=(10, 10)).g_hidden == (10, 10)      # what it builds: accepted
    assert CLASSIC.replace(generator="mlp", g_hidden=(10, 99, 7), g_dropout=0).g_hidden == (10, 99, 7)


def test_classic_discriminator_accepts_only_the_sigmoid_it_builds():
    with pytest.raises(ValueError) as caught:
        CLASSIC.replace(d_activation="relu")
    assert str(caught.value) == (
        "discriminator='classic' puts a sigmoid after every layer, so d_activation='relu' would be ignored; "
        "set d_activation='sigmoid', or use discriminator='mlp' for 'relu'.")
    with pytest.raises(ValueError, match=r"discriminator='classic'.*d_activation='leaky_relu'"):
        MODERN.replace(discriminator="classic")
    with pytest.raises(ValueError, match=r"discriminator='classic' has one hidden width.*d_hidden=\(5, 6\)"):
        CLASSIC.replace(d_hidden=(5, 6))
    assert MODERN.replace(discriminator="classic", d_activation="sigmoid", d_hidden=(10,)).discriminator == "classic"


def test_classic_generator_activation_and_dropout_elsewhere_are_refused():
    with pytest.raises(ValueError, match=r"generator='classic' uses relu or tanh .*got g_activation='silu'"):
        MODERN.replace(generator="classic")
    assert MODERN.replace(generator="classic", g_activation="tanh").generator == "classic"
    with pytest.raises(ValueError, match=r"g_dropout=0.2 is read only by generator='classic' \(the 'mlp' generator"):
        MODERN.replace(g_dropout=0.2)
    with pytest.raises(ValueError, match=r"the 'mlp' generator has no dropout"):
        CLASSIC.replace(generator="mlp")                    # the classic dropout of 0.25 would be dropped


def test_unknown_settings_are_named():
    with pytest.raises(TypeError, match=r"unknown recipe setting\(s\) warp_drive; the settings are: name, epochs"):
        MODERN.replace(warp_drive=True)


# --------------------------------------------------------------------------- presets

def test_every_preset_validates_and_builds_a_recipe():
    assert check_presets(PRESETS) is PRESETS
    for name, preset in PRESETS.items():
        base = RECIPES[preset.get("recipe", "modern")]
        settings = {k: preset[k] for k in recipes.CONTROLLED if k in preset and k != "seed"}
        assert isinstance(base.replace(**preset.get("changes", {}), **settings), Recipe), name
        assert preset.get("target", next(iter(TARGETS))) in TARGETS, name
        assert preset.get("expect", "converged") in KINDS, name


@pytest.mark.parametrize("presets, error, message", [
    ({"x": {"expect": "happy"}}, ValueError, r"presets\['x'\]: expect must be one of 'diverged', .*got 'happy'"),
    ({"x": {"seed": 500}}, ValueError, r"presets\['x'\]: seed must be a whole number from 0 to 99; got 500"),
    ({"x": {"d_steps": 50}}, ValueError, r"presets\['x'\]: d_steps must be a whole number from 1 to 20; got 50"),
    ({"x": {"changes": {"discriminator": "classic"}}}, ValueError,
     r"presets\['x'\]: changes: discriminator='classic' puts a sigmoid after every layer"),
    ({"x": {"recipe": "classic", "changes": {"generator": "mlp"}}}, ValueError,
     r"presets\['x'\]: changes: g_dropout=0.25 is read only by generator='classic'"),
])
def test_a_preset_that_cannot_be_applied_is_named(presets, error, message):
    with pytest.raises(error, match=message):
        check_presets(presets)


# --------------------------------------------------------------------------- the checkers' exports

def test_every_public_checker_of_a_checks_module_is_exported_by_name():
    """checks/__init__ imports each checker by name; a checker added to a module but not there is caught.
    The machinery the checkers are built from (core, the engine, the table of mistakes, the model
    probe) is imported from its own module, not exported."""
    package = gan_lesson.checks
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in ("core", "engine", "mistakes", "probe"):
            continue
        module = importlib.import_module(f"gan_lesson.checks.{info.name}")
        defined = [name for name, obj in vars(module).items()
                   if name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == module.__name__]
        listed = [name for name in getattr(module, "__all__", ()) if name.startswith("check_")]
        for name in [*defined, *listed]:
            assert name in package.__all__, f"{name} (checks/{info.name}.py) is not exported by gan_lesson.checks"
            assert getattr(package, name) is getattr(module, name), name
    for name in package.__all__:
        assert hasattr(package, name), name
    assert {"checker", "expect", "call"} <= set(vars(package))      # for writing new checkers
