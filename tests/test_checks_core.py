from gan_lesson.checks import call, checker, expect
from gan_lesson.checks.core import Verdict


@checker("the square exercise")
def check_square(fn):
    expect(call(fn, 3) == 9, f"square(3) gave {call(fn, 3)!r}, not 9", "multiply x by itself")
    expect(call(fn, -2) == 4, f"square(-2) gave {call(fn, -2)!r}, not 4", "mind the sign")
    return "square(3) = 9 and square(-2) = 4"


def stub(x):
    raise NotImplementedError


def test_pass_fail_and_not_attempted(capsys):
    assert check_square(lambda x: x * x) == True
    assert capsys.readouterr().out.startswith("✓ the square exercise: square(3) = 9")
    assert check_square(lambda x: 3 * x) == False
    out = capsys.readouterr().out
    assert out.startswith("✗ the square exercise: square(-2) gave -6, not 4") and "Hint: mind the sign" in out
    assert check_square(stub) == False
    assert "not attempted yet" in capsys.readouterr().out
    assert check_square(lambda x: ...) == False
    assert "not attempted yet" in capsys.readouterr().out


def test_crashes_and_non_callables_are_explained(capsys):
    assert check_square(lambda x: 1 / 0) == False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check_square(5) == False
    assert "should be a function" in capsys.readouterr().out
    assert check_square(None) == False
    assert "nothing to check yet" in capsys.readouterr().out


def test_verdict_is_a_quiet_bool():
    v = check_square(lambda x: x * x)
    assert isinstance(v, Verdict) and v == True and bool(v)   # noqa: E712
    assert repr(v) == "True" and repr(Verdict(False)) == "False"
    assert v._ipython_display_() is None        # a cell ending in a check shows only the message


# --------------------------------------------------------------------------- time limits

import contextlib  # noqa: E402
import io  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

from gan_lesson.checks import core  # noqa: E402

LIMIT = 0.5        # a tiny limit keeps these tests quick; "returns" means well under RETURNS seconds
RETURNS = 10.0


def endless(x):
    while True:
        pass


def _no_timer_left(handler):
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) is handler


@pytest.fixture
def clean_alarm():
    """The SIGALRM handler before the test; afterwards no timer may be left and the handler must be back."""
    before = signal.getsignal(signal.SIGALRM)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    yield before
    left = signal.getitimer(signal.ITIMER_REAL)
    handler = signal.getsignal(signal.SIGALRM)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, before)
    assert left == (0.0, 0.0), "a SIGALRM timer was left running"
    assert handler is before, "the SIGALRM handler was not restored"


def _timed(check, fn):
    start = time.monotonic()
    verdict = check(fn)
    return verdict, time.monotonic() - start


def test_an_endless_loop_is_stopped_and_explained(clean_alarm, capsys, monkeypatch):
    monkeypatch.setattr(core, "TIME_LIMIT", LIMIT)        # the module default, read when the check runs
    verdict, took = _timed(check_square, endless)
    out = capsys.readouterr().out
    assert verdict == False and isinstance(verdict, Verdict)      # noqa: E712
    assert took < RETURNS
    assert out.startswith("✗ the square exercise: your function did not return within the time limit of 0.5 seconds")
    assert "endless loop" in out and "too many steps" in out and "input" in out
    assert "Hint:" in out and "stop button" in out and "condition" in out
    assert _no_timer_left(clean_alarm)
    monkeypatch.undo()
    assert check_square(lambda x: x * x) == True            # noqa: E712 — the next check works as usual
    assert capsys.readouterr().out.startswith("✓ the square exercise")
    assert _no_timer_left(clean_alarm)


@checker("the quick exercise", limit=LIMIT)
def check_quick(fn):
    call(fn, 1, what="quick(1)")
    return "quick(1) returned"


@checker("the patient exercise", limit=60)
def check_patient(fn):
    call(fn, 1, what="patient(1)", limit=LIMIT)
    return "patient(1) returned"


def test_limits_per_checker_and_per_call(clean_alarm, capsys):
    for check, name in ((check_quick, "quick(1)"), (check_patient, "patient(1)")):
        verdict, took = _timed(check, endless)
        out = capsys.readouterr().out
        assert verdict == False and took < RETURNS                  # noqa: E712
        assert f"{name} did not return within the time limit of 0.5 seconds" in out
        assert _no_timer_left(clean_alarm)
    assert check_patient(lambda x: x) == True                     # noqa: E712
    assert "✓ the patient exercise" in capsys.readouterr().out


def test_waiting_code_is_stopped_too(clean_alarm, capsys):
    verdict, took = _timed(check_quick, lambda x: time.sleep(60))
    assert verdict == False and took < RETURNS                      # noqa: E712
    assert "quick(1) did not return within" in capsys.readouterr().out


@checker("the nested exercise", limit=LIMIT)
def check_nested(fn):
    call(lambda: call(fn, 1, what="inner(1)", limit=60), what="outer()", limit=30)
    return "it returned"


def test_a_nested_call_keeps_the_shorter_outer_limit(clean_alarm, capsys):
    verdict, took = _timed(check_nested, endless)
    out = capsys.readouterr().out
    assert verdict == False and took < RETURNS                      # noqa: E712
    assert "inner(1) did not return within the time limit of 0.5 seconds" in out
    assert _no_timer_left(clean_alarm)


class OuterAlarm(BaseException):
    pass


def _raise_outer(signum, frame):
    raise OuterAlarm


def test_an_outer_timer_that_fires_first_is_left_alone(clean_alarm):
    signal.signal(signal.SIGALRM, _raise_outer)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    start = time.monotonic()
    with pytest.raises(OuterAlarm):
        check_patient(endless)          # its own limit is 0.5 s: the outer 0.3 s one is the one that fires
    assert time.monotonic() - start < RETURNS
    assert _no_timer_left(_raise_outer)
    signal.signal(signal.SIGALRM, clean_alarm)


def test_an_outer_timer_that_fires_later_goes_on_afterwards(clean_alarm, capsys):
    signal.signal(signal.SIGALRM, _raise_outer)
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        assert check_quick(endless) == False                        # noqa: E712
        left, interval = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left < 100 and interval == 0.0                  # paused, then set again with what was left
        assert signal.getsignal(signal.SIGALRM) is _raise_outer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, clean_alarm)
    assert "quick(1) did not return" in capsys.readouterr().out


def catches_everything(x):
    try:
        endless(x)
    except Exception:               # noqa: BLE001 — a student's broad handler
        return 9                    # would pass check_square(3) == 9 if the time-out were swallowed


def catches_even_base_exceptions(x):
    try:
        endless(x)
    except:                         # noqa: E722
        return 9


@pytest.mark.parametrize("fn", [catches_everything, catches_even_base_exceptions])
def test_a_broad_except_does_not_hide_the_time_out(clean_alarm, capsys, monkeypatch, fn):
    monkeypatch.setattr(core, "TIME_LIMIT", LIMIT)
    verdict, took = _timed(check_square, fn)
    out = capsys.readouterr().out
    assert verdict == False and took < RETURNS                      # noqa: E712
    assert "did not return within the time limit of 0.5 seconds" in out
    assert _no_timer_left(clean_alarm)


def test_a_time_out_inside_a_checkers_own_crash_handling_is_not_a_crash(clean_alarm, capsys, monkeypatch):
    """generator_input is called through call(..., diagnose=False) inside a broad `except Exception`."""
    from gan_lesson.checks.conditional import check_generator_input
    monkeypatch.setattr(core, "TIME_LIMIT", LIMIT)
    verdict, took = _timed(check_generator_input, lambda z, labels: endless(z))
    out = capsys.readouterr().out
    assert verdict == False and took < RETURNS                      # noqa: E712
    assert "generator_input(z, labels) did not return within the time limit of 0.5 seconds" in out
    assert "raised" not in out


def test_a_keyboard_interrupt_propagates(clean_alarm, monkeypatch):
    def interrupted(x):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        check_square(interrupted)
    assert _no_timer_left(clean_alarm)
    with pytest.raises(KeyboardInterrupt):
        check_quick(interrupted)
    assert _no_timer_left(clean_alarm)


def test_ctrl_c_during_an_endless_loop_propagates(clean_alarm):
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Timer(0.2, signal.raise_signal, (signal.SIGINT,))   # what the stop button sends
    try:
        with pytest.raises(KeyboardInterrupt):
            sender.start()
            check_patient(lambda x: endless(x))
    finally:
        sender.cancel()
        signal.signal(signal.SIGINT, previous)
    assert _no_timer_left(clean_alarm)


def test_outside_the_main_thread_one_c_call_runs_to_its_end(clean_alarm):
    results = []
    worker = threading.Thread(target=lambda: results.append(call(lambda: time.sleep(0.3) or 7, limit=0.05)))
    worker.start()
    worker.join(RETURNS)
    assert results == [7]
    assert _no_timer_left(clean_alarm)


def test_outside_the_main_thread_an_endless_loop_is_stopped_too(clean_alarm, monkeypatch):
    monkeypatch.setattr(core, "TIME_LIMIT", LIMIT)
    printed = []

    def run():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            printed.append((check_square(endless), out.getvalue()))
        printed.append(check_square(lambda x: x * x))        # the thread goes on as usual afterwards

    worker = threading.Thread(target=run)
    started = time.monotonic()
    worker.start()
    worker.join(RETURNS)
    assert not worker.is_alive() and time.monotonic() - started < RETURNS
    (verdict, out), after = printed
    assert verdict == False and "did not return within the time limit of 0.5 seconds" in out   # noqa: E712
    assert after == True                                                                          # noqa: E712
    assert sys.gettrace() is None
    assert _no_timer_left(clean_alarm)


def test_diagnose_false_hands_back_what_the_code_did(clean_alarm):
    assert call(lambda: ..., diagnose=False) is Ellipsis
    with pytest.raises(NotImplementedError):
        call(stub, 1, diagnose=False)
    with pytest.raises(ZeroDivisionError):
        call(lambda: 1 / 0, diagnose=False)
    with pytest.raises(ValueError):
        call(lambda: 1, limit=0)
    with pytest.raises(ValueError):
        checker("a check", limit=-1)
    assert call(lambda: 5, limit=float("inf")) == 5                  # inf: no limit at all


@checker("the outer exercise")
def check_outer(fn):
    call(fn, 1, what="outer(1)")
    return "outer(1) returned"


def test_a_check_run_by_the_students_code_keeps_its_time_out_to_itself(clean_alarm, capsys):
    def runs_a_quick_check(x):
        return check_quick(endless)             # times out after 0.5 s, says so, returns False
    assert check_outer(runs_a_quick_check) == True                  # noqa: E712 — the outer 30 s did not run out
    out = capsys.readouterr().out
    assert "✗ the quick exercise: quick(1) did not return" in out and "✓ the outer exercise" in out
    assert _no_timer_left(clean_alarm)


def test_an_import_under_way_is_finished_before_the_code_is_stopped(clean_alarm, capsys, tmp_path, monkeypatch):
    (tmp_path / "slow_to_import.py").write_text(
        "import time\nstart = time.monotonic()\nwhile time.monotonic() - start < 0.8:\n    pass\ndone = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)

    def imports_then_loops(x):
        import slow_to_import  # noqa: F401 — still importing when the 0.5 s run out
        endless(x)
    assert check_quick(imports_then_loops) == False                 # noqa: E712
    assert "quick(1) did not return" in capsys.readouterr().out
    assert sys.modules["slow_to_import"].done                       # not left half-imported
    assert _no_timer_left(clean_alarm)
