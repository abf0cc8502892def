"""gan_lesson: the helper package of the gan-lesson notebook series.

Modules follow the lessons: ``samplers`` (real data and noise) → ``features`` (what D sees) →
``models`` (G and D) → ``losses`` → ``steps`` (one D step, one G step: notebook 05's) →
``training`` (the loop around them, ``fit``) → ``metrics`` → ``plots``
→ ``widgets`` (the training dashboard), plus ``checks`` (exercise checkers) and ``data``.

The common case is one call::

    import gan_lesson as gl
    result = gl.fit(gl.samplers.Gaussian(4, 1.25))       # the modern recipe, a few seconds
    result.sample(1000)                                    # tensor (1000, 1)
"""
from . import interrupts

# A Ctrl-C in the middle of an import leaves that module half-made, and every later import of it
# fails until the kernel restarts (scipy, matplotlib and PyTorch alike). The imports below, and
# the modules PyTorch imports the first time any optimizer is built, therefore run with Ctrl-C
# held back; one that came meanwhile stops the cell once everything is whole.
with interrupts.interrupt_guard() as _guard:
    from . import coach, features, losses, metrics, models, plots, recipes, samplers, steps, training
    from .recipes import RECIPES, Recipe
    from .training import FitResult, History, TrainingState, fit, load
    interrupts.warm_up()

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Recipe", "RECIPES",
           "samplers", "features", "models", "losses", "steps", "training", "metrics", "recipes", "plots", "coach"]
__version__ = "1.0.0"

_guard.pass_on()

_LATER = ("batched", "widgets", "surfaces", "sequences", "data", "images", "conditional", "checks",
          "student_copy", "validation", "interrupts")


def __getattr__(name):
    """``gl.batched``, ``gl.widgets``, … work without importing them first (they load on first use)."""
    if name in _LATER:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gan_lesson' has no attribute {name!r}")
