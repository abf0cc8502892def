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

Student code that never returns (an endless loop, a huge step count, a call to ``input()``)
must not hang the check: every ``call`` and the whole check run under a time limit,
``TIME_LIMIT`` seconds unless the checker (``@checker(..., limit=120)``) or the call
(``call(fn, x, limit=5)``) says otherwise. When it runs out the checker prints a ✗ message
saying so and returns False; the kernel stays usable. In the main thread (where a Jupyter kernel
runs every cell) the limit is a SIGALRM timer; in another thread, and where the platform has no
``setitimer``, it is a trace function (``sys.settrace``) that raises the time-out at the first line
the code runs after the deadline (unless a debugger's trace function is already there; then the
code runs without a limit). Either way it interrupts Python code: a single C call (one huge matrix
product, a ``time.sleep``) is interrupted only once it returns.
"""
import contextlib
import contextvars
import functools
import inspect
import math
import signal
import sys
import threading
import time

from ..training.loop import torch_threads

__all__ = ["checker", "expect", "call", "Fail", "NotAttempted", "Verdict", "TIME_LIMIT"]

TIME_LIMIT = 30.0
"""Seconds the student's code may run in one check (and in each ``call``) before it is stopped.
The slowest reference solutions take about 1.6 s for a whole check and 0.01 s for one call."""


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


# --------------------------------------------------------------------------- time limits

class _TimeUp(BaseException):
    """The time limit ran out while the student's code ran.

    A BaseException, not an Exception, so that neither the student's ``except Exception`` nor a
    checker's own crash handling takes it for an ordinary error; ``checker`` turns it into the ✗
    message. ``what`` names the code that was running (set by the innermost ``call`` it passes).
    """

    def __init__(self, seconds, what=None):
        super().__init__(seconds, what)
        self.seconds, self.what = seconds, what


class _Limit:
    """One time limit in force: its length, whether its alarm went off, how often it waited for an
    import, how often it fired again after its time-out was swallowed."""

    def __init__(self, seconds):
        self.seconds, self.fired, self.deferred, self.refired = seconds, False, 0, 0


#: Once a time limit has fired, it fires again every REFIRE seconds until the code ends: code that
#: swallowed the first time-out (a bare ``except:`` in a retry loop) gets another chance to stop.
REFIRE = 0.5


def _swallowed_message(what):
    return (f"\n✗ The time limit ran out, but {what or 'your code'} is still running: it catches every exception "
            "(a bare `except:` or `except BaseException`), so the time limit cannot stop it, and it may run "
            "forever. Interrupt the kernel (■), or restart it (Kernel → Restart) if that does not stop it; then "
            "narrow the `except:` to the exception it expects (e.g. `except ValueError:`).\n")


def _tell(text):
    """Write ``text`` where the student sees it even when sys.stderr is captured (the real stderr)."""
    stream = sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


_limits = []        # the time limits whose timers this module set, innermost last (main thread only)
_default = contextvars.ContextVar("gan_lesson_checks_time_limit", default=None)   # the running checker's


def _importing(frame):
    """True while ``frame`` is inside an import (stopping there would leave a half-imported module)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def _traced_limit(seconds, what=None):
    """The time limit where no SIGALRM can be used: a trace function of this thread raises ``_TimeUp`` at
    the first line run after the deadline. An enclosing traced limit (or a debugger) keeps its own."""
    if seconds is None or not math.isfinite(seconds) or sys.gettrace() is not None:
        yield
        return
    deadline = time.monotonic() + seconds
    fired = []

    def on_line(frame, event, arg):
        if event == "line" and time.monotonic() > deadline:
            fired.append(True)
            raise _TimeUp(seconds, what)
        return on_line

    own = (__file__, contextlib.__file__)            # the machinery itself is not stopped half-way

    def on_call(frame, event, arg):
        return None if frame.f_code.co_filename in own else on_line

    sys.settrace(on_call)
    try:
        yield
    except _TimeUp as up:
        if up.what is None:
            up.what = what
        raise
    except KeyboardInterrupt:
        raise
    except BaseException:
        if fired:                                     # the time-out was caught, and then something failed
            raise _TimeUp(seconds, what) from None
        raise
    finally:
        sys.settrace(None)
    if fired:                                         # the time-out was caught and the code went on
        raise _TimeUp(seconds, what)


@contextlib.contextmanager
def _time_limit(seconds, what=None):
    """Run the ``with`` body for at most ``seconds``; past that it raises ``_TimeUp``.

    An outer timer that fires sooner (a checker's, or anyone's) is left alone; a later one is
    paused and set again afterwards with the time it has left, its handler restored. If the alarm
    went off but the body swallowed it (a bare ``except:``), the time-out is raised on the way out.
    Until the body ends the alarm fires again every ``REFIRE`` seconds; if one of those finds the
    code still running, the real stderr is told, once, that the code catches every exception.
    """
    main = threading.current_thread() is threading.main_thread()
    if not (main and hasattr(signal, "setitimer")):
        with _traced_limit(seconds, what):
            yield
        return
    mine = _Limit(seconds)
    own = False
    if seconds is not None and math.isfinite(seconds) and hasattr(signal, "setitimer") and main:
        outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        previous = signal.getsignal(signal.SIGALRM)
        # previous is None for a handler installed outside Python: it could not be put back
        own = previous is not None and not 0 < outer_left <= seconds

    if own:
        def on_alarm(signum, frame):
            if mine.deferred < 20 and _importing(frame):    # finish the import, stop right after
                mine.deferred += 1
                signal.setitimer(signal.ITIMER_REAL, 0.05)
                return
            if mine.fired:                                # the last time-out was swallowed: say so, once
                mine.refired += 1
                if mine.refired == 1:
                    _tell(_swallowed_message(what))
            mine.fired = True
            signal.setitimer(signal.ITIMER_REAL, REFIRE)  # fire again should this one be swallowed too
            raise _TimeUp(seconds)

        started = time.monotonic()
        try:
            signal.signal(signal.SIGALRM, on_alarm)
        except (ValueError, OSError):                 # signals not allowed here: run without a limit
            own = False
    # the limit in force: this one, or the enclosing one (whose alarm then ends this body too)
    ruling = mine if own else (_limits[-1] if main and _limits else None)
    fired_before = ruling is not None and ruling.fired

    def fired():
        return ruling is not None and ruling.fired and not fired_before

    try:
        try:
            if own:
                _limits.append(mine)
                signal.setitimer(signal.ITIMER_REAL, seconds)
            yield
        finally:
            if own:                                   # disarmed (also its re-firing) once the body ends
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeUp as up:
        if up.what is None:
            up.what = what
        raise
    except KeyboardInterrupt:
        raise
    except BaseException:
        if fired():                                   # the alarm was caught, and then something failed
            raise _TimeUp(ruling.seconds, what) from None
        raise
    finally:
        if own:
            _limits[:] = [limit for limit in _limits if limit is not mine]
            signal.signal(signal.SIGALRM, previous)
            if outer_left > 0:                        # the outer timer goes on with the time it had left
                left = outer_left - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)
    if fired():                                       # the alarm was caught and the code went on
        raise _TimeUp(ruling.seconds, what)


def _positive(seconds):
    """``seconds`` if it is a usable time limit (a positive number; ``math.inf`` for none)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"a time limit must be a positive number of seconds, not {seconds!r}")
    return seconds


def _time_up_message(exercise, up):
    seconds = up.seconds if up.seconds is not None else TIME_LIMIT
    unit = "second" if seconds == 1 else "seconds"
    return (f"✗ {exercise}: {up.what or 'your code'} did not return within the time limit of {seconds:g} {unit}, "
            "so the check stopped it. Probably it never ends: an endless loop (a `while` whose condition "
            "never becomes false), far too many steps (a huge range or step count), or code waiting for "
            "input (input() in a notebook waits for you to type).\n"
            "  Hint: look at the loop's condition and the number of steps, and try the function on a tiny "
            "input in a cell of its own; if that cell hangs, interrupt the kernel with the stop button (■).")


def _is_sampler_class(cls):
    from ..maths.samplers import Sampler       # here: the checks machinery must not need the samplers to import
    return issubclass(cls, Sampler)


def call(fn, *args, what="your function", limit=None, diagnose=True, **kwargs):
    """Run the student's ``fn``; a stub becomes NotAttempted, a crash becomes a clear Fail.

    ``limit`` is the time limit in seconds (default: the checker's, else ``TIME_LIMIT``); when it
    runs out the check ends with a ✗ message naming ``what``. With ``diagnose=False`` the checker
    handles the outcome itself: the student's exceptions (NotImplementedError too) and result come
    back unchanged, and only the time limit applies.
    """
    seconds = _positive(limit) if limit is not None else (_default.get() or TIME_LIMIT)
    if not diagnose:
        with _time_limit(seconds, what):
            return fn(*args, **kwargs)
    if isinstance(fn, type) and _is_sampler_class(fn):
        raise Fail(f"you passed the class {fn.__name__} itself; pass your own function (or an instance).",
                   f"Give the function you wrote in the exercise (its name, no parentheses), not gan_lesson's "
                   f"{fn.__name__}.")
    if not callable(fn):
        raise Fail(f"{what} should be a function (or model) you can call, but it is {type(fn).__name__}.",
                   "Run the cell that defines it, and pass the function itself (no parentheses).")
    try:
        with _time_limit(seconds, what):
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


def checker(exercise, limit=None):
    """Decorate a check function; ``exercise`` names the exercise in the messages.

    ``limit`` (seconds, default ``TIME_LIMIT``) bounds the whole check and is the default limit
    of every ``call`` in it: raise it for an exercise whose check legitimately trains for a while.
    """
    if limit is not None:
        _positive(limit)

    def wrap(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            if any(a is None for a in args):
                print(f"… {exercise}: nothing to check yet (got None). Define it in the cell above, then run this cell.")
                return Verdict(False)
            seconds = TIME_LIMIT if limit is None else limit
            token = _default.set(seconds)
            try:
                # one PyTorch thread, as fit trains: the probes are small networks, and a second
                # thread only slows them down when another process holds a core
                with _time_limit(seconds), torch_threads(1):
                    verified = check(*args, **kwargs)
            except NotAttempted as stub:
                how = stub.args[0] if stub.args else "replace `raise NotImplementedError` (or `...`) with your code"
                print(f"… {exercise} is not attempted yet: {how}, run that cell, then run this one again.")
                return Verdict(False)
            except Fail as f:
                problem, hint = f.args
                print(f"✗ {exercise}: {problem}" + (f"\n  Hint: {hint}" if hint else ""))
                return Verdict(False)
            except _TimeUp as up:
                print(_time_up_message(exercise, up))
                return Verdict(False)
            finally:
                _default.reset(token)
            print(f"✓ {exercise}: {verified}")
            return Verdict(True)
        run.exercise = exercise
        run.limit = limit
        run.__signature__ = inspect.signature(check)
        return run
    return wrap
