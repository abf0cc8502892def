"""Checkers for notebook 07 (diagnosing a failing run): diagnose a run from its signals.

``diagnose_run(d_real, d_fake, spread)`` receives the last 12 records of a run — mean D(x),
mean D(G(z)) (probabilities) and the generated spread (generated std / real std), each a numpy
array of shape ``(12,)`` — and returns one of ``LABELS``. The checker shows it eight runs whose
diagnosis is clear-cut (hand-made, shaped like the runs of the notebook) and, for a wrong answer,
names the confusion: a collapsed run called healthy because D is fooled, a run where D wins
called collapsed, a collapse D sees through called D winning (D(x) is not high), an oscillating
run judged by its last record only, a recovered run judged by its past.
"""
import numpy as np

from .core import Fail, call, checker, expect

__all__ = ["check_diagnose_run"]

LABELS = ("healthy", "d_winning", "collapsed", "oscillating")
RECORDS = 12


def _noisy(level, size, seed, jitter):
    """``RECORDS`` values near ``level`` with a small fixed wobble (rounded: stable messages)."""
    rng = np.random.default_rng(seed)
    return np.round(np.asarray(level, dtype=float) + rng.uniform(-jitter, jitter, size), 3)


def _cases():
    n = RECORDS
    low, high = np.full(7, 0.05), np.full(5, 1.0)
    return [
        {"label": "healthy", "what": "a healthy run",
         "d_real": _noisy(0.50, n, 1, 0.02), "d_fake": _noisy(0.49, n, 2, 0.02), "spread": _noisy(0.98, n, 3, 0.03)},
        {"label": "d_winning", "what": "a run where D wins",
         "d_real": _noisy(0.96, n, 4, 0.01), "d_fake": _noisy(0.02, n, 5, 0.005), "spread": _noisy(0.08, n, 6, 0.01)},
        {"label": "collapsed", "what": "a collapsed run that fools D",
         "d_real": _noisy(0.52, n, 7, 0.02), "d_fake": _noisy(0.47, n, 8, 0.02), "spread": _noisy(0.04, n, 9, 0.01)},
        {"label": "oscillating", "what": "an oscillating run",
         "d_real": np.array([0.50, 0.55, 0.70, 0.85, 0.55, 0.50, 0.65, 0.80, 0.50, 0.45, 0.70, 0.86]),
         "d_fake": np.array([0.50, 0.80, 0.30, 0.15, 0.60, 0.85, 0.45, 0.20, 0.70, 0.82, 0.35, 0.15]),
         "spread": np.array([1.00, 1.30, 0.80, 0.60, 1.10, 1.40, 0.90, 0.65, 1.20, 1.35, 0.85, 0.60])},
        {"label": "collapsed", "what": "a collapsed run that D partly sees through",
         "d_real": _noisy(0.70, n, 10, 0.02), "d_fake": _noisy(0.30, n, 11, 0.02), "spread": _noisy(0.15, n, 12, 0.02)},
        {"label": "d_winning", "what": "a run where D wins",            # D(G(z)) above 0.1: a mean, not a sum
         "d_real": _noisy(0.88, n, 18, 0.01), "d_fake": _noisy(0.12, n, 19, 0.01), "spread": _noisy(0.20, n, 20, 0.02)},
        {"label": "collapsed", "what": "a collapsed run that D sees through",   # D(G(z)) low, D(x) not high
         "d_real": _noisy(0.62, n, 21, 0.02), "d_fake": _noisy(0.15, n, 22, 0.01), "spread": _noisy(0.10, n, 23, 0.01)},
        {"label": "healthy", "what": "a run that recovered from a collapse",
         "d_real": np.concatenate([_noisy(0.60, 7, 13, 0.02), _noisy(0.50, 5, 14, 0.02)]),
         "d_fake": np.concatenate([_noisy(0.38, 7, 15, 0.02), _noisy(0.49, 5, 16, 0.02)]),
         "spread": np.round(np.concatenate([low, high]) + _noisy(0.0, n, 17, 0.01), 3)},
        # the four below tell apart answers that judge the wrong records or the wrong signal
        {"label": "oscillating", "what": "an oscillation that is calm in its latest records",
         "d_real": _noisy(0.50, n, 24, 0.02),
         "d_fake": np.array([0.50, 0.85, 0.20, 0.80, 0.15, 0.75, 0.30, 0.45, 0.50, 0.48, 0.52, 0.50]),
         "spread": _noisy(1.00, n, 25, 0.05)},
        {"label": "oscillating", "what": "an oscillation where D's two outputs rise and fall together",
         "d_real": np.array([0.55, 0.80, 0.30, 0.75, 0.25, 0.70, 0.35, 0.78, 0.28, 0.72, 0.33, 0.65]),
         "d_fake": np.array([0.50, 0.75, 0.25, 0.70, 0.20, 0.65, 0.30, 0.73, 0.23, 0.67, 0.28, 0.60]),
         "spread": _noisy(1.00, n, 26, 0.05)},
        {"label": "collapsed", "what": "a run that collapsed in its latest records",
         "d_real": _noisy(0.52, n, 27, 0.02), "d_fake": _noisy(0.47, n, 28, 0.02),
         "spread": np.array([1.00, 0.98, 1.02, 0.97, 1.01, 0.99, 0.96, 0.12, 0.10, 0.11, 0.09, 0.45])},
        {"label": "d_winning", "what": "a run that D has only just won",
         "d_real": np.array([0.50, 0.52, 0.55, 0.60, 0.66, 0.72, 0.78, 0.99, 0.80, 0.79, 0.79, 0.80]),
         "d_fake": _noisy(0.05, n, 29, 0.01), "spread": _noisy(0.10, n, 30, 0.01)},
    ]


def _signals(case):
    last = slice(-5, None)
    return (f"over the last 5 records D(x) ≈ {case['d_real'][last].mean():.2f}, D(G(z)) ≈ "
            f"{case['d_fake'][last].mean():.2f} and the spread ≈ {case['spread'][last].mean():.2f}; D(G(z)) "
            f"ranges from {case['d_fake'].min():.2f} to {case['d_fake'].max():.2f} over all {RECORDS} records")


HINTS = {
    "healthy": "Nothing is wrong in this run. Check your thresholds: D wins only when the mean D(x) of the last "
               "records is above 0.8 AND the mean D(G(z)) below 0.2; a collapse is a spread below 0.35 in the "
               "latest records; an oscillation is D(G(z)) swinging by more than 0.3.",
    "d_winning": "Check D first: mean D(x) of the last 5 records above 0.8 and mean D(G(z)) below 0.2 means D "
                 "wins. A narrow spread is then a symptom (G gets no useful gradient and does not move), not "
                 "the cause.",
    "collapsed": "Look at the spread (generated std / real std): a mean below 0.35 over the last records is a "
                 "collapse, whatever D believes.",
    "oscillating": "Judge how much D(G(z)) moves over the records (largest minus smallest above 0.3, or its "
                   "standard deviation above 0.1), not only where it ends.",
}


def _problem(case, said):
    """The likely confusion behind calling ``case`` ``said``."""
    key = (case["what"], said)
    r, f, s = case["d_real"], case["d_fake"], case["spread"]
    last5 = slice(-5, None)
    specific = {
        ("a collapsed run that fools D", "healthy"):
            f"you called a collapsed run 'healthy': D is fooled (D(x) ≈ {r[last5].mean():.2f}, D(G(z)) ≈ "
            f"{f[last5].mean():.2f}), but the generated spread is only {s[last5].mean():.2f} of the target's — "
            "G makes nearly the same value every time. Look at the spread.",
        ("a collapsed run that D partly sees through", "healthy"):
            f"you called a collapsed run 'healthy': its spread is only {s[last5].mean():.2f} of the target's. "
            "Look at the spread even when D is unsure.",
        ("a collapsed run that D sees through", "d_winning"):
            f"you called a collapsed run 'd_winning': D(G(z)) ≈ {f[last5].mean():.2f} is low, but D(x) ≈ "
            f"{r[last5].mean():.2f} is not above 0.8, so D does not win: it rejects the collapsed fakes while it is "
            f"unsure of the real samples. The spread, {s[last5].mean():.2f} of the target's, says collapse.",
        ("a collapsed run that D sees through", "healthy"):
            f"you called a collapsed run 'healthy': its spread is only {s[last5].mean():.2f} of the target's. "
            "Look at the spread even when D is unsure.",
        ("a run where D wins", "collapsed"):
            f"you called a run where D wins 'collapsed': D(x) ≈ {r[last5].mean():.2f} and D(G(z)) ≈ "
            f"{f[last5].mean():.2f} — D rejects every fake, so G gets no useful gradient and its narrow spread "
            "never grows.",
        ("a run where D wins", "healthy"):
            f"you called a run where D wins 'healthy': D(x) ≈ {r[last5].mean():.2f} and D(G(z)) ≈ "
            f"{f[last5].mean():.2f} — D tells real from fake with ease.",
        ("an oscillating run", "d_winning"):
            f"you called an oscillating run 'd_winning': its last record (D(x) = {r[-1]:.2f}, D(G(z)) = "
            f"{f[-1]:.2f}) does look like D winning, but over the last records D(G(z)) swings between "
            f"{f.min():.2f} and {f.max():.2f}.",
        ("an oscillating run", "healthy"):
            f"you called an oscillating run 'healthy': on average D says about 0.5, but D(G(z)) swings between "
            f"{f.min():.2f} and {f.max():.2f} from record to record.",
        ("a run that recovered from a collapse", "collapsed"):
            f"you called a run that recovered 'collapsed': its spread was tiny ({s[:7].mean():.2f}) in the "
            f"first 7 records but has been near {s[last5].mean():.2f} for the last 5. Judge the latest records, "
            "not the whole history.",
        ("an oscillation that is calm in its latest records", "healthy"):
            f"you called {case['what']} 'healthy': the last 5 records are calm, but over all {RECORDS} records "
            f"D(G(z)) swung between {f.min():.2f} and {f.max():.2f}. The swing is judged over every record (and on "
            f"D(G(z)): D(x) stayed near {r.mean():.2f} here).",
        ("an oscillation where D's two outputs rise and fall together", "healthy"):
            f"you called {case['what']} 'healthy': D(G(z)) swings between {f.min():.2f} and {f.max():.2f}. D(x) "
            f"moves with it, so their gap stays near {float((r - f).mean()):.2f}: judge D(G(z)) itself, not the gap.",
        ("a run that collapsed in its latest records", "healthy"):
            f"you called {case['what']} 'healthy': the spread was near {s[:7].mean():.2f} at first, but its mean "
            f"over the last 5 records is {s[last5].mean():.2f}. Judge the mean of the last 5 records: not the whole "
            f"history (mean {s.mean():.2f}), not the last record alone ({s[-1]:.2f}).",
        ("a run that D has only just won", "collapsed"):
            f"you called {case['what']} 'collapsed': over the last 5 records D(x) ≈ {r[last5].mean():.3f} (above "
            f"0.8) and D(G(z)) ≈ {f[last5].mean():.2f} (below 0.2), so D wins and the narrow spread is its "
            "symptom. Average exactly the last 5 records (d_real[-5:]): the last 4 give "
            f"{r[-4:].mean():.3f}.",
        ("a run that recovered from a collapse", "oscillating"):
            "you called a run that recovered 'oscillating': its spread jumped once, from "
            f"{s[:7].mean():.2f} to {s[last5].mean():.2f}, and stayed there — one step up is progress, not a "
            "swing. Measure the swings of D(G(z)).",
    }.get(key)
    if specific:
        return specific
    return f"you called {case['what']} '{said}', but it is '{case['label']}': {_signals(case)}."


@checker("diagnose_run")
def check_diagnose_run(diagnose_run):
    cases = _cases()
    for case in cases:
        args = (case["d_real"].copy(), case["d_fake"].copy(), case["spread"].copy())
        said = call(diagnose_run, *args, what="diagnose_run(d_real, d_fake, spread)")
        expect(isinstance(said, str),
               f"diagnose_run returned {type(said).__name__} ({said!r:.40}) for {case['what']}; it should "
               f"return one of the labels {', '.join(map(repr, LABELS))}.",
               "Return the label as a string, e.g. `return \"collapsed\"`.")
        expect(said in LABELS,
               f"diagnose_run returned {said!r} for {case['what']}; the labels are exactly "
               f"{', '.join(map(repr, LABELS))}.",
               "Return one of these strings, spelled the same way (lower case, underscore in 'd_winning').")
        if said != case["label"]:
            raise Fail(_problem(case, said), HINTS[case["label"]])
    return (f"all {len(cases)} runs diagnosed right: a healthy run, three where D wins (one only just), four "
            "collapses (one that fools D, one that D sees through without winning, one in the latest records "
            "only), three oscillations judged over all their records (one calm at the end, one where D's two "
            "outputs move together), and a run that recovered from a collapse.")
