"""Accidents in the image lessons: Ctrl-C (the notebook's stop button) at any moment, and a loss
that becomes NaN.

Notebook 10 trains the student's networks with ``images.train``, notebook 11 with
``conditional.train_conditional``; both use the score's judge, ``images.digit_classifier``: about a
second of training, after scikit-learn's first import, that no Ctrl-C may cut in half or throw away.

The slow tests start fresh interpreters (tests/sigint_harness.py) and send each a real SIGINT at a
chosen moment of the call, all processes at once to keep the file short. Afterwards the process
must still work: the result is consistent, a second run trains, and a student's own
``torch.optim.SGD`` and ``torch.optim.Adam`` build and step.
"""
import math
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from gan_lesson import conditional as C
from gan_lesson import data, images
from gan_lesson.training import History
from sigint_harness import run_interrupted

# --------------------------------------------------------------------------- snippets for the processes

FOLLOW_UP_OPTIMIZERS = """
layer = torch.nn.Linear(3, 1)
for opt in (torch.optim.SGD(layer.parameters(), lr=0.1), torch.optim.Adam(layer.parameters(), lr=0.1)):
    opt.zero_grad()
    layer(torch.ones(2, 3)).sum().backward()
    opt.step()
out["optimizers_work"] = bool(torch.isfinite(layer.weight).all())
out["handler_restored"] = signal.getsignal(signal.SIGINT) is signal.default_int_handler
"""

FRESH_SETUP = """
import torch
from gan_lesson import conditional as C, data
"""

CONDITIONAL_SETUP = FRESH_SETUP + """
x, y = data.load_digits()
x, y = x[:320], y[:320]
"""

# warmed: the session already trained once, so the SIGINT lands in the middle of the epochs
CONDITIONAL_WARMED = CONDITIONAL_SETUP + """
C.train_conditional(x[:64], y[:64], epochs=1, seed=0, progress=False)
"""

CONDITIONAL_FOLLOW_UP = """
out["status"], out["message"], out["epochs"] = r.status, r.message, r.epochs
out["lengths"] = {k: len(v) for k, v in r.history.as_dict().items()}
out["snapshots"] = len(r.snapshots)
out["finite"] = bool(torch.isfinite(C.generate(r.G, list(range(10)) * 3)).all())
xs, ys = data.load_digits()              # scikit-learn still imports and loads
again = C.train_conditional(xs[:64], ys[:64], epochs=1, seed=1, progress=False)
out["again"] = again.status
""" + FOLLOW_UP_OPTIMIZERS

# ("at once" is 10 ms after the process says it is ready)
CONDITIONAL_CASES = {
    # the very first call of a fresh process: the judge is trained inside the call, and with the
    # default data scikit-learn is imported there too (the SIGINT lands in that import)
    "first call, default data, at once": (FRESH_SETUP, "r = C.train_conditional(epochs=2, progress=False)", 0.01),
    "first call at 0.05 s": (CONDITIONAL_SETUP, "r = C.train_conditional(x, y, epochs=20, progress=False)", 0.05),
    "first call at 0.3 s": (CONDITIONAL_SETUP, "r = C.train_conditional(x, y, epochs=20, progress=False)", 0.3),
    "first call at 1.0 s": (CONDITIONAL_SETUP, "r = C.train_conditional(x, y, epochs=20, progress=False)", 1.0),
    "mid-training at 0.5 s": (CONDITIONAL_WARMED, "r = C.train_conditional(x, y, epochs=20, progress=False)", 0.5),
}

CLASSIFIER_SETUP = """
import torch
from gan_lesson import images
"""

CLASSIFIER_FOLLOW_UP = """
out["cached_when_stopped"] = (200, 0) in images._CACHE
judge = images.digit_classifier()
out["accuracy"] = judge.accuracy
out["checksum"] = sum(float(p.double().sum()) for p in judge.parameters())
held, _ = images.held_out_digits()
out["score"] = images.digit_score(held).inception
""" + FOLLOW_UP_OPTIMIZERS

CLASSIFIER_CASES = {f"first call at {t} s": (CLASSIFIER_SETUP, "images.digit_classifier()", t)
                    for t in (0.01, 0.3, 1.0)}

TRAIN_SETUP = """
import torch
from gan_lesson import images
G = images.ImageGenerator(noise_dim=8, width=8, seed=0)
D = images.ImageDiscriminator(width=8, seed=1)
"""

TRAIN_FOLLOW_UP = """
out["status"], out["message"], out["epochs"] = r.status, r.message, r.epochs
out["lengths"] = sorted({len(v) for v in r.history.values()})
out["snapshots"] = len(r.snapshots)
out["finite"] = bool(torch.isfinite(r.sample(20)).all())
out["same_g"] = r.G is G
G2, D2 = images.ImageGenerator(noise_dim=8, width=8, seed=0), images.ImageDiscriminator(width=8, seed=1)
out["again"] = images.train(G2, D2, epochs=1, batch_size=64, progress=False).status
""" + FOLLOW_UP_OPTIMIZERS

# the first call loads the digits (scikit-learn's first import) and trains the judge inside the call
TRAIN_CASES = {f"first call at {t} s": (TRAIN_SETUP, "r = images.train(G, D, epochs=20, batch_size=64, "
                                                     "progress=False)", t) for t in (0.05, 1.0, 3.0)}


def _run(case):
    setup, action, after = case
    follow_up = (CONDITIONAL_FOLLOW_UP if "train_conditional" in action else
                 TRAIN_FOLLOW_UP if "images.train" in action else CLASSIFIER_FOLLOW_UP)
    try:
        return run_interrupted(setup, action + '\nout["returned"] = True', after, follow_up)
    except Exception as exc:       # (a process that printed no result) reported by its own test
        return exc


@pytest.fixture(scope="module")
def interrupted_runs():
    """Every case, each in its own fresh process, run side by side (a few seconds each)."""
    cases = {**{("conditional", k): v for k, v in CONDITIONAL_CASES.items()},
             **{("classifier", k): v for k, v in CLASSIFIER_CASES.items()},
             **{("train", k): v for k, v in TRAIN_CASES.items()}}
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = {key: pool.submit(_run, case) for key, case in cases.items()}
        return {key: future.result() for key, future in futures.items()}


def _outcome(runs, key):
    out = runs[key]
    if isinstance(out, Exception):
        raise out
    return out


def _escaped_from_the_call(out):
    """A KeyboardInterrupt that left the call itself (one after the call returned does not count:
    the signal then landed in the harness, after the action)."""
    return out["escaped"] and not out.get("returned")


# --------------------------------------------------------------------------- Ctrl-C: the conditional trainer

@pytest.mark.slow
@pytest.mark.parametrize("name", list(CONDITIONAL_CASES))
def test_ctrl_c_during_train_conditional_returns_a_consistent_result(interrupted_runs, name):
    out = _outcome(interrupted_runs, ("conditional", name))
    assert out["error"] is None, out["error"]
    assert not _escaped_from_the_call(out), "the KeyboardInterrupt escaped train_conditional"
    assert out["follow_up_error"] is None, out["follow_up_error"]
    assert out["status"] in ("interrupted", "finished"), out["message"]
    lengths = {k: n for k, n in out["lengths"].items() if k != "agreement" or n}   # agreement: measured or empty
    assert len(set(lengths.values())) == 1, lengths
    assert set(lengths.values()) == {out["epochs"]} and out["snapshots"] == out["epochs"] + 1
    if out["status"] == "interrupted":          # one Ctrl-C: a clean stop between two epochs, never mid-epoch
        assert out["message"].startswith(("Training interrupted after epoch", "Training interrupted before its first"))
        assert f"of {2 if 'default' in name else 20}" in out["message"]
    assert out["finite"], "the returned generator draws NaN or infinite pixels"
    assert out["again"] == "finished" and out["optimizers_work"] and out["handler_restored"]


# --------------------------------------------------------------------------- Ctrl-C: notebook 10's judge

@pytest.mark.slow
@pytest.mark.parametrize("name", list(CLASSIFIER_CASES))
def test_ctrl_c_during_the_first_digit_classifier_leaves_it_whole(interrupted_runs, name):
    out = _outcome(interrupted_runs, ("classifier", name))
    assert out["error"] is None, out["error"]
    assert out["follow_up_error"] is None, out["follow_up_error"]
    # a KeyboardInterrupt may reach the cell (a student's loop must stop), but only once the judge
    # is trained and kept: the judge afterwards is the one an undisturbed run trains
    if not name.endswith("0.01 s"):          # (at once, the signal may come before the call is under way)
        assert out["cached_when_stopped"], "the Ctrl-C threw the judge's training away"
    judge = images.digit_classifier()
    expected = sum(float(p.double().sum()) for p in judge.parameters())
    assert out["accuracy"] == judge.accuracy and out["checksum"] == expected   # the same judge, the same scores
    held, _ = images.held_out_digits()
    assert out["score"] == pytest.approx(images.digit_score(held).inception)
    assert out["optimizers_work"] and out["handler_restored"]


# --------------------------------------------------------------------------- Ctrl-C: notebook 10's loop

@pytest.mark.slow
@pytest.mark.parametrize("name", list(TRAIN_CASES))
def test_ctrl_c_during_images_train_returns_your_networks_trained(interrupted_runs, name):
    out = _outcome(interrupted_runs, ("train", name))
    assert out["error"] is None, out["error"]
    assert not _escaped_from_the_call(out), "the KeyboardInterrupt escaped images.train"
    assert out["follow_up_error"] is None, out["follow_up_error"]
    assert out["status"] in ("interrupted", "finished"), out["message"]
    assert out["lengths"] == [out["epochs"]] and out["snapshots"] == out["epochs"] + 1
    if out["status"] == "interrupted":
        assert out["message"].startswith("Training interrupted"), out["message"]
    assert out["finite"] and out["same_g"] and out["again"] == "finished"
    assert out["optimizers_work"] and out["handler_restored"]


# --------------------------------------------------------------------------- in-process: quick and exact

@pytest.fixture
def small():
    x, y = data.load_digits()
    return x[:64], y[:64]


def _consistent(result):
    assert {len(column) for column in result.history.as_dict().values()} == {result.epochs}
    assert len(result.snapshots) == result.epochs + 1
    assert torch.isfinite(C.generate(result.G, list(range(10)))).all()


def test_a_keyboard_interrupt_inside_a_record_leaves_equal_columns(monkeypatch, small):
    real_append = History.append

    def append_then_break(history, **row):
        if row["epoch"] == 2:                # half a record: two columns, then the interrupt
            history["epoch"].append(row["epoch"])
            history["loss_d"].append(row["loss_d"])
            raise KeyboardInterrupt
        real_append(history, **row)

    monkeypatch.setattr(History, "append", append_then_break)
    result = C.train_conditional(*small, epochs=4, seed=0, progress=False, measure=False)
    assert result.status == "interrupted" and result.epochs == 1
    assert "interrupted during epoch 2 of 4" in result.message
    _consistent(result)
    assert all(math.isnan(v) for v in result.history["agreement"])      # not measured


def test_a_keyboard_interrupt_from_the_measure_returns_what_was_trained(monkeypatch, small):
    calls = {"n": 0}
    real_agreement = C.class_agreement

    def measure_then_break(G, per_class=100, seed=0):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_agreement(G, per_class=per_class, seed=seed)

    monkeypatch.setattr(C, "class_agreement", measure_then_break)
    result = C.train_conditional(*small, epochs=5, seed=0, progress=False)
    assert result.status == "interrupted" and result.epochs == 2
    assert len(result.history["agreement"]) == 2
    _consistent(result)


def test_a_real_sigint_finishes_the_epoch_then_stops(monkeypatch, small, capsys):
    real_generate = C.generate
    calls = {"n": 0}

    def generate_and_ctrl_c(G, labels, seed=0, noise=None):
        calls["n"] += 1
        if calls["n"] == 2:                  # the snapshot after epoch 1, before its record
            signal.raise_signal(signal.SIGINT)
        return real_generate(G, labels, seed=seed, noise=noise)

    monkeypatch.setattr(C, "generate", generate_and_ctrl_c)
    result = C.train_conditional(*small, epochs=5, seed=0, measure=False)
    assert result.status == "interrupted" and result.epochs == 1
    assert result.message == ("Training interrupted after epoch 1 of 5; the result holds the weights and the "
                              "record of those 1 epochs.")
    assert result.message in capsys.readouterr().out
    _consistent(result)
    monkeypatch.setattr(C, "generate", real_generate)
    clean = C.train_conditional(*small, epochs=1, seed=0, progress=False, measure=False)
    assert all(torch.equal(p, q) for p, q in zip(result.G.state_dict().values(), clean.G.state_dict().values()))
    assert result.history["loss_d"] == clean.history["loss_d"]      # the same epoch, recorded whole
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.fixture
def ctrl_c_in_the_judge(monkeypatch):
    """The judge's training starts with a Ctrl-C (a real SIGINT), and no judge is cached yet."""
    real_train = images._train_classifier

    def train_with_ctrl_c(steps, seed):
        signal.raise_signal(signal.SIGINT)
        return real_train(steps, seed)

    monkeypatch.setattr(images, "_CACHE", {})
    monkeypatch.setattr(images, "_train_classifier", train_with_ctrl_c)
    return real_train


def test_ctrl_c_while_the_judge_trains_inside_the_trainer(ctrl_c_in_the_judge, small):
    """The nested case: the judge holds the Ctrl-C until it is trained, then hands it to the trainer,
    which stops before its first epoch instead of raising."""
    result = C.train_conditional(*small, epochs=3, seed=0, progress=False)
    assert result.status == "interrupted" and result.epochs == 0
    assert "before its first epoch" in result.message
    _consistent(result)
    assert (200, 0) in images._CACHE


def test_ctrl_c_during_the_judge_reaches_the_caller_once_it_is_trained(ctrl_c_in_the_judge, monkeypatch):
    real_train = ctrl_c_in_the_judge
    with pytest.raises(KeyboardInterrupt):
        images.digit_classifier(steps=20, seed=3)
    kept = images._CACHE[(20, 3)]
    monkeypatch.setattr(images, "_CACHE", {})
    monkeypatch.setattr(images, "_train_classifier", real_train)
    fresh = images.digit_classifier(steps=20, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(kept.parameters(), fresh.parameters()))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# --------------------------------------------------------------------------- a loss that becomes NaN

@pytest.mark.parametrize("rates, loss, advice", [
    (dict(lr_d=1e38), "generator", "try 1e+37 for lr_d"),
    (dict(lr_g=1e38), "discriminator", "try 1e+37 for lr_g"),
])
def test_a_nan_loss_stops_with_a_diagnosis(small, rates, loss, advice, capsys):
    result = C.train_conditional(*small, epochs=3, seed=0, **rates)
    assert result.status == "diverged" and result.epochs == 0
    assert result.message.startswith(f"Training stopped at epoch 1: the {loss} loss became nan")
    assert "learning rates are too high" in result.message and advice in result.message
    assert result.message in capsys.readouterr().out
    assert len(result.history) == 0 and len(result.snapshots) == 1
    assert "diverged" in repr(result)


def test_a_nan_loss_from_far_off_pixels_names_them(monkeypatch, small):
    x, y = small
    monkeypatch.setattr(C.F, "binary_cross_entropy_with_logits", lambda x, *a, **k: x.sum() * math.nan)
    result = C.train_conditional(x * 5, y, epochs=2, seed=0, progress=False, measure=False)
    assert result.status == "diverged"
    assert "the discriminator loss became nan" in result.message and "outside [−1, 1]" in result.message


# --------------------------------------------------------------------------- images.train: Ctrl-C and NaN

def _pair():
    return images.ImageGenerator(noise_dim=6, width=8, seed=0), images.ImageDiscriminator(width=8, seed=1)


def _library_step_with(at, action):
    """The library step, with ``action()`` done at call ``at`` (1-based): before the step for a Ctrl-C,
    instead of the returned losses for a NaN."""
    calls = {"n": 0}
    step = images._library_step(True)

    def train_step(G, D, g_opt, d_opt, real, z):
        calls["n"] += 1
        if calls["n"] == at and action == "ctrl-c":
            signal.raise_signal(signal.SIGINT)
        if calls["n"] == at and action == "raise":
            raise KeyboardInterrupt
        losses = step(G, D, g_opt, d_opt, real, z)
        return (math.nan, losses[1]) if calls["n"] == at and action == "nan" else losses
    return train_step


def _same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_ctrl_c_in_images_train_finishes_the_step_then_stops(small, capsys):
    G, D = _pair()
    result = images.train(G, D, train_step=_library_step_with(6, "ctrl-c"), data=small[0], epochs=4,
                          batch_size=16, seed=0)
    assert result.status == "interrupted" and result.epochs == 1 and result.G is G
    assert result.message == ("Training interrupted during epoch 2 of 4, after 2 of its 4 steps; the result holds the "
                              "weights trained so far and the record of the 1 epoch before.")
    assert result.message in capsys.readouterr().out
    assert {len(v) for v in result.history.values()} == {1} and len(result.snapshots) == 2
    assert torch.isfinite(result.sample(10)).all()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    G1, D1 = _pair()
    one = images.train(G1, D1, data=small[0], epochs=1, batch_size=16, seed=0, progress=False)
    assert one.history["loss_d"] == result.history["loss_d"]          # the same first epoch, recorded whole
    assert not _same_weights(one.G, result.G)                         # and two steps more of training


def test_a_keyboard_interrupt_from_the_step_itself_stops_the_run(small):
    G, D = _pair()
    result = images.train(G, D, train_step=_library_step_with(3, "raise"), data=small[0], epochs=2,
                          batch_size=16, seed=0, progress=False)
    assert result.status == "interrupted" and result.epochs == 0 and len(result.snapshots) == 1
    assert result.message == ("Training interrupted during epoch 1 of 2, after 2 of its 4 steps; the result holds the "
                              "weights trained so far and no record yet.")


def test_a_nan_loss_in_images_train_stops_with_the_last_epochs_weights(small, capsys):
    G, D = _pair()
    result = images.train(G, D, train_step=_library_step_with(6, "nan"), data=small[0], epochs=4, batch_size=16,
                          seed=0)
    assert result.status == "diverged" and result.epochs == 1
    assert result.message.startswith("Training stopped in epoch 2: the discriminator loss became nan")
    assert "learning rates are too high (lr_d=0.002, lr_g=0.002)" in result.message
    assert result.message.endswith("The result holds the weights from the end of epoch 1.")
    assert result.message in capsys.readouterr().out and "diverged" in repr(result)
    G1, D1 = _pair()
    one = images.train(G1, D1, data=small[0], epochs=1, batch_size=16, seed=0, progress=False)
    assert _same_weights(one.G, result.G) and _same_weights(one.D, result.D)


def test_a_nan_loss_from_far_off_pictures_names_them(small):
    G, D = _pair()
    result = images.train(G, D, train_step=_library_step_with(1, "nan"), data=small[0] * 5, epochs=2,
                          batch_size=16, seed=0, progress=False)
    assert result.status == "diverged" and result.epochs == 0
    assert "far outside [−1, 1]" in result.message and result.message.endswith("the weights from before training.")
