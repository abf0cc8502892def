"""Argument checks shared by every public function.

Each check raises a ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong
value) whose message names the parameter, repeats the value it received and says what is
accepted, e.g. ``lr_d must be a finite number > 0; got -0.1.``
"""
import math
import numbers

__all__ = ["check_number", "check_int", "check_choice", "check_callable", "check_bool"]


def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``value`` as a float if it is a finite real number inside the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
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
    """Return ``value`` as an int if it is a whole number inside ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
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
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {_show(value)}.")
    return value
