"""Accidents a student or an instructor really makes: each test reproduces one first.

Ctrl-C at an unlucky moment (a real SIGINT, in a fresh process), numpy numbers from a sweep,
True where a number belongs, a target with no spread, memory a classroom kernel does not have,
a dashboard run in the background, damaged or misplaced files.
"""
import math
import threading

import numpy as np
import pytest
import torch

import gan_lesson as gl
from gan_lesson import samplers
from gan_lesson.training.many import MEMORY_LIMIT, estimate_bytes, fit_many, stability_map
from gan_lesson.training import History

from sigint_harness import run_interrupted

# --------------------------------------------------------------------------- Ctrl-C, for real

CONSISTENT = """
r = result
columns = {k: len(v) for k, v in r.history.as_dict().items()}
out["status"] = r.status
out["message"] = r.message
out["equal_columns"] = len(set(columns.values())) == 1
out["records"] = len(r.history)
out["snapshots"] = len(r.snapshots)
out["epochs_done"] = r.epochs_done
out["last_epoch"] = r.history.epoch[-1] if len(r.history) else None
out["finite"] = bool(torch.isfinite(r.sample(500, seed=0)).all())
"""

WORKS_AFTER = """
import torch, gan_lesson as gl
again = gl.fit(gl.samplers.Gaussian(4, 1.25), epochs=30, progress=False)
out["again"] = again.status
layer = torch.nn.Linear(2, 1)
for opt in (torch.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9), torch.optim.Adam(layer.parameters())):
    layer(torch.ones(4, 2)).sum().backward()
    opt.step()
out["optimizers"] = "ok"
"""


def assert_consistent(out, at_once=False):
    assert out["error"] is None, out["error"]
    assert out["follow_up_error"] is None, out["follow_up_error"]
    if at_once and out["escaped"]:       # it came before the call began: the cell simply stopped
        assert out["again"] == "finished" and out["optimizers"] == "ok"
        return
    assert not out["escaped"], "a single Ctrl-C escaped the trainer instead of stopping it"
    assert out["again"] == "finished" and out["optimizers"] == "ok"
    assert out["status"] in ("interrupted", "finished"), out
    assert out["equal_columns"], out
    assert out["records"] == out["snapshots"], out
    assert out["finite"], out
    if out["status"] == "interrupted":
        assert "interrupted" in out["message"]
        assert out["last_epoch"] == out["epochs_done"], out     # a record of the weights returned


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.0, 0.01, 0.05, 0.15, 0.4, 1.0])
def test_ctrl_c_in_a_fresh_processes_first_fit(after):
    """The accident: Ctrl-C while the first fit of a kernel builds its optimizers (PyTorch imports
    hundreds of modules then) left every later optimizer broken ('sympy has no attribute core')."""
    setup = "import torch\nimport gan_lesson as gl"
    action = ("result = gl.fit(gl.samplers.Gaussian(4, 1.25), recipe='classic', epochs=60, progress=False)\n"
              + CONSISTENT)
    assert_consistent(run_interrupted(setup, action, after, WORKS_AFTER), at_once=after == 0)


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.0, 0.05, 0.3, 0.8])
def test_ctrl_c_while_the_package_is_imported(after):
    """A Ctrl-C during `import gan_lesson` may stop the import, but never breaks PyTorch."""
    out = run_interrupted("import torch", "import gan_lesson", after, WORKS_AFTER)
    assert out["error"] is None, out["error"]
    assert out["follow_up_error"] is None, out["follow_up_error"]
    assert out["optimizers"] == "ok" and out["again"] == "finished"


@pytest.mark.slow
def test_ctrl_c_at_many_moments_of_one_process():
    """Twenty Ctrl-Cs at spread-out moments of twenty runs in one process: each run stops with
    equal history columns, and the process keeps working."""
    # the alarm's handler sends the SIGINT: it lands at whatever instruction the run is at. On a
    # busy machine the alarm can ring before fit has taken over Ctrl-C (its first line); that
    # Ctrl-C would stop the cell before the run starts, as it should, so the alarm waits for fit.
    action = """
def ring(*_):
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(getattr(handler, "__self__", None), gl.interrupts.InterruptGuard):
        os.kill(os.getpid(), signal.SIGINT)
    else:
        signal.setitimer(signal.ITIMER_REAL, 0.001)
signal.signal(signal.SIGALRM, ring)
results = []
for i in range(20):
    signal.setitimer(signal.ITIMER_REAL, 0.002 + 0.011 * i)
    r = gl.fit(gl.samplers.Gaussian(4, 1.25), epochs=3000, log_every=7, progress=False, seed=i)
    signal.setitimer(signal.ITIMER_REAL, 0)
    lengths = {len(v) for v in r.history.as_dict().values()}
    results.append((r.status, len(lengths) == 1, len(r.history) == len(r.snapshots),
                    r.history.epoch[-1] == r.epochs_done))
out["results"] = results
"""
    out = run_interrupted("import torch\nimport gan_lesson as gl\ngl.fit(gl.samplers.Gaussian(), epochs=2, progress=False)",
                          action, None, WORKS_AFTER)
    assert out["error"] is None and not out["escaped"], out
    assert out["follow_up_error"] is None, out["follow_up_error"]
    statuses = [s for s, *_ in out["results"]]
    assert statuses == ["interrupted"] * 20, statuses
    assert all(all(checks) for _, *checks in out["results"]), out["results"]


@pytest.mark.slow
def test_ctrl_c_during_the_discriminators_head_start():
    """The accident: Ctrl-C during d_pretrain crashed with IndexError (history still empty)."""
    action = ("result = gl.fit(gl.samplers.Gaussian(4, 1.25), d_pretrain=100000, epochs=10, progress=False)\n"
              + CONSISTENT)
    out = run_interrupted("import torch\nimport gan_lesson as gl", action, 0.8, WORKS_AFTER)
    assert_consistent(out)
    assert out["status"] == "interrupted" and out["epochs_done"] == 0
    assert "pre-trained" in out["message"]


@pytest.mark.slow
def test_ctrl_c_in_fit_many_returns_what_it_trained():
    action = """
result = fit_many(gl.samplers.Gaussian(4, 1.25), seeds=8, epochs=100000, log_every=10, progress=False)
out["status"] = result.status
out["message"] = result.message
out["records"] = len(result.history["epoch"])
out["rows"] = result.history["distance"].shape[0]
out["finite"] = bool(np.isfinite(result.distance).all())
"""
    out = run_interrupted("import numpy as np, torch\nimport gan_lesson as gl\nfrom gan_lesson.training.many import fit_many",
                          action, 1.5, WORKS_AFTER)
    assert out["error"] is None and not out["escaped"], out
    assert out["follow_up_error"] is None, out["follow_up_error"]
    assert out["status"] == "interrupted" and "interrupted after epoch" in out["message"]
    assert out["records"] == out["rows"] > 0 and out["finite"]


@pytest.mark.slow
def test_ctrl_c_in_a_dashboard_run_in_the_calling_thread():
    action = """
from gan_lesson.views.widgets import Dashboard
dash = Dashboard(background=False)
dash.epochs.value = 5000
dash.train(blocking=True)
result = dash.result
""" + CONSISTENT
    out = run_interrupted("import torch\nimport gan_lesson as gl", action, 2.5, WORKS_AFTER)
    assert_consistent(out)
    assert out["status"] == "interrupted"


def test_a_keyboard_interrupt_from_inside_the_pretraining_is_an_interrupted_result():
    calls = []

    def target(n):
        calls.append(n)
        if len(calls) == 8:            # a few pre-training steps in
            raise KeyboardInterrupt
        return torch.randn(n, 1)

    result = gl.fit(target, d_pretrain=50, epochs=10, progress=False)
    assert result.status == "interrupted" and result.epochs_done == 0
    assert len(result.history) == len(result.snapshots) == 1
    assert torch.isfinite(result.sample(10)).all()


def test_nan_during_the_pretraining_is_a_diverged_result():
    calls = []

    def target(n):
        calls.append(n)
        x = torch.randn(n, 1)
        return x if len(calls) < 8 else x * float("nan")

    result = gl.fit(target, d_pretrain=50, epochs=10, progress=False)
    assert result.status == "diverged"
    assert "pre-trained" in result.message and "NaN" in result.message
    assert len(result.history) == len(result.snapshots) == 1


def test_a_record_cut_short_leaves_equal_columns():
    """The accident: a Ctrl-C between two columns of a record left epochs [0, 20, 40, 39]."""
    h = History()
    with pytest.raises(ValueError, match="missing"):
        h.append(epoch=0, loss_d=1.0)              # a partial record is refused whole
    assert len(h) == 0 and h.loss_d == []
    h.epoch.extend([0, 20, 40])
    h.loss_d.extend([1.0, 1.0])
    assert len(h.trim().epoch) == 0                # cut to the shortest column
    ragged = {"epoch": [0, 20, 40], "loss_d": [1.0, 0.9]}
    assert History.from_dict(ragged).epoch == [0, 20]


# --------------------------------------------------------------------------- settings

def test_settings_from_a_numpy_sweep_train_save_and_load(tmp_path):
    """The accident: np.float64 / np.int64 settings saved fine and could never be loaded."""
    lr = np.logspace(-4, -2, 3)[1]
    result = gl.fit(samplers.Gaussian(4, 1.25), lr_d=lr, lr_g=np.float32(2e-3), epochs=np.int64(40),
                    batch_size=np.int64(256), seed=np.int64(3), progress=False)
    assert type(result.recipe.lr_d) is float and type(result.recipe.epochs) is int
    back = gl.load(result.save(tmp_path / "sweep.pt"))
    assert back.recipe.lr_d == pytest.approx(1e-3) and back.recipe.epochs == 40
    assert torch.equal(back.sample(50, seed=1), result.sample(50, seed=1))


@pytest.mark.parametrize("call, message", [
    (lambda: gl.fit(samplers.Gaussian(), epochs=True), "epochs must be a whole number; got True"),
    (lambda: gl.fit(samplers.Gaussian(), batch_size=False), "batch_size must be a whole number; got False"),
    (lambda: gl.fit(samplers.Gaussian(), lr_d=True), "lr_d must be a number; got True"),
    (lambda: samplers.Gaussian()(True), "n must be a whole number; got True"),
    (lambda: gl.fit(samplers.Gaussian(), epochs=10.5), r"epochs must be a whole number; got 10.5.*use 10 or 11"),
    (lambda: gl.fit(samplers.Gaussian(), seed=2**32), "seed must be a whole number from 0 to 2147483647; got 4294967296"),
    (lambda: gl.fit(samplers.Gaussian(), seed=2**70), "seed must be a whole number from 0 to 2147483647"),
    (lambda: fit_many(samplers.Gaussian(), seeds=[0, 2**40]), r"seeds\[1\] must be a whole number from 0"),
    (lambda: fit_many(samplers.Gaussian(), seeds=[1, 1]), "seeds must all differ"),
    (lambda: fit_many(samplers.Gaussian(), seeds="abc"), "seeds must be a count"),
])
def test_yes_no_values_fractions_and_huge_seeds_are_refused_by_name(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_sample_of_true_is_refused():
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    with pytest.raises(TypeError, match="n must be a whole number; got True"):
        result.sample(True)


def test_whole_floats_are_accepted_as_counts():
    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=20.0, batch_size=512.0, progress=False)
    assert result.status == "finished" and result.recipe.epochs == 20 and result.recipe.batch_size == 512


def test_fit_many_takes_a_count_of_seeds_like_stability_map():
    many = fit_many(samplers.Gaussian(4, 1.25), seeds=3, epochs=20, progress=False)
    assert list(many.seeds) == [0, 1, 2] and many.status == "finished"


# --------------------------------------------------------------------------- targets

def test_a_target_with_no_spread_is_a_clear_error_everywhere():
    constant = lambda n: torch.full((n, 1), 3.0)  # noqa: E731
    for call in (lambda: gl.fit(constant, epochs=10, progress=False),
                 lambda: fit_many(constant, seeds=2, epochs=10, progress=False),
                 lambda: gl.fit(torch.full((100, 1), 3.0), epochs=10, progress=False)):
        with pytest.raises(ValueError, match=r"same value \(3.0\).*constant has no distribution"):
            call()


def test_nan_data_stops_fit_many_with_a_reason():
    """The accident: NaN data gave 'median distance nan, 0 % fit' and no error."""
    data = torch.randn(10000, 1)
    data[::97] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinit"):
        fit_many(data, seeds=2, epochs=10, progress=False)
    calls = []

    def later_nan(n):
        calls.append(n)
        x = torch.randn(n, 1)
        return x * float("nan") if len(calls) > 5 else x

    many = fit_many(later_nan, seeds=2, epochs=50, progress=False)
    assert many.status == "diverged" and "NaN" in many.message


def test_fit_many_marks_gans_whose_weights_blew_up():
    many = fit_many(samplers.Gaussian(4, 1.25), seeds=4, lr_d=[2e-3, 2e-3, 2e-3, 10.0],
                    lr_g=[2e-3, 2e-3, 2e-3, 10.0], epochs=60, progress=False)
    if many.diverged.any():            # the last one's weights may overflow at lr 10
        assert "diverged" in repr(many)
        assert not math.isnan(float(repr(many).split("median distance ")[1].split(",")[0]))
    assert not many.diverged[:3].any()


def test_a_target_that_carries_a_graph_or_changes_columns():
    net = torch.nn.Linear(1, 1)
    with_graph = lambda n: net(torch.randn(n, 1))  # noqa: E731   (requires grad)
    assert gl.fit(with_graph, epochs=20, progress=False).status == "finished"
    calls = []

    def growing(n):
        calls.append(n)
        return torch.randn(n, 1 if len(calls) < 3 else 2)

    with pytest.raises(ValueError, match="same number of columns at every call; it returned 1 at first and 2 now"):
        gl.fit(growing, epochs=20, progress=False)


# --------------------------------------------------------------------------- memory

def test_fit_many_refuses_a_run_a_classroom_kernel_cannot_hold():
    """The accident: fit_many(seeds=range(10000)) grew past 2.4 GB in seconds."""
    with pytest.raises(ValueError, match=r"10000 GANs at once .* about \d+\.\d GB.*at most about \d+"):
        fit_many(samplers.Gaussian(), seeds=range(10000), epochs=10, progress=False)
    assert estimate_bytes(64, gl.RECIPES["modern"]) < MEMORY_LIMIT          # notebook 06's runs fit
    grid = gl.RECIPES["modern"].replace(batch_size=64)
    assert estimate_bytes(100, grid, 2) < MEMORY_LIMIT


def test_stability_map_is_checked_before_training():
    with pytest.raises(ValueError, match="GANs at once"):
        stability_map(samplers.Gaussian(), lr_d=np.logspace(-4, -2, 20), lr_g=np.logspace(-4, -2, 20), seeds=8)


def test_sample_refuses_a_billion_rows():
    result = gl.fit(samplers.Gaussian(), epochs=10, progress=False)
    with pytest.raises(ValueError, match=r"n=1,000,000,000 samples would need about .* GB"):
        result.sample(10**9)


# --------------------------------------------------------------------------- the dashboard

@pytest.mark.slow
def test_a_background_run_leaves_the_notebooks_random_numbers_and_threads_alone():
    """The accident: the run re-seeded and restored PyTorch's global generator from its thread,
    so the notebook's next random numbers repeated ones drawn before."""
    from gan_lesson.views.widgets import Dashboard
    torch.manual_seed(123)
    undisturbed = torch.rand(40)
    threads = torch.get_num_threads()

    dash = Dashboard(background=True)
    dash.epochs.value = 400
    torch.manual_seed(123)
    drawn = [torch.rand(1)]
    dash.train()
    seen_threads = []
    while dash.running and len(drawn) < 30:       # the notebook goes on drawing during the run
        drawn.append(torch.rand(1))
        seen_threads.append(torch.get_num_threads())
        threading.Event().wait(0.01)
    dash.wait(timeout=120)
    drawn += [torch.rand(1) for _ in range(40 - len(drawn))]
    assert torch.equal(torch.cat(drawn), undisturbed)
    assert torch.get_num_threads() == threads and set(seen_threads) <= {threads}
    assert dash.result.status == "finished"

    # and it trained exactly what the same call trains in the notebook
    here = gl.fit(dash._target, progress=False, **dash.settings())
    assert here.history.distance == dash.result.history.distance


@pytest.mark.slow
def test_a_classic_background_run_is_the_same_run_as_in_the_notebook():
    """The classic generator's dropout draws from a private generator in a background thread."""
    box = {}
    settings = dict(recipe="classic", epochs=30, seed=4, progress=False)
    thread = threading.Thread(target=lambda: box.update(r=gl.fit(samplers.Gaussian(4, 1.25), **settings)))
    thread.start()
    thread.join(120)
    here = gl.fit(samplers.Gaussian(4, 1.25), **settings)
    assert box["r"].history.distance == here.history.distance


def test_the_dashboard_takes_a_data_set_as_fit_does():
    from gan_lesson.views.widgets import Dashboard
    data = torch.randn(3000, 1) * 2 + 5
    dash = Dashboard(data, background=False)
    assert dash.target.value.startswith("custom: your data (3000 samples")
    dash.epochs.value = 20
    dash.train(blocking=True)
    assert dash.result.status == "finished"


# --------------------------------------------------------------------------- files

def test_saving_never_overwrites_a_file_that_is_not_a_result(tmp_path):
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    notebook = tmp_path / "my_work.ipynb"
    notebook.write_text('{"cells": []}')
    with pytest.raises(FileExistsError, match="my_work.ipynb.*not a saved gan-lesson result"):
        result.save(notebook)
    assert notebook.read_text() == '{"cells": []}'
    with pytest.raises(IsADirectoryError, match="is a folder"):
        result.save(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        result.save(tmp_path / "missing" / "run.pt")
    path = result.save(tmp_path / "run.pt")
    result.save(path)                                  # a result may replace a result
    assert gl.load(path).epochs_done == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_work.ipynb", "run.pt"]   # no leftovers


def test_damaged_files_name_the_file_and_the_damage(tmp_path):
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    path = result.save(tmp_path / "run.pt")
    data = torch.load(path, weights_only=True)
    del data["generator"]
    torch.save(data, tmp_path / "no_weights.pt")
    with pytest.raises(ValueError, match=r"no_weights.pt' is a damaged gan-lesson result .*'generator' is missing"):
        gl.load(tmp_path / "no_weights.pt")
    data = torch.load(path, weights_only=True)
    data["generator"] = {k: v[:1] for k, v in data["generator"].items()}
    torch.save(data, tmp_path / "wrong_shapes.pt")
    with pytest.raises(ValueError, match="wrong_shapes.pt' is a damaged gan-lesson result"):
        gl.load(tmp_path / "wrong_shapes.pt")
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="cut.pt' is a damaged file"):
        gl.load(tmp_path / "cut.pt")


# --------------------------------------------------------------------------- a second round of accidents

@pytest.mark.parametrize("data, words", [
    (np.random.default_rng(0).normal(size=(2, 300)), r"2 rows of 300 numbers.*300-D GAN on 2 samples.*data\.T"),
    (np.random.default_rng(0).normal(size=(1, 1000)), r"1 row of 1000 numbers.*data\.reshape\(-1, 1\)"),
])
def test_a_data_set_the_wrong_way_round_is_refused(data, words):
    """The accident: data of shape (2, 300) trained a 300-D GAN on 2 rows, without a word."""
    with pytest.raises(ValueError, match=words):
        gl.fit(data, epochs=10, progress=False)


def test_targets_and_callbacks_that_take_the_wrong_arguments():
    with pytest.raises(TypeError, match=r"target is called as target\(n\)"):
        gl.fit(lambda: torch.randn(10, 1), epochs=10, progress=False)
    with pytest.raises(TypeError, match=r"callback is called as callback\(state\)"):
        gl.fit(samplers.Gaussian(), callback=lambda: None, epochs=10, progress=False)


@pytest.mark.parametrize("answer", [False, 0, np.False_, torch.tensor(False)])
def test_any_no_from_a_callback_stops_the_run(answer):
    """The accident: np.False_ or tensor(False) from a callback let the run go on."""
    result = gl.fit(samplers.Gaussian(), epochs=200, callback=lambda state: answer if state.epoch >= 40 else None,
                    progress=False)
    assert result.status == "stopped" and result.epochs_done == 40


def test_a_callback_cannot_change_the_runs_own_record():
    """The accident: a callback that sorted state.history.distance reordered the returned history."""
    def meddle(state):
        state.history.distance.sort()
        state.history.epoch.clear()
        state.samples.zero_()

    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=100, callback=meddle, progress=False)
    assert result.history.epoch == list(range(0, 101, 20))
    assert result.history.distance[0] > result.history.distance[-1]
    assert result.snapshots[-1][1].std() > 0


def test_float32_limits_are_explained():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"around 1e\+08 .* in steps of 8, .*Subtract the offset"):
        gl.fit(lambda n: 1e8 + rng.normal(size=(n, 1)), epochs=10, progress=False)
    with pytest.raises(ValueError, match="7 significant digits"):           # already rounded by the target
        gl.fit(lambda n: (1e8 + rng.normal(size=(n, 1))).astype(np.float32), epochs=10, progress=False)
    with pytest.raises(ValueError, match=r"beyond what float32 .* holds"):
        gl.fit(lambda n: 1e39 * rng.normal(size=(n, 1)), epochs=10, progress=False)


def test_file_names_of_the_wrong_kind(tmp_path):
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    for bad in (None, 123, ""):
        with pytest.raises(TypeError, match="path must be a file name"):
            result.save(bad)
        with pytest.raises(TypeError, match="path must be a file name"):
            gl.load(bad)
    notebook = tmp_path / "05.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}}')
    with pytest.raises(ValueError, match="it is a text file, not a file written by FitResult.save"):
        gl.load(notebook)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="it is empty"):
        gl.load(tmp_path / "empty.pt")


def test_distance_takes_seeds_as_sample_does():
    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=20, progress=False)
    assert result.distance(n=500, seed=3) == result.distance(n=500, seed=3)
    assert math.isfinite(result.distance(n=500, seed=None))
    with pytest.raises(TypeError, match="seed must be a whole number; got 1.5"):
        result.distance(seed=1.5)


def test_fit_many_and_stability_map_name_a_bad_learning_rate():
    with pytest.raises(TypeError, match="lr_d must be a number; got 'abc'"):
        fit_many(samplers.Gaussian(), seeds=4, lr_d="abc")
    with pytest.raises(TypeError, match=r"lr_g must be a list of learning rates.*stability_map\(target, lr_d, lr_g"):
        stability_map([1e-3], [1e-3], samplers.Gaussian())
    grid = stability_map(samplers.Gaussian(), lr_d=2e-3, lr_g=[2e-3], seeds=2, epochs=10, progress=False)
    assert grid.fraction.shape == (1, 1)


def test_the_coach_reads_a_result_and_names_a_wrong_argument():
    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=100, progress=False)
    assert gl.coach.diagnose(result) == gl.coach.diagnose(result.history, reference=result.reference,
                                                          samples=result.snapshots[-1][1], status=result.status)
    with pytest.raises(TypeError, match="history must be a History .* History.from_dict"):
        gl.coach.diagnose(result.history.as_dict())


# --------------------------------------------------------------------------- a third round (a held-out tester's finds)

def test_the_sampler_class_instead_of_a_sampler():
    with pytest.raises(TypeError, match=r"got the class Gaussian itself. Note the brackets"):
        gl.fit(samplers.Gaussian, epochs=10, progress=False)


def test_float64_data_whose_spread_float32_would_round_away():
    data = np.random.default_rng(0).normal(3e7, 1, 5000)
    with pytest.raises(ValueError, match=r"around 3e\+07 .* in steps of 2, .*Subtract the offset"):
        gl.fit(data, epochs=10, progress=False)
    assert gl.fit(data - 3e7, epochs=10, progress=False).status == "finished"


def test_a_callback_cannot_shift_the_runs_reference():
    def shift(state):
        state.reference -= 4

    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=100, log_every=20, callback=shift, progress=False)
    assert abs(result.reference.mean().item() - 4) < 0.2
    assert result.history.distance[-1] < 2


def test_a_callback_that_raises_keeps_what_was_trained(capsys):
    """The accident: a callback's error at epoch 20 lost the whole run."""
    def broken(state):
        if state.epoch == 20:
            raise ValueError("my plotting code broke")

    result = gl.fit(samplers.Gaussian(4, 1.25), epochs=40, log_every=10, callback=broken, progress=False)
    assert result.status == "failed" and result.epochs_done == 20
    assert "callback raised ValueError: my plotting code broke" in result.message
    assert "my plotting code broke" in capsys.readouterr().err           # the student's traceback
    assert len(result.history) == len(result.snapshots) == 3
    assert torch.isfinite(result.sample(10)).all()


def test_fit_inside_no_grad_and_with_another_default_dtype():
    with torch.no_grad():
        assert gl.fit(samplers.Gaussian(), epochs=20, progress=False).status == "finished"
    torch.set_default_dtype(torch.float64)
    try:
        with pytest.raises(RuntimeError, match=r"default dtype is now torch.float64 .*set_default_dtype\(torch.float32\)"):
            gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    finally:
        torch.set_default_dtype(torch.float32)


def test_files_cut_short_or_changed_after_saving_are_called_damaged(tmp_path):
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    path = result.save(tmp_path / "run.pt")
    raw = bytearray(path.read_bytes())
    (tmp_path / "half.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="half.pt' is a damaged file"):
        gl.load(tmp_path / "half.pt")
    import zipfile
    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.compress_size)
    name_length = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length + 16     # inside that member's bytes
    raw[start:start + 16] = bytes(b ^ 0xFF for b in raw[start:start + 16])
    (tmp_path / "flipped.pt").write_bytes(raw)
    with pytest.raises(ValueError, match="flipped.pt' is damaged: .* fails its checksum"):
        gl.load(tmp_path / "flipped.pt")


def test_history_columns_by_name_and_the_discriminators_input():
    result = gl.fit(samplers.Gaussian(), epochs=20, progress=False)
    assert result.history["distance"] is result.history.distance
    with pytest.raises(KeyError, match="a History has the columns epoch"):
        result.history["distances"]
    with pytest.raises(ValueError, match=r"judges samples of shape \(n, 1\).*got \(10,\) \(use x.reshape\(-1, 1\)\)"):
        result.discriminator(torch.randn(10))


def test_an_interrupted_fit_many_says_how_far_it_got():
    calls = []

    def target(n):
        calls.append(n)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return torch.randn(n, 1)

    counted = []
    fit_many(lambda n: counted.append(n) or torch.randn(n, 1), seeds=4, epochs=1, progress=False)
    setup = len(counted) - 1            # draws before epoch 1; then one real batch an epoch
    many = fit_many(target, seeds=4, epochs=30, log_every=5, progress=False)
    done = 10 - 1 - setup               # the 10th draw is interrupted: the epochs before it are complete
    assert 0 < done < 30
    assert many.status == "interrupted" and many.epochs_done == done
    assert f"{done}/30 epochs" in repr(many) and f"after epoch {done} of 30" in many.message


def test_the_coach_names_the_results_it_cannot_read():
    many = fit_many(samplers.Gaussian(), seeds=2, epochs=20, progress=False)
    with pytest.raises(TypeError, match="got the result of fit_many"):
        gl.coach.diagnose(many)
    result = gl.fit(samplers.Gaussian(), epochs=100, progress=False)
    with pytest.raises(TypeError, match="reference must be real samples.*got Gaussian"):
        gl.coach.diagnose(result.history, reference=samplers.Gaussian())


def test_a_misspelt_setting_is_named_with_the_one_meant():
    with pytest.raises(TypeError, match=r"no setting 'lr'. Did you mean lr_d and lr_g"):
        gl.fit(samplers.Gaussian(), lr=1e-3)
    with pytest.raises(TypeError, match=r"no setting 'epoch'. Did you mean epochs\?"):
        gl.fit(samplers.Gaussian(), epoch=10)


@pytest.mark.slow
def test_every_module_in_the_readme_is_reachable_from_the_package():
    """The accident: gl.many.fit_many raised AttributeError though README lists the module."""
    import subprocess
    import sys
    code = ("import gan_lesson as gl; gl.many.fit_many; gl.widgets.Dashboard; gl.surfaces; gl.sequences; "
            "gl.data.load_digits; gl.images; gl.conditional; gl.checks; gl.student_copy")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_coach_checks_the_loss_and_the_samples_shape():
    result = gl.fit(samplers.Gaussian(), epochs=60, progress=False)
    with pytest.raises(ValueError, match="loss must be one of 'non_saturating'.*got 'wgan'"):
        gl.coach.diagnose(result.history, loss="wgan")
    with pytest.raises(ValueError, match=r"samples has shape \(1, 1000\).*pass samples.T"):
        gl.coach.diagnose(result.history, reference=result.reference, samples=torch.randn(1, 1000))


def test_the_last_held_out_finds():
    """A misspelt keyword to the batched trainers, a Sampler subclass that defines sample() instead of
    _draw(), and a critic class handed to the gradient penalty."""
    with pytest.raises(TypeError, match=r"stability_map\(\) has no setting 'seed'. Did you mean seeds\?"):
        stability_map(samplers.Gaussian(), [1e-3], [1e-3], seed=2, epochs=20)
    with pytest.raises(TypeError, match=r"fit_many\(\) has no setting 'seed'. Did you mean seeds\?"):
        fit_many(samplers.Gaussian(), seed=3)

    class Mine(samplers.Sampler):
        def sample(self, n):
            return torch.randn(n, 1)

    with pytest.raises(NotImplementedError, match=r"Mine must define _draw\(self, n, generator\).*defines sample\(\) instead"):
        gl.fit(Mine(), epochs=20, progress=False)
    with pytest.raises(TypeError, match=r"got the class MLPDiscriminator itself. Note the brackets"):
        gl.losses.gradient_penalty(gl.models.MLPDiscriminator, torch.randn(8, 1), torch.randn(8, 1))
