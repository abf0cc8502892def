"""Argument checks shared by every public function.

Each check raises a ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong
value) whose message names the parameter, repeats the value it received and says what is
accepted, e.g. ``lr_d must be a finite number > 0; got -0.1.``
"""
import difflib
import inspect
import math
import numbers

import numpy as np
import torch

__all__ = ["accepts_arguments", "short_repr", "unknown_setting", "check_number", "check_int", "check_seed", "check_choice", "check_callable", "check_bool",
           "MAX_SEED"]

#: Seeds are whole numbers from 0 to MAX_SEED (what numpy's and PyTorch's generators both take,
#: with room for the offsets the trainers add to make their other streams).
MAX_SEED = 2**31 - 1


def short_repr(value, limit=60):
    """``repr(value)`` cut to ``limit`` characters, for quoting a user's value in a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_show = short_repr


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a plain float if it is a finite real number inside the given bounds
    (numpy numbers accepted; True/False refused)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number; got {value!r}, which is a yes/no value, not a number.")
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {_show(value)} of type {type(value).__name__}.")
    value = float(value)
    accepted = "a finite number"
    if low is not None:
        accepted += f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        accepted += f"{' and' if low is not None else ''} {'<' if high_open else '<='} {high:g}"
    bad = not math.isfinite(value)
    if low is not None:
        bad = bad or value < low or (low_open and value == low)
    if high is not None:
        bad = bad or value > high or (high_open and value == high)
    if bad:
        raise ValueError(f"{name} must be {accepted}; got {_show(value)}.")
    return value


def check_int(name, value, *, low=None, high=None):
    """Return ``value`` as a plain int if it is a whole number inside ``[low, high]``.

    numpy integers and floats with no fractional part (``10.0``, ``np.float64(512)``) are
    accepted and converted; True/False are refused (``epochs=True`` is a slip, not 1).
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a whole number; got {value!r}, which is a yes/no value, not a number.")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer():
            value = int(value)
        elif isinstance(value, numbers.Real) and not math.isfinite(float(value)):
            raise ValueError(f"{name} must be a whole number; got {_show(value)}, which is not a finite number.")
        elif isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a whole number; got {_show(value)}, which has a fractional part "
                            f"(use {math.floor(value)} or {math.ceil(value)}).")
        else:
            raise TypeError(f"{name} must be a whole number; got {_show(value)} of type {type(value).__name__}.")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            accepted = f"a whole number >= {low}"
        elif low is None:
            accepted = f"a whole number <= {high}"
        else:
            accepted = f"a whole number from {low} to {high}"
        raise ValueError(f"{name} must be {accepted}; got {value}.")
    return value


def check_seed(name, value):
    """Return ``value`` as a plain int if it is a usable seed: a whole number from 0 to ``MAX_SEED``."""
    return check_int(name, value, low=0, high=MAX_SEED)


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices`` (strings)."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {_show(value)}.")
    return value


def check_callable(name, value, what="a function"):
    if not callable(value):
        raise TypeError(f"{name} must be {what}; got {_show(value)} of type {type(value).__name__}, which cannot be called.")
    return value


def check_bool(name, value):
    """Return ``value`` as a plain bool (numpy's ``np.True_`` accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_show(value)}.")
    return bool(value)


def unknown_setting(function, name, settings):
    """The message for a keyword ``function`` does not take: a near miss named, the settings listed."""
    if name in ("lr", "learning_rate", "lr_both"):
        guess = " Did you mean lr_d and lr_g (one learning rate for each network)?"
    else:
        close = difflib.get_close_matches(name, settings, n=1, cutoff=0.6)
        guess = f" Did you mean {close[0]}?" if close else ""
    return f"{function}() has no setting {name!r}.{guess} Its settings are: {', '.join(settings)}."


_TEXT_KINDS = {"U": "text", "S": "text", "M": "dates", "m": "time spans", "V": "raw records"}


def real_numbers(name, x, accepted="numbers in a tensor or array"):
    """``x`` as a float64 numpy array of any shape, refusing complex values, text and non-numbers.

    Used by the metrics and the samplers: every message names ``name``, repeats the value and
    says what is ``accepted``.
    """
    original = x
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must be real numbers; got a complex tensor ({x.dtype}). "
                            "Take .real or .abs() first if that is what you mean.")
        x = x.detach().cpu()
        if x.is_floating_point() and x.dtype not in (torch.float16, torch.float32, torch.float64):
            x = x.double()                  # bfloat16 and friends have no numpy twin
        x = x.numpy()
    try:
        x = np.asarray(x)
    except (TypeError, ValueError):         # ragged nested lists
        raise TypeError(f"{name} must be {accepted}; got {short_repr(original)}, whose rows do not all have "
                        "the same length.") from None
    kind = x.dtype.kind
    if kind == "c":
        example = x.ravel()[np.flatnonzero(x.ravel().imag != 0)[:1]]
        shown = f" such as {example[0]}" if len(example) else ""
        raise TypeError(f"{name} must be real numbers; got complex values{shown}. "
                        "Take .real or abs() first if that is what you mean.")
    if kind in "biuf":
        return x.astype(float, copy=False)
    if kind == "O":
        flat = x.ravel()
        if any(isinstance(v, (complex, np.complexfloating)) for v in flat):
            raise TypeError(f"{name} must be real numbers; got {short_repr(original)}, which holds complex values.")
        if len(flat) and all(isinstance(v, numbers.Real) for v in flat):
            return x.astype(float)
    what = _TEXT_KINDS.get(kind)
    shown = f"{what} {short_repr(original)}" if what else f"{short_repr(original)} of type {type(original).__name__}"
    raise TypeError(f"{name} must be {accepted}; got {shown}.")


def accepts_arguments(fn, count):
    """Whether ``fn`` can be called with ``count`` positional arguments (True when it cannot be told)."""
    try:
        inspect.signature(fn).bind(*range(count))
    except TypeError:
        return False
    except ValueError:          # no signature to read (some built-ins): let the call itself tell
        return True
    return True
