from gan_lesson.checks import call, checker, expect


@checker("the square exercise")
def check_square(fn):
    expect(call(fn, 3) == 9, f"square(3) gave {call(fn, 3)!r}, not 9", "multiply x by itself")
    expect(call(fn, -2) == 4, f"square(-2) gave {call(fn, -2)!r}, not 4", "mind the sign")
    return "square(3) = 9 and square(-2) = 4"


def stub(x):
    raise NotImplementedError


def test_pass_fail_and_not_attempted(capsys):
    assert check_square(lambda x: x * x) is True
    assert capsys.readouterr().out.startswith("✓ the square exercise: square(3) = 9")
    assert check_square(lambda x: 3 * x) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ the square exercise: square(-2) gave -6, not 4") and "Hint: mind the sign" in out
    assert check_square(stub) is False
    assert "not attempted yet" in capsys.readouterr().out
    assert check_square(lambda x: ...) is False
    assert "not attempted yet" in capsys.readouterr().out


def test_crashes_and_non_callables_are_explained(capsys):
    assert check_square(lambda x: 1 / 0) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check_square(5) is False
    assert "should be a function" in capsys.readouterr().out
    assert check_square(None) is False
    assert "nothing to check yet" in capsys.readouterr().out
