"""gan_lesson: the helper package of the gan-lesson notebook series.

The folders are the layers, each using only the ones above it:

- ``maths/``: ``samplers`` (real data and noise), ``features`` (what D sees), ``models`` (G and
  D), ``losses`` (the registry), ``metrics`` (distances). No training in them.
- ``training/``: ``steps`` (one D step, one G step: notebook 05's), ``loop`` (``fit``),
  ``recipes`` (every setting, declared once), ``results`` (history, save, load), ``many``
  (``fit_many``: many seeds at once), ``coach`` (what a run's history says).
- ``lessons/``: the pieces of single lessons: ``oscillation`` (06), ``surfaces`` (08), ``sequences`` (09), ``data``,
  ``images`` (10), ``conditional`` (11).
- ``views/``: ``plots`` (every figure) and ``widgets`` (the training dashboard).
- ``checks/``: the exercise checkers. Beside them: ``validation`` (argument checks with clear
  errors), ``interrupts`` (Ctrl-C that leaves the kernel working) and ``student_copy``.

Every module is also reachable by its short name: ``gl.samplers``, ``gl.steps``, ``gl.plots``,
``gl.widgets``, ``gl.images`` and so on.

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
    from . import maths, training, views
    from .maths import features, losses, metrics, models, samplers
    from .training import coach, recipes, steps
    from .training.loop import TrainingState, fit
    from .training.recipes import RECIPES, Recipe
    from .training.results import FitResult, History, load
    from .views import plots
    interrupts.warm_up()

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Recipe", "RECIPES", "maths", "training", "views",
           "samplers", "features", "models", "losses", "steps", "metrics", "recipes", "plots", "coach"]
__version__ = "1.0.0"

_guard.pass_on()

#: The modules that load on first use (``gl.widgets`` imports ipywidgets, ``gl.images`` the digits), by short name.
_LATER = {"many": ".training.many", "recorded": ".training.recorded", "widgets": ".views.widgets",
          "surfaces": ".lessons.surfaces", "sequences": ".lessons.sequences", "data": ".lessons.data",
          "images": ".lessons.images", "conditional": ".lessons.conditional", "oscillation": ".lessons.oscillation",
          "lessons": ".lessons",
          "checks": ".checks", "student_copy": ".student_copy", "nbgrader_course": ".nbgrader_course",
          "validation": ".validation"}


def __getattr__(name):
    """``gl.many``, ``gl.widgets``, ``gl.fit_many``, … work without importing them first (they load on first use)."""
    import importlib
    if name in _LATER:
        return importlib.import_module(_LATER[name], __name__)
    if name == "fit_many":
        return importlib.import_module(".training.many", __name__).fit_many
    raise AttributeError(f"module 'gan_lesson' has no attribute {name!r}")
