"""The machinery every exercise checker shares.

A checker is a function decorated with ``@checker("what is checked")``. Inside it, ``call``
runs the student's code and ``expect`` tests one property; the first failed ``expect`` ends the
check with its diagnosis and hint. The checker prints exactly one message and returns a ``Verdict`` (equal to True or False,
displayed as nothing at the end of a cell):

    ✓ <what was verified>
    ✗ <the likely mistake>
      Hint: <what to try>
    … <exercise> is not attempted yet: …   (the stub still raises NotImplementedError)

Student stubs raise ``NotImplementedError`` (or return ``...``) until they are filled in; a
checker given one says so instead of raising.
"""
import functools
import inspect

__all__ = ["checker", "expect", "call", "Fail", "NotAttempted", "Verdict"]


class Verdict(int):
    """What a checker returns: equal to True or False, and shown as nothing when it ends a
    notebook cell (the printed message already says everything; no trailing `;` needed)."""

    def __new__(cls, ok):
        return super().__new__(cls, bool(ok))

    def __repr__(self):
        return "True" if self else "False"

    __str__ = __repr__

    def _ipython_display_(self):
        pass


class Fail(Exception):
    """A check failed: ``args = (problem, hint)``."""


class NotAttempted(Exception):
    """The student's code is still the stub."""


def expect(condition, problem, hint=None):
    """Stop the check with ``problem`` (and ``hint``) unless ``condition`` holds."""
    if not condition:
        raise Fail(problem, hint)


def call(fn, *args, what="your function", **kwargs):
    """Run the student's ``fn``; a stub becomes NotAttempted, a crash becomes a clear Fail."""
    if not callable(fn):
        raise Fail(f"{what} should be a function (or model) you can call, but it is {type(fn).__name__}.",
                   "Run the cell that defines it, and pass the function itself (no parentheses).")
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Fail:
        raise
    except Exception as exc:  # the student's code crashed: say where and how
        raise Fail(f"calling {what} raised {type(exc).__name__}: {exc}",
                   "Read the error above; test your code on a small input in a cell of its own.") from None
    if out is Ellipsis:
        raise NotAttempted()
    return out


def checker(exercise):
    """Decorate a check function; ``exercise`` names the exercise in the messages."""
    def wrap(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            if any(a is None for a in args):
                print(f"… {exercise}: nothing to check yet (got None). Define it in the cell above, then run this cell.")
                return Verdict(False)
            try:
                verified = check(*args, **kwargs)
            except NotAttempted as stub:
                how = stub.args[0] if stub.args else "replace `raise NotImplementedError` (or `...`) with your code"
                print(f"… {exercise} is not attempted yet: {how}, run that cell, then run this one again.")
                return Verdict(False)
            except Fail as f:
                problem, hint = f.args
                print(f"✗ {exercise}: {problem}" + (f"\n  Hint: {hint}" if hint else ""))
                return Verdict(False)
            print(f"✓ {exercise}: {verified}")
            return Verdict(True)
        run.exercise = exercise
        run.__signature__ = inspect.signature(check)
        return run
    return wrap
