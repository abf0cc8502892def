"""The nbgrader course: made from the notebooks' tags, its student version is the students' copy,
and nbgrader grades it (full marks for the reference, partial for a wrong answer, the checker's
diagnosis in the feedback).

The tests that run nbgrader itself skip where it is not installed (`pip install -e .[classroom]`).
What "the same student version" means here, cell by cell: the same number of cells, the same cell
types, the same source in every cell, except the graded checks, whose nbgrader source is the copy's
source inside the two lines of ``GRADED_HEAD`` (indented by four spaces), and the same outputs
(multi-line strings joined and consecutive streams merged, as ``student_copy`` compares them).
Metadata (nbgrader's, the copy's marker) and execution counts are not compared.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gan_lesson as gl
from gan_lesson.nbgrader_course import (GRADED_HEAD, CheckFailed, CourseError, clear_regions, course_notebook,
                                        graded_check, main, make_course)
from gan_lesson.student_copy import Unfinished, _outputs, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ROUND_TRIP = "02_samplers"            # two exercises, runs in about 7 s


def source(cell):
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def graded(copy_source):
    """The nbgrader source of a graded check whose students' copy source is ``copy_source``."""
    return GRADED_HEAD + "\n".join("    " + line if line.strip() else "" for line in copy_source.split("\n"))


def assert_same_student_version(copy, released, name):
    """The comparison described at the top of this file."""
    a, b = copy["cells"], released["cells"]
    assert len(a) == len(b), f"{name}: {len(a)} cells in the students' copy, {len(b)} in nbgrader's version"
    for i, (x, y) in enumerate(zip(a, b)):
        where = f"{name} cell {i + 1}"
        assert x["cell_type"] == y["cell_type"], where
        expected = source(x)
        if "solution-check" in x.get("metadata", {}).get("tags", []):
            expected = graded(expected)
        assert source(y) == expected, where
        if x["cell_type"] == "code":
            assert _outputs(x.get("outputs", [])) == _outputs(y.get("outputs", [])), where


# ---------------------------------------------------------------------------------------------
# The graded cell: a checker's ✗ fails it, with the diagnosis.

def right_moments(x):
    x = x.flatten()
    z = (x - x.mean()) / x.std(unbiased=False)
    return torch.stack([x.mean(), x.std(unbiased=False), (z ** 3).mean(), (z ** 4).mean() - 3])


def test_graded_check_passes_on_a_tick_and_fails_with_the_checkers_diagnosis(capsys):
    with graded_check():
        gl.checks.check_four_moments(right_moments)
    assert capsys.readouterr().out.startswith("✓ four_moments:")

    def no_excess(x):                       # kurtosis without the −3
        return right_moments(x) + torch.tensor([0.0, 0.0, 0.0, 3.0])
    with pytest.raises(CheckFailed) as info:
        with graded_check():
            gl.checks.check_four_moments(no_excess)
    printed = capsys.readouterr().out
    assert printed.startswith("✗ four_moments:")                       # the checker's message, printed as usual
    assert str(info.value) == "this graded check did not pass: " + printed.strip()
    assert isinstance(info.value, AssertionError)                       # nbgrader: an error, 0 points
    assert info.value._render_traceback_() == [f"CheckFailed: {info.value}"]

    def stub(x):
        raise NotImplementedError
    with pytest.raises(CheckFailed, match=r"did not pass: … four_moments is not attempted yet"):
        with graded_check():
            gl.checks.check_four_moments(stub)
    with pytest.raises(CheckFailed, match=r"printed no verdict .*; it printed: done"):
        with graded_check():
            print("done")


def test_graded_check_lets_errors_through_and_moves_warnings_off_stderr(capsys):
    with pytest.raises(NameError):
        with graded_check():
            check_missing(1)  # noqa: F821
    with pytest.raises(Unfinished):                                     # a stub left as it was
        with graded_check():
            raise Unfinished("four_moments", notebook="02")
    with graded_check():                    # in a kernel, a warning goes to stderr: nbgrader would give 0
        print("UserWarning: from the student's code", file=sys.stderr)
        gl.checks.check_four_moments(right_moments)
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("UserWarning: from the student's code\n✓ four_moments")


# ---------------------------------------------------------------------------------------------
# One notebook: the exercise cell holds the solution; cleared, it is the students' copy.

def cell(kind, text, tags=(), **extra):
    out = {"cell_type": kind, "metadata": {"tags": list(tags)} if tags else {}, "source": text,
           "id": extra.pop("id", f"c{abs(hash(text)) % 10 ** 8}")}
    if kind == "code":
        out.update(outputs=extra.pop("outputs", []), execution_count=None)
    return out


def tiny_notebook(solution=None, stub=None, check="_ = check_double(double)"):
    stub = stub or ('def double(x):\n    """Twice x."""\n    # your code here\n    raise NotImplementedError\n\n\n'
                    'answer = ...   # "yes" or "no"')
    solution = solution or ('import math\n\n\ndef double(x):\n    """Twice x."""\n    total = x + x\n'
                            '    return total\n\n\nanswer = "yes"')
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python"}}, "cells": [
        cell("markdown", "# 01 — A tiny lesson", id="title"),
        cell("code", "print('hello')", outputs=[{"output_type": "stream", "name": "stdout", "text": "hello\n"}]),
        cell("code", stub, ["exercise"], id="ex"),
        cell("code", "check_double(double)", id="try"),
        cell("markdown", "**Solution.** The next cell is collapsed.", id="note"),
        cell("code", solution, ["solution"], id="sol"),
        cell("code", check, ["solution-check"], id="chk"),
    ]}


def test_the_instructors_cell_runs_the_solution_and_the_students_cell_stops():
    nb, made, problems = course_notebook(tiny_notebook(), "01_tiny.ipynb")
    assert problems == []
    assert made.exercises == ["exercise-double-answer"] and made.graded == ["check-double-answer"]
    instructor = source(nb["cells"][2])
    assert instructor.count("### BEGIN SOLUTION") == 2 and "    total = x + x" in instructor
    space = {}
    exec(instructor, space)                           # the solution's body, the solution's answer, its import
    assert space["double"](21) == 42 and space["answer"] == "yes" and "math" in space

    copy, _ = strip_solutions(tiny_notebook(), "01_tiny.ipynb")
    student = clear_regions(instructor)
    assert student == source(copy["cells"][2])
    space = {}
    with pytest.raises(Unfinished, match=r"Exercise 'answer' \(notebook 01\)"):
        exec(student, space)
    with pytest.raises(Unfinished, match=r"Exercise 'double' \(notebook 01\)"):
        space["double"](1)

    meta = [c["metadata"].get("nbgrader") for c in nb["cells"]]
    assert meta[0]["locked"] and meta[4]["locked"] and meta[5]["locked"]          # markdown, and the note
    assert nb["cells"][5]["cell_type"] == "markdown" and "not included" in source(nb["cells"][5])
    assert meta[1] is None and meta[3] is None                                    # other code: the student's
    assert meta[2] == {"grade": False, "grade_id": "exercise-double-answer", "locked": False,
                       "schema_version": 3, "solution": True}
    assert meta[6] == {"grade": True, "grade_id": "check-double-answer", "locked": True, "points": 1,
                       "schema_version": 3, "solution": False}
    assert source(nb["cells"][6]) == graded("_ = check_double(double)")
    assert nb["cells"][1]["outputs"] == tiny_notebook()["cells"][1]["outputs"]      # outputs kept


def test_a_solution_without_a_return_at_the_end_still_skips_the_stub():
    solution = 'def double(x):\n    """Twice x."""\n    x.append(x[0])\n\n\nanswer = "no"'
    nb, _, problems = course_notebook(tiny_notebook(solution=solution), "01_tiny.ipynb")
    assert problems == []
    space = {}
    exec(source(nb["cells"][2]), space)
    items = [3]
    assert space["double"](items) is None and items == [3, 3]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_clears_to_its_students_copy(path):
    """Without nbgrader: the regions cleared as nbgrader clears them (one blank line each) give the
    students' copy; the test with nbgrader below checks the same against nbgrader itself."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    course, made, problems = course_notebook(nb, path.name)
    assert problems == []
    copy, _ = strip_solutions(nb, path.name)
    cleared = dict(course, cells=[dict(c, source=clear_regions(source(c))) for c in course["cells"]])
    assert_same_student_version(copy, cleared, path.name)
    tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
    assert len(made.graded) == sum("solution-check" in t for t in tags)
    assert len(made.exercises) == sum("solution" in t for t in tags)
    for c, original in zip(course["cells"], nb["cells"]):
        if original["cell_type"] == "markdown":
            assert c["metadata"]["nbgrader"]["locked"]


def test_an_exercise_without_a_solution_check_is_named_as_not_graded():
    nb = tiny_notebook()
    del nb["cells"][6]
    _, made, problems = course_notebook(nb, "01_tiny.ipynb")
    assert problems == [] and made.graded == [] and made.ungraded == ["double-answer"]
    assert made.line().startswith("01_tiny: 1 exercise(s), 0 graded check(s) (0 points), "
                                  "not graded (no solution-check cell): double-answer")


@pytest.mark.parametrize("stub, solution, check, message", [
    (None, 'def double(y):\n    return y + y\n\n\nanswer = "yes"', None,
     "double has another signature in 01_x.ipynb cell 6 than in 01_x.ipynb cell 3: def double(y) against "
     "def double(x); give both the same"),
    (None, 'def triple(x):\n    return 3 * x\n\n\nanswer = "yes"', None,
     "01_x.ipynb cell 6 does not define double, the function 01_x.ipynb cell 3 asks for"),
    (None, 'def double(x):\n    return x + x', None,
     "01_x.ipynb cell 6 does not set answer, the answer 01_x.ipynb cell 3 asks for"),
    ("def double(x):\n    raise NotImplementedError", 'double = lambda x: 2 * x\n\n\ndef double(x):\n    return 2 * x',
     None, "01_x.ipynb cell 6 sets double outside the exercise's functions"),
    (None, None, "%time check_double(double)",
     "01_x.ipynb cell 7 (tag 'solution-check') is not plain Python"),
])
def test_tags_that_cannot_become_an_assignment_are_named_and_nothing_is_written(tmp_path, capsys, stub, solution,
                                                                               check, message):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = tiny_notebook(solution=solution, stub=stub, check=check or "_ = check_double(double)")
    (notebooks / "01_x.ipynb").write_text(json.dumps(nb))
    assert main([str(notebooks), str(tmp_path / "course")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the notebooks' tags cannot all be turned into assignments: ") and message in err
    assert "Nothing was written" in err and not (tmp_path / "course").exists()


def test_an_exercise_without_a_solution_and_a_solution_without_an_exercise_are_named():
    nb = tiny_notebook()
    nb["cells"].insert(6, dict(nb["cells"][2], id="ex2"))           # a second exercise, never solved
    _, _, problems = course_notebook(nb, "01_x.ipynb")
    assert problems == ["01_x.ipynb cell 7 (tag 'exercise') has no solution cell after it"]
    nb = tiny_notebook()
    del nb["cells"][2]                                               # the solution fills nothing
    _, _, problems = course_notebook(nb, "01_x.ipynb")
    assert problems[0].startswith("01_x.ipynb cell 5 (tag 'solution') follows no exercise cell with a stub")


# ---------------------------------------------------------------------------------------------
# The course folder: written, refreshed, and never over anyone's work.

def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def two_notebooks(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("01_x.ipynb", "02_y.ipynb"):
        (notebooks / name).write_text(json.dumps(tiny_notebook()))
    return notebooks


def test_the_course_is_written_then_refreshed_without_touching_nbgraders_files(tmp_path, capsys):
    notebooks, course = two_notebooks(tmp_path), tmp_path / "course"
    before = snapshot(notebooks)
    assert main([str(notebooks), str(course)]) == 0
    out = capsys.readouterr().out
    assert "01_x: 1 exercise(s), 1 graded check(s) (1 point); written to" in out
    assert f'cd {course} && nbgrader generate_assignment "*" --force' in out
    assert snapshot(notebooks) == before                              # the notebooks are only read
    config = (course / "nbgrader_config.py").read_text()
    assert config.startswith("# gan_lesson.nbgrader_course sha256=")
    for line in ('c.ClearSolutions.code_stub = {"python": ""}', "c.ClearOutput.enabled = False",
                 "c.Execute.timeout = 300", "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))"):
        assert line in config
    written = json.loads((course / "source" / "01_x" / "01_x.ipynb").read_text())
    assert written["metadata"]["gan_lesson"]["nbgrader_course"]["source"] == "01_x.ipynb"

    (course / "release" / "01_x").mkdir(parents=True)                 # nbgrader's own files, and a submission
    (course / "release" / "01_x" / "01_x.ipynb").write_text("{}")
    (course / "gradebook.db").write_bytes(b"db")
    (course / "source" / "01_x" / "data.csv").write_text("1,2\n")     # a file the instructor added
    theirs = {k: v for k, v in snapshot(course).items() if not k.startswith("source/0") or k.endswith(".csv")}
    assert main([str(notebooks), str(course)]) == 0
    assert capsys.readouterr().out.count("; unchanged") == 2

    nb = tiny_notebook()
    nb["cells"][0]["source"] = "# 01 — A tiny lesson, typo fixed"
    (notebooks / "01_x.ipynb").write_text(json.dumps(nb))
    assert main([str(notebooks), str(course)]) == 0
    assert "01_x: 1 exercise(s), 1 graded check(s) (1 point); refreshed" in capsys.readouterr().out
    assert "typo fixed" in (course / "source" / "01_x" / "01_x.ipynb").read_text()
    assert {k: v for k, v in snapshot(course).items() if k in theirs} == theirs


def test_an_edited_course_notebook_is_never_overwritten_and_an_edited_config_is_kept(tmp_path, capsys):
    notebooks, course = two_notebooks(tmp_path), tmp_path / "course"
    assert main([str(notebooks), str(course)]) == 0
    path = course / "source" / "02_y" / "02_y.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][6]["metadata"]["nbgrader"]["points"] = 5               # the instructor weighs a check
    path.write_text(json.dumps(nb))
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + 'c.CourseDirectory.course_id = "gans"\n')
    capsys.readouterr()
    before = snapshot(course)
    assert main([str(notebooks), str(course)]) == 2
    err = capsys.readouterr().err
    assert snapshot(course) == before
    assert f"{path} (edited since this command wrote it)" in err and "Nothing was written" in err

    path.rename(tmp_path / "02_y.mine.ipynb")                          # moved out of the way: written again
    assert main([str(notebooks), str(course)]) == 0
    out = capsys.readouterr().out
    assert "02_y: 1 exercise(s), 1 graded check(s) (1 point); written" in out
    assert f"{config}: kept as you edited it" in out and 'course_id = "gans"' in config.read_text()


def test_a_folder_this_command_did_not_write_is_refused(tmp_path, capsys):
    notebooks = two_notebooks(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "essay.ipynb").write_text("{}")
    assert main([str(notebooks), str(mine)]) == 2
    err = capsys.readouterr().err
    assert f"COURSE_FOLDER {str(mine)!r} is not empty and it has no nbgrader_config.py written by this command" in err
    assert snapshot(mine) == {"essay.ipynb": b"{}"}
    (mine / "nbgrader_config.py").write_text("c = get_config()\n")       # somebody's own course
    assert main([str(notebooks), str(mine)]) == 2
    assert "its nbgrader_config.py was not written by this command" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(notebooks), str(empty)]) == 0


def test_a_course_notebook_it_did_not_write_is_refused(tmp_path, capsys):
    notebooks, course = two_notebooks(tmp_path), tmp_path / "course"
    assert main([str(notebooks), str(course)]) == 0
    other = course / "source" / "01_x" / "01_x.ipynb"
    other.write_text(json.dumps(tiny_notebook()))                       # the instructor's own version
    assert main([str(notebooks), str(course)]) == 2
    assert f"{other} (not written by this command)" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "file", "empty", "same", "inside", "course-is-file", "students-copy",
                                  "course-source"])
def test_bad_arguments_name_the_argument_the_value_and_what_is_accepted(tmp_path, capsys, case):
    notebooks = two_notebooks(tmp_path)
    course = tmp_path / "course"
    args, expected = {
        "missing": ([tmp_path / "nope", course], f"NOTEBOOKS {str(tmp_path / 'nope')!r} does not exist; it must "
                                                 "be the folder of notebooks with solutions"),
        "file": ([notebooks / "01_x.ipynb", course], f"NOTEBOOKS {str(notebooks / '01_x.ipynb')!r} is a file"),
        "empty": ([tmp_path / "nothing", course], f"NOTEBOOKS {str(tmp_path / 'nothing')!r} holds no notebooks"),
        "same": ([notebooks, notebooks], f"COURSE_FOLDER {str(notebooks)!r} is the NOTEBOOKS folder"),
        "inside": ([notebooks, notebooks / "course"], f"COURSE_FOLDER {str(notebooks / 'course')!r} is inside the "
                                                      "NOTEBOOKS folder"),
        "course-is-file": ([notebooks, notebooks / "01_x.ipynb"], "is an existing file; it must be a folder"),
        "students-copy": (None, "looks like a students' copy"),
        "course-source": (None, "looks like a course's source folder this command wrote"),
    }[case]
    (tmp_path / "nothing").mkdir()
    if case == "students-copy":
        from gan_lesson.student_copy import make_student_copy
        make_student_copy(notebooks, tmp_path / "student")
        args = [tmp_path / "student", course]
    if case == "course-source":
        make_course(notebooks, tmp_path / "first")
        args = [tmp_path / "first" / "source" / "01_x", course]
    before = snapshot(notebooks)
    assert main([str(a) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    assert snapshot(notebooks) == before and not course.exists()
    with pytest.raises(CourseError):
        make_course(*args)


# ---------------------------------------------------------------------------------------------
# nbgrader itself.

def run_nbgrader(course, *args, timeout=600):
    """Run an nbgrader command in ``course`` as the instructor would; fail with its output."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])   # nbgrader runs alembic
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)  # the kernels' gan_lesson
    done = subprocess.run(["nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course of all eleven notebooks, and the students' copy, with nbgrader's student versions."""
    pytest.importorskip("nbgrader")
    top = tmp_path_factory.mktemp("classroom")
    notebooks = top / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    from gan_lesson.student_copy import make_student_copy
    make_student_copy(notebooks, top / "student")
    assert main([str(notebooks), str(top / "course")]) == 0
    log = run_nbgrader(top / "course", "generate_assignment", "*", "--force")
    return top, log


@pytest.mark.slow
def test_generate_assignment_gives_the_students_copy_and_no_solution_code(course, capsys):
    top, log = course
    assert log.count("Converting notebook") == len(NOTEBOOKS)
    for path in NOTEBOOKS:
        released = json.loads((top / "course" / "release" / path.stem / path.name).read_text(encoding="utf-8"))
        copy = json.loads((top / "student" / path.name).read_text(encoding="utf-8"))
        assert_same_student_version(copy, released, path.name)
        original = json.loads(path.read_text(encoding="utf-8"))
        elsewhere = {line.strip() for c in original["cells"] if "solution" not in c["metadata"].get("tags", [])
                     for line in source(c).split("\n")}
        solution_lines = {line.strip() for c in original["cells"] if "solution" in c["metadata"].get("tags", [])
                          for line in source(c).split("\n")} - elsewhere
        released_text = "\n".join(source(c) for c in released["cells"])
        assert "BEGIN SOLUTION" not in released_text
        assert [line for line in solution_lines if len(line) > 20 and line in released_text] == [], path.name
    # nbgrader left the course's source notebooks as written: a second run finds them unchanged
    capsys.readouterr()
    assert main([str(top / "notebooks"), str(top / "course")]) == 0
    assert capsys.readouterr().out.count("; unchanged") == len(NOTEBOOKS)


WRONG_MIXTURE = """    pick_left = torch.rand(n, 1, generator=generator) < 0.5     # the weights: half and half
    left = -2.0 + 0.5 * torch.randn(n, 1, generator=generator)
    right = 3.0 + 1.0 * torch.randn(n, 1, generator=generator)
    return torch.where(pick_left, left, right)"""
RIGHT_MOMENTS = """    x = x.flatten()
    z = (x - x.mean()) / x.std(unbiased=False)
    return torch.stack([x.mean(), x.std(unbiased=False), (z ** 3).mean(), (z ** 4).mean() - 3])"""


def answer(nb, exercise, body):
    """The student's answer: the body in place of the stub's two lines in the cell of ``exercise``."""
    stub = re.compile(r'\n    # your code here\n    raise Unfinished\("' + exercise + r'", notebook="\d+"\)')
    for c in nb["cells"]:
        text = source(c)
        if stub.search(text):
            c["source"] = stub.sub(lambda _: "\n" + body, text)
            return
    raise AssertionError(f"no stub for {exercise}")


@pytest.mark.slow
def test_autograde_gives_the_reference_full_marks_and_a_wrong_answer_part_with_the_diagnosis(course):
    top, _ = course
    root, name = top / "course", f"{ROUND_TRIP}.ipynb"
    for student in ("reference", "wrong"):
        (root / "submitted" / student / ROUND_TRIP).mkdir(parents=True)
    shutil.copy(root / "source" / ROUND_TRIP / name, root / "submitted" / "reference" / ROUND_TRIP / name)
    wrong = json.loads((root / "release" / ROUND_TRIP / name).read_text(encoding="utf-8"))
    answer(wrong, "mixture_sampler", WRONG_MIXTURE)
    answer(wrong, "four_moments", RIGHT_MOMENTS)
    (root / "submitted" / "wrong" / ROUND_TRIP / name).write_text(json.dumps(wrong), encoding="utf-8")

    run_nbgrader(root, "autograde", ROUND_TRIP, "--force")
    run_nbgrader(root, "generate_feedback", ROUND_TRIP, "--force")
    run_nbgrader(root, "export", "--to", str(root / "grades.csv"))
    with open(root / "grades.csv", newline="") as f:
        scores = {row["student_id"]: (float(row["raw_score"]), float(row["max_score"]))
                  for row in csv.DictReader(f) if row["assignment"] == ROUND_TRIP}
    assert scores == {"reference": (2.0, 2.0), "wrong": (1.0, 2.0)}

    diagnosis = ("✗ mixture_sampler: the two bumps hold about half of the values each; the weights should be 30% "
                 "near -2 and 70% near 3.")
    graded_cells = {}
    for student in ("reference", "wrong"):
        nb = json.loads((root / "autograded" / student / ROUND_TRIP / name).read_text(encoding="utf-8"))
        graded_cells[student] = [_outputs(c["outputs"]) for c in nb["cells"]
                                 if c["metadata"].get("nbgrader", {}).get("grade")]
    for outputs in graded_cells["reference"]:
        assert [o["output_type"] for o in outputs] == ["stream"] and outputs[0]["text"].startswith("✓ ")
    failed, passed = graded_cells["wrong"]
    assert [o["output_type"] for o in failed] == ["stream", "error"]
    assert failed[0]["text"].startswith(diagnosis) and failed[1]["ename"] == "CheckFailed"
    assert failed[1]["evalue"].startswith("this graded check did not pass: " + diagnosis)
    assert [o["output_type"] for o in passed] == ["stream"] and passed[0]["text"].startswith("✓ four_moments")

    feedback = (root / "feedback" / "wrong" / ROUND_TRIP / f"{ROUND_TRIP}.html").read_text(encoding="utf-8")
    assert diagnosis in feedback and "Score: 1.0 / 2.0" in feedback
    reference = (root / "feedback" / "reference" / ROUND_TRIP / f"{ROUND_TRIP}.html").read_text(encoding="utf-8")
    assert "Score: 2.0 / 2.0" in reference and "did not pass" not in reference
