"""How live the dashboard's live view is, and what it costs the training.

    python benchmarks/live_view_benchmark.py              # 5 runs of each kind (~1 min idle)
    python benchmarks/live_view_benchmark.py --runs 3 --preset "modern recipe"

The dashboard trains in its background thread, as in a notebook (``Dashboard().train_button.click()``),
and a watcher on its figure widget (``dash.image``) notes the time of every new picture. Printed:

- time to first figure: seconds from the press of Train to the first new picture, for the first run
  in a fresh Python process (a new kernel) and the median of the later runs;
- updates a second: new pictures per second while training (from the first picture to the last
  one before the run ends), median of the runs;
- training slowdown: the training time of the run with the live view (``result.seconds``, fit's
  own clock, which runs while the view draws) over that of the same ``fit`` call with no callback,
  run alternately, as the median of the paired ratios; and the same for the process's CPU time
  from the press of Train to the end of the run (the final figure included) against ``fit`` alone,
  a ratio that a busy machine disturbs less than wall time;
- the load average of the machine at the start and the end (the figures are only comparable at a
  similar load: on a shared machine, compare the ratios).
"""
import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


class Watcher:
    """The times (wall and process CPU) at which the dashboard's figure changed, from the press of Train."""

    def __init__(self, dash):
        self.times, self.lock = [], threading.Lock()
        dash.image.observe(self._changed, names="value")

    def _changed(self, _):
        with self.lock:
            self.times.append((time.perf_counter(), time.process_time()))

    def start(self):
        with self.lock:
            self.times.clear()
            self.pressed = (time.perf_counter(), time.process_time())

    def seen(self):
        with self.lock:
            return [(t - self.pressed[0], c - self.pressed[1]) for t, c in self.times]


def live_run(dash, watcher):
    """One run with the live view, pressed once the dashboard is ready (as a student who looks at it
    first): a dict of what was seen."""
    dash.wait()
    watcher.start()
    dash.train_button.click()
    while dash.running:
        time.sleep(0.01)
    cpu = time.process_time() - watcher.pressed[1]
    seen = watcher.seen()
    result = dash.result
    assert result.status == "finished", dash.status.value
    live = [t for t, _ in seen[:-1]]        # the last picture is the finished result, drawn after training
    rate = (len(live) - 1) / (live[-1] - live[0]) if len(live) > 1 and live[-1] > live[0] else float("nan")
    return dict(first=seen[0][0], first_cpu=seen[0][1], rate=rate, frames=len(seen), train=result.seconds,
                cpu=cpu)


def plain_run(dash):
    """The same training as the dashboard's last run, as one ``fit`` call with no callback."""
    import gan_lesson as gl
    dash.wait()
    target = dash.targets[dash.target.value]()
    cpu = time.process_time()
    result = gl.fit(target, progress=False, **dash.settings())
    return dict(train=result.seconds, cpu=time.process_time() - cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs with the live view (and as many without)")
    parser.add_argument("--preset", default="modern recipe", help="the dashboard preset to train")
    args = parser.parse_args()

    start_load = load()
    imported = time.perf_counter()
    from gan_lesson.views.widgets import Dashboard
    made = time.perf_counter()
    dash = Dashboard(preset=args.preset)            # background=True: a thread, as in a notebook
    shown = time.perf_counter()
    dash.wait()
    print(f"import {made - imported:.2f} s, dashboard {shown - made:.2f} s, its live view ready "
          f"{time.perf_counter() - shown:.2f} s later (load {start_load:.2f})")
    watcher = Watcher(dash)

    runs, ratios, cpu_ratios = [], [], []
    for i in range(args.runs):
        live = live_run(dash, watcher)
        plain = plain_run(dash)
        runs.append(live)
        ratios.append(live["train"] / plain["train"])
        cpu_ratios.append(live["cpu"] / plain["cpu"])
        print(f"run {i + 1}: first figure {live['first']:.3f} s ({live['first_cpu']:.3f} s CPU), {live['frames']} "
              f"figures, {live['rate']:.1f} updates/s; training {live['train']:.2f} s with the view, "
              f"{plain['train']:.2f} s without (x{ratios[-1]:.3f}); CPU press to end {live['cpu']:.2f} s, "
              f"fit alone {plain['cpu']:.2f} s (x{cpu_ratios[-1]:.3f}); load {load():.2f}", flush=True)
    later = [r["first"] for r in runs[1:]]
    print()
    print(f"time to first figure: first run in a new process {runs[0]['first']:.3f} s "
          f"({runs[0]['first_cpu']:.3f} s CPU); later runs median "
          f"{statistics.median(later) if later else float('nan'):.3f} s (max {max(later) if later else float('nan'):.3f} s)")
    rates = [r["rate"] for r in runs]
    print(f"updates a second while training: median {statistics.median(rates):.1f} (min {min(rates):.1f})")
    print(f"training slowdown with the live view (fit's own clock): median x{statistics.median(ratios):.3f} "
          f"(runs: {', '.join(f'{r:.3f}' for r in ratios)})")
    print(f"CPU time, press of Train to the end (final figure included) over fit alone: median "
          f"x{statistics.median(cpu_ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in cpu_ratios)})")
    print(f"load average: {start_load:.2f} at the start, {load():.2f} at the end; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
