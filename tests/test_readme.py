"""README's promises: its commands exist and work, and its notebook map lists every notebook."""
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_after(marker):
    """The first line of the code block that follows ``<!-- marker -->`` in README."""
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n", README)
    assert m, f"README has no code block after <!-- {marker} -->"
    return m.group(1).strip()


def test_the_commands_ci_and_teachers_rely_on_are_there():
    assert command_after("test-command") == "pip install -r requirements.txt && python -m pytest"
    assert command_after("lessons-command") == ("pip install -r requirements.txt && "
                                              "jupyter lab --config=classroom-lab/jupyter_lab_config.py notebooks/")
    assert "test-command" in (ROOT / ".ci" / "run").read_text()      # CI runs README's own command


def test_the_notebook_map_lists_every_notebook_with_its_measured_time():
    table = README.split("<!-- notebook-table -->", 1)[1].strip().split("\n\n", 1)[0]
    linked = set(re.findall(r"\(notebooks/([^)]+\.ipynb)\)", table))
    assert linked == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.fullmatch(r"\d+ s|[\d.]+ min", cells[4]), f"no measured run time in: {row[:60]}"
        assert re.fullmatch(r"\d+ MB( \(largest\))?", cells[5]), f"no measured peak memory in: {row[:60]}"


def _class_time():
    spec = importlib.util.spec_from_file_location("class_time", ROOT / "benchmarks" / "class_time.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_class_times_are_what_benchmarks_class_time_counts():
    """README's two class-time columns, and each notebook's own "Time:" line, within 5 minutes of
    what the notebook holds (its words at 130 a minute, its figures, breaks, controls, exercises)."""
    ct = _class_time()
    table = README.split("<!-- notebook-table -->", 1)[1].strip().split("\n\n", 1)[0]
    rows = [r for r in table.splitlines()[2:] if "(notebooks/" in r]
    assert len(rows) == len(list((ROOT / "notebooks").glob("*.ipynb")))
    for row in rows:
        name = re.search(r"\(notebooks/([^)]+\.ipynb)\)", row).group(1)
        cells = [c.strip() for c in row.strip("|").split("|")]
        count = ct.count(ROOT / "notebooks" / name)
        live = re.fullmatch(r"(\d+) min", cells[2])
        homework = re.fullmatch(r"(\d+) min \+ (\d+) min", cells[3])
        assert live and homework, f"{name}: class times must read 'N min' and 'N min + M min', got {cells[2:4]}"
        assert abs(int(live.group(1)) - count.live_minutes) <= 5, (name, cells[2], count.live_minutes)
        assert abs(int(homework.group(1)) - count.talk_minutes) <= 5, (name, cells[3], count.talk_minutes)
        assert abs(int(homework.group(2)) - count.exercise_minutes) <= 5, (name, cells[3], count.exercise_minutes)
        intro = "".join(json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"][0]["source"])
        said = re.search(r"\*\*Time:\*\* about (\d+) minutes", intro)
        assert said, f"{name}: the first cell says no '**Time:** about N minutes'"
        assert abs(int(said.group(1)) - count.live_minutes) <= 5, (name, said.group(0), count.live_minutes)


@pytest.mark.slow
def test_the_student_copy_command_strips_every_solution_of_the_real_notebooks(tmp_path):
    args = shlex.split(command_after("student-copy-command"))
    assert args[:3] == ["python", "-m", "gan_lesson.student_copy"]
    out = subprocess.run([sys.executable, "-m", "gan_lesson.student_copy", str(ROOT / "notebooks"), str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    for original in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(original.read_text(encoding="utf-8"))
        solutions = ["".join(c["source"]) for c in nb["cells"] if "solution" in c["metadata"].get("tags", [])]
        copy = json.loads((tmp_path / original.name).read_text(encoding="utf-8"))
        copied = ["".join(c["source"]) for c in copy["cells"]]
        assert len(copy["cells"]) == len(nb["cells"])
        assert not any(s in copied for s in solutions if s.strip()), f"{original.name} still holds a solution"
        if solutions:
            assert f"{original.name}: {len(solutions)} solution(s) removed" in out
