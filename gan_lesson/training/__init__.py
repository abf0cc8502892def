"""Training a GAN: the two steps, the loop around them, the recipes, what a run leaves.

``steps`` (notebook 05's ``d_step`` and ``g_step``) → ``loop`` (``fit``: one D phase, one G
phase, a record, again) → ``recipes`` (every setting, declared once, and the networks and
optimizers a recipe builds) → ``results`` (``History``, ``FitResult``, save and load) →
``many`` (``fit_many``: the same loop for many seeds at once) and ``coach`` (what a run's
history says is going on). ``recorded`` holds full-length classic runs too slow to repeat in class.
"""
from . import coach, loop, recipes, results, steps
from .loop import REFERENCE_SIZE, SNAPSHOT_SIZE, Progress, TrainingState, fit, reads_logits, torch_threads
from .recipes import RECIPES, Recipe, build_models, make_optimizer, recipe_named
from .results import (FIT_COLUMNS, DataDiscriminator, DataGenerator, FitResult, History, Standardiser, damaged,
                      load, read_result, write_result)

__all__ = ["fit", "load", "FitResult", "History", "FIT_COLUMNS", "TrainingState", "Progress", "Standardiser",
           "DataGenerator", "DataDiscriminator", "write_result", "read_result", "damaged", "reads_logits",
           "torch_threads", "build_models", "make_optimizer", "recipe_named", "Recipe", "RECIPES",
           "REFERENCE_SIZE", "SNAPSHOT_SIZE", "steps", "loop", "recipes", "results", "coach"]
