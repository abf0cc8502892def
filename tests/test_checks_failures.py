"""The checker of notebook 06: the notebook's diagnose_run passes, and each typical mistake in
reading a run's signals gets its own diagnosis."""
import numpy as np
import pytest

from gan_lesson.checks import check_diagnose_run
from notebook_cells import solution_namespace

NOTEBOOK = "07_diagnosing_failures.ipynb"
LAST = slice(-5, None)


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NOTEBOOK)


def run(fn, capsys):
    ok = check_diagnose_run(fn)
    return ok, capsys.readouterr().out


# --------------------------------------------------------------------------- the solution

def test_notebook_solution_passes(solutions, capsys):
    ok, out = run(solutions["diagnose_run"], capsys)
    assert ok and out.startswith("✓"), out
    assert "all 12 runs diagnosed right" in out


# answers that judge the wrong records or the wrong signal (each passed when the checker had 8 runs)
_L = slice(-5, None)


def _answer(d_win, collapse, swing):
    def diagnose_run(d_real, d_fake, spread):
        if d_win(d_real, d_fake):
            return "d_winning"
        if collapse(spread):
            return "collapsed"
        if swing(d_real, d_fake):
            return "oscillating"
        return "healthy"
    return diagnose_run


_LAST5_WIN = lambda r, f: r[_L].mean() > 0.8 and f[_L].mean() < 0.2          # noqa: E731
_FAKE_SWING = lambda r, f: f.max() - f.min() > 0.3                            # noqa: E731


@pytest.mark.parametrize("answer, words", [
    (_answer(lambda r, f: r.mean() > 0.8 and f.mean() < 0.2, lambda s: s.mean() < 0.35, _FAKE_SWING),
     "not the whole history"),
    (_answer(_LAST5_WIN, lambda s: s[_L].mean() < 0.35, lambda r, f: f[_L].max() - f[_L].min() > 0.3),
     "The swing is judged over every record"),
    (_answer(_LAST5_WIN, lambda s: s[_L].mean() < 0.35, lambda r, f: np.ptp(r) > 0.3),
     "D(x) stayed near"),
    (_answer(_LAST5_WIN, lambda s: s[_L].mean() < 0.35, lambda r, f: np.ptp(r - f) > 0.3),
     "judge D(G(z)) itself, not the gap"),
    (_answer(lambda r, f: r[-4:].mean() > 0.8 and f[-4:].mean() < 0.2, lambda s: s[-4:].mean() < 0.35,
             _FAKE_SWING), "Average exactly the last 5 records"),
    (_answer(_LAST5_WIN, lambda s: s[-1] < 0.35, _FAKE_SWING), "not the last record alone"),
], ids=["whole history", "swing over the last 5", "swing of D(x)", "swing of the gap", "last 4 records",
        "last record"])
def test_answers_that_read_the_wrong_records_are_named(answer, words, capsys):
    ok, out = run(answer, capsys)
    assert not ok and words in out, out


def test_messages_are_deterministic(solutions, capsys):
    def wrong(d_real, d_fake, spread):
        return "healthy"

    first = run(solutions["diagnose_run"], capsys)[1] + run(wrong, capsys)[1]
    again = run(solutions["diagnose_run"], capsys)[1] + run(wrong, capsys)[1]
    assert first == again


def test_the_checker_does_not_let_the_student_change_its_cases(solutions, capsys):
    def vandal(d_real, d_fake, spread):         # overwrites its inputs, then answers right
        label = solutions["diagnose_run"](d_real, d_fake, spread)
        d_real[:] = 0.0
        spread[:] = 0.0
        return label

    ok, out = run(vandal, capsys)
    assert ok, out


def test_numpy_strings_are_accepted(solutions, capsys):
    def as_numpy(d_real, d_fake, spread):
        return np.str_(solutions["diagnose_run"](d_real, d_fake, spread))

    assert run(as_numpy, capsys)[0]


# --------------------------------------------------------------------------- not attempted, not callable

def test_stubs_are_not_attempted(capsys):
    def raises(d_real, d_fake, spread):
        raise NotImplementedError

    def dots(d_real, d_fake, spread):
        ...
        return ...

    for fn in (raises, dots):
        ok, out = run(fn, capsys)
        assert not ok and "not attempted yet" in out, out


def test_none_and_non_functions(capsys):
    ok, out = run(None, capsys)
    assert not ok and "nothing to check yet" in out
    ok, out = run("healthy", capsys)
    assert not ok and "should be a function" in out


# --------------------------------------------------------------------------- known mistakes

def by_d_only(d_real, d_fake, spread):
    """Judges a collapse by D alone: 'D sees through the fakes'."""
    if d_real[LAST].mean() > 0.8 and d_fake[LAST].mean() < 0.2:
        return "d_winning"
    if d_real[LAST].mean() - d_fake[LAST].mean() > 0.25:
        return "collapsed"
    if d_fake.max() - d_fake.min() > 0.3:
        return "oscillating"
    return "healthy"


def last_record_only(d_real, d_fake, spread):
    """Judges every signal by the last record."""
    if d_real[-1] > 0.8 and d_fake[-1] < 0.2:
        return "d_winning"
    if spread[-1] < 0.35:
        return "collapsed"
    if abs(d_fake[-1] - d_fake[-2]) > 0.3:
        return "oscillating"
    return "healthy"


def whole_history(d_real, d_fake, spread):
    """Judges a recovered run by its past: the median spread of all 12 records."""
    if d_real.mean() > 0.8 and d_fake.mean() < 0.2:
        return "d_winning"
    if np.median(spread) < 0.35:
        return "collapsed"
    if d_fake.max() - d_fake.min() > 0.3:
        return "oscillating"
    return "healthy"


def spread_first(d_real, d_fake, spread):
    """Checks the spread before D: a narrow spread caused by a winning D is called a collapse."""
    if spread[LAST].mean() < 0.35:
        return "collapsed"
    if d_real[LAST].mean() > 0.8 and d_fake[LAST].mean() < 0.2:
        return "d_winning"
    if d_fake.max() - d_fake.min() > 0.3:
        return "oscillating"
    return "healthy"


def spread_swings(d_real, d_fake, spread):
    """Measures oscillation by the spread's range: one step up counts as a swing."""
    if d_real[LAST].mean() > 0.8 and d_fake[LAST].mean() < 0.2:
        return "d_winning"
    if spread[LAST].mean() < 0.35:
        return "collapsed"
    if spread.max() - spread.min() > 0.5:
        return "oscillating"
    return "healthy"


def mean_belief(d_real, d_fake, spread):
    """Looks for oscillation in D's average belief, which stays near 0.5 while it swings."""
    if d_real[LAST].mean() > 0.8 and d_fake[LAST].mean() < 0.2:
        return "d_winning"
    if spread[LAST].mean() < 0.35:
        return "collapsed"
    if abs(d_fake.mean() - 0.5) > 0.2:
        return "oscillating"
    return "healthy"


def always_healthy(d_real, d_fake, spread):
    return "healthy"


def always_oscillating(d_real, d_fake, spread):
    return "oscillating"


@pytest.mark.parametrize("fn, words", [
    (by_d_only, ["called a collapsed run 'healthy'", "D is fooled", "Look at the spread"]),
    (last_record_only, ["called an oscillating run 'd_winning'", "its last record", "swings between"]),
    (whole_history, ["called a run that recovered 'collapsed'", "Judge the latest records"]),
    (spread_first, ["called a run where D wins 'collapsed'", "D rejects every fake", "Check D first"]),
    (spread_swings, ["called a run that recovered 'oscillating'", "one step up is progress"]),
    (mean_belief, ["called an oscillating run 'healthy'", "on average D says about 0.5"]),
    (always_healthy, ["called a run where D wins 'healthy'", "tells real from fake with ease"]),
    (always_oscillating, ["called a healthy run 'oscillating', but it is 'healthy'", "over the last 5 records"]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_each_mistake_gets_its_diagnosis(fn, words, capsys):
    ok, out = run(fn, capsys)
    assert not ok, out
    assert out.startswith("✗ diagnose_run:"), out
    assert "Hint:" in out
    for w in words:
        assert w in out, (w, out)


@pytest.mark.parametrize("answer, words", [
    (1, ["returned int", "one of the labels"]),
    (None, ["returned NoneType"]),
    ("D_winning", ["returned 'D_winning'", "the labels are exactly"]),
    ("collapse", ["returned 'collapse'", "the labels are exactly"]),
])
def test_answers_that_are_not_labels(answer, words, capsys):
    ok, out = run(lambda d_real, d_fake, spread: answer, capsys)
    assert not ok
    for w in words:
        assert w in out, (w, out)


def test_a_crash_is_reported_with_its_error(capsys):
    def crashes(d_real, d_fake, spread):
        return d_real.nonexistent

    ok, out = run(crashes, capsys)
    assert not ok and "raised AttributeError" in out
