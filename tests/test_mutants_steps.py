"""Every single change of the step solutions of notebooks 05, 08 and 09 (and of 08's scaler and
losses) through its checker: a change of behaviour gets ✗ with a mistake named; a harmless change,
and a correct answer written differently, gets ✓.

``EXERCISES()`` lists them for ``python -m tests.mutants --report``.
"""
import functools

import pytest

from gan_lesson.checks import (check_d_step, check_g_step, check_image_train_step, check_series_losses,
                               check_series_scaler, check_series_steps)
from mutants import Exercise, judge, run_check
from notebook_cells import cells, solution_namespace

NB05, NB08, NB09 = "05_training_loop.ipynb", "08_challenge_sequences.ipynb", "09_challenge_images.ipynb"


def _cell(notebook, defines):
    """The solution cell of ``notebook`` that defines the function ``defines``."""
    return next(src for src in cells(notebook, "solution") if f"def {defines}(" in src)


# --------------------------------------------------------------------------- harmless changes, with why

HARMLESS_05_D = {}
HARMLESS_05_G = {}
HARMLESS_08_SCALER = {}
HARMLESS_08_LOSSES = {}
HARMLESS_08_STEPS = {}
HARMLESS_09 = {}

# --------------------------------------------------------------------------- correct answers written differently

ALTERNATIVES_05_D = {}
ALTERNATIVES_05_G = {}
ALTERNATIVES_08_SCALER = {}
ALTERNATIVES_08_LOSSES = {}
ALTERNATIVES_08_STEPS = {}
ALTERNATIVES_09 = {}


@functools.lru_cache(maxsize=None)
def _namespace(notebook):
    return solution_namespace(notebook)


@functools.lru_cache(maxsize=None)
def EXERCISES():
    n05, n08, n09 = _namespace(NB05), _namespace(NB08), _namespace(NB09)
    return (
        Exercise("05 d_step", _cell(NB05, "d_step"), n05, "d_step", lambda ns: check_d_step(ns["d_step"]),
                 HARMLESS_05_D, ALTERNATIVES_05_D),
        Exercise("05 g_step", _cell(NB05, "g_step"), n05, "g_step", lambda ns: check_g_step(ns["g_step"]),
                 HARMLESS_05_G, ALTERNATIVES_05_G),
        Exercise("08 make_scaler", _cell(NB08, "make_scaler"), n08, "make_scaler",
                 lambda ns: check_series_scaler(ns["make_scaler"]), HARMLESS_08_SCALER, ALTERNATIVES_08_SCALER),
        Exercise("08 d_loss", _cell(NB08, "d_loss"), n08, "d_loss",
                 lambda ns: check_series_losses(ns["d_loss"], ns["g_loss"]), HARMLESS_08_LOSSES,
                 ALTERNATIVES_08_LOSSES),
        Exercise("08 g_loss", _cell(NB08, "g_loss"), n08, "g_loss",
                 lambda ns: check_series_losses(ns["d_loss"], ns["g_loss"]), HARMLESS_08_LOSSES),
        Exercise("08 d_step", _cell(NB08, "d_step"), n08, "d_step",
                 lambda ns: check_series_steps(ns["d_step"], ns["g_step"]), HARMLESS_08_STEPS, ALTERNATIVES_08_STEPS),
        Exercise("08 g_step", _cell(NB08, "g_step"), n08, "g_step",
                 lambda ns: check_series_steps(ns["d_step"], ns["g_step"]), HARMLESS_08_STEPS),
        Exercise("09 train_step", _cell(NB09, "train_step"), n09, "train_step",
                 lambda ns: check_image_train_step(ns["train_step"]), HARMLESS_09, ALTERNATIVES_09),
    )
