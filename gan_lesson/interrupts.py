"""Ctrl-C that never leaves a half-done step behind.

A KeyboardInterrupt can arrive between any two Python instructions: in the middle of an
optimizer step (half the weights moved), between two columns of a history record, or while
PyTorch imports one of its modules for the first time (a half-imported module then breaks every
later call until the kernel restarts). The trainers therefore run under ``interrupt_guard()``:
a Ctrl-C (the notebook's stop button sends the same signal) only *asks* the run to stop, and
the loop stops at the next point where everything is consistent, returning what it trained.
A second Ctrl-C while the first is still pending raises KeyboardInterrupt at once, for code
that never reaches such a point (a target function that never returns, say).

Outside the main thread (a dashboard run in the background) signals never arrive, and the
guard does nothing.
"""
import signal
import threading

__all__ = ["InterruptGuard", "interrupt_guard", "warm_up"]


class InterruptGuard:
    """Records a Ctrl-C instead of raising it; ``requested`` says whether one came."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def _handler(self, signum, frame):
        if self.requested:          # asked twice: stop now, wherever the code is
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except ValueError:      # an interpreter that does not allow it: behave as before
                self._installed = False
        return self

    def stop_here(self):
        """Raise ``KeyboardInterrupt`` if a Ctrl-C came: call it where the work is in a consistent state."""
        if self.requested:
            raise KeyboardInterrupt

    def pass_on(self):
        """Deliver a Ctrl-C this guard held back to whoever listens now: a KeyboardInterrupt in a
        notebook cell, or the request of an enclosing guard (a trainer, which then stops cleanly)."""
        if self.requested and not self._installed:
            signal.raise_signal(signal.SIGINT)

    def __exit__(self, *exc):
        if self._installed:
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)
            self._installed = False
        return False


def interrupt_guard():
    """A fresh ``InterruptGuard`` (use it as ``with interrupt_guard() as guard:``)."""
    return InterruptGuard()


_WARM = False


def warm_up():
    """Import, once and under the guard, what PyTorch imports lazily on first use.

    Building the first optimizer of a process imports several hundred modules (about a second).
    A Ctrl-C in the middle of that import leaves them half-imported and every later optimizer
    broken (``module 'sympy' has no attribute 'core'``) until the kernel restarts, even for a
    student's own ``torch.optim.SGD``. Doing it here, with Ctrl-C deferred, closes that window.
    """
    global _WARM
    if _WARM:
        return
    import torch
    with interrupt_guard() as guard, torch.random.fork_rng(devices=[]):   # the notebook's random numbers stay as they were
        layer = torch.nn.Linear(1, 1)
        torch.optim.SGD(layer.parameters(), lr=0.1)
        torch.optim.Adam(layer.parameters(), lr=0.1)
    _WARM = True
    guard.pass_on()             # the Ctrl-C that came meanwhile, now that everything is whole
