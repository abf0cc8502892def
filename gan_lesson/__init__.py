"""gan_lesson: the helper package of the gan-lesson notebook series.

Modules follow the lessons: ``samplers`` (real data and noise) → ``features`` (what D sees) →
``models`` (G and D) → ``losses`` → ``training`` (the loop, ``fit``) → ``metrics`` → ``plots``
→ ``widgets`` (the training dashboard), plus ``checks`` (exercise checkers) and ``data``.

The common case is one call::

    import gan_lesson as gl
    result = gl.fit(gl.samplers.Gaussian(4, 1.25))       # the modern recipe, a few seconds
    result.sample(1000)                                    # tensor (1000, 1)
"""
from . import coach, features, losses, metrics, models, plots, recipes, samplers, training
from .recipes import RECIPES, Recipe
from .training import FitResult, History, TrainingState, fit, load

__all__ = ["fit", "load", "FitResult", "History", "TrainingState", "Recipe", "RECIPES",
           "samplers", "features", "models", "losses", "training", "metrics", "recipes", "plots", "coach"]
__version__ = "1.0.0"
