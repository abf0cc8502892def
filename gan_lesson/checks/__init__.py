"""Exercise checkers, one module per lesson; every ``check_*`` function is importable from here.

    from gan_lesson.checks import check_mixture_sampler
    check_mixture_sampler(my_sampler);

Each prints one message (✓ what was verified, ✗ the likely mistake and a hint, or "not
attempted yet") and returns True or False. ``core`` holds the shared machinery. Each checker
is imported below by name from the module that defines it: a new checker is added here too
(a test fails when a module's checker is missing here).
"""
from .core import call, checker, expect  # noqa: F401  (for writing new checkers)
from .conditional import check_generator_input
from .failures import check_diagnose_run
from .images import check_digit_result, check_image_discriminator, check_image_generator, check_image_train_step
from .losses import check_d_loss, check_g_loss, check_logit_gradient
from .models import check_make_discriminator, check_make_generator
from .paradigms import check_paradigm_quiz
from .samplers import MIXTURE, check_four_moments, check_mixture_sampler
from .sequences import (check_series_losses, check_series_models, check_series_result, check_series_scaler,
                        check_series_steps)
from .training import check_d_step, check_g_step
from .two_d import SERIES_COV, check_axis_prediction, check_small_variance_axis, check_variance_along

__all__ = [
    "check_generator_input",                                                        # conditional
    "check_diagnose_run",                                                           # failures
    "check_image_generator", "check_image_discriminator", "check_image_train_step",  # images
    "check_digit_result",
    "check_d_loss", "check_g_loss", "check_logit_gradient",                         # losses
    "check_make_generator", "check_make_discriminator",                             # models
    "check_paradigm_quiz",                                                          # paradigms
    "check_mixture_sampler", "check_four_moments", "MIXTURE",                       # samplers
    "check_series_scaler", "check_series_models", "check_series_losses", "check_series_steps",  # sequences
    "check_series_result",
    "check_d_step", "check_g_step",                                                 # training
    "check_small_variance_axis", "check_variance_along", "check_axis_prediction", "SERIES_COV",  # two_d
]
