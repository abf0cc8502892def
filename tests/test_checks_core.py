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
