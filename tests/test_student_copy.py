import json
import os
import shutil
from pathlib import Path

import pytest

import gan_lesson.student_copy as student_copy
from gan_lesson.student_copy import StudentCopyError, cells_hash, main, make_student_copy, strip_solutions

ROOT = Path(__file__).resolve().parents[1]


def notebook(title="# Title"):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": title, "id": "a"},
        {"cell_type": "code", "metadata": {}, "source": "def f(): raise NotImplementedError",
         "outputs": [], "execution_count": 1, "id": "b"},
        {"cell_type": "code", "metadata": {"tags": ["solution"], "jupyter": {"source_hidden": True}},
         "source": "def f(): return 42", "outputs": [], "execution_count": 2, "id": "c"},
        {"cell_type": "code", "metadata": {"tags": ["solution-check"]}, "source": "check(f)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "✓ ok"}], "execution_count": 3, "id": "d"},
    ]}


def instructor_folder(path, names=("01_x.ipynb", "02_y.ipynb")):
    path.mkdir()
    for name in names:
        (path / name).write_text(json.dumps(notebook(f"# {name}")), encoding="utf-8")
    return path


def snapshot(folder):
    """Every file in a folder, name -> bytes: to prove a run changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def edit(path, source="def f(): return 41  # my own answer"):
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = source
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_strip_solutions_removes_code_and_check_output():
    nb, removed = strip_solutions(notebook())
    assert removed == 1
    sources = [c["source"] for c in nb["cells"]]
    assert "def f(): return 42" not in sources
    assert "solution is not included" in nb["cells"][2]["source"]
    assert nb["cells"][3]["outputs"] == []
    assert nb["cells"][1]["execution_count"] == 1            # other cells untouched


def test_make_student_copy_and_command(tmp_path, capsys):
    src, dst = tmp_path / "nb", tmp_path / "student"
    src.mkdir()
    (src / "01_x.ipynb").write_text(json.dumps(notebook()))
    assert main([str(src), str(dst)]) == 0
    copy = json.loads((dst / "01_x.ipynb").read_text())
    assert all("return 42" not in c["source"] for c in copy["cells"])
    assert "01_x.ipynb: 1 solution(s) removed; written" in capsys.readouterr().out
    assert json.loads((src / "01_x.ipynb").read_text()) == notebook()   # the originals are kept
    mark = copy["metadata"]["gan_lesson"]["student_copy"]                # the copy knows its own output
    assert mark["source"] == "01_x.ipynb" and mark["cells_sha256"] == cells_hash(copy["cells"])


def test_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        make_student_copy(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        make_student_copy(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match="destination must differ"):
        make_student_copy(tmp_path, tmp_path)


# Accident 1: the arguments swapped after a first copy overwrote every solution.

def test_swapped_arguments_after_a_first_copy_leave_the_solutions_alone(tmp_path, capsys):
    src, dst = instructor_folder(tmp_path / "nb"), tmp_path / "student"
    assert run(capsys, src, dst)[0] == 0
    before = snapshot(src)
    code, out, err = run(capsys, dst, src)                               # the accident
    assert code == 2 and out == ""
    assert snapshot(src) == before                                       # byte-identical, nothing added
    assert "looks like a students' copy" in err and "probably swapped" in err
    assert "01_x.ipynb" in err and f"student_copy {src} {dst}" in err   # names the files, shows the right order


def test_a_hand_stripped_source_is_refused_too(tmp_path, capsys):
    src = tmp_path / "handmade"
    src.mkdir()
    nb, _ = strip_solutions(notebook())                                  # removed-solution notes, no marker
    (src / "01_x.ipynb").write_text(json.dumps(nb))
    code, _, err = run(capsys, src, tmp_path / "out")
    assert code == 2 and "probably swapped" in err and "removed-solution notes" in err
    assert not (tmp_path / "out").exists()


def test_a_destination_holding_solutions_or_other_notebooks_is_refused(tmp_path, capsys):
    src = instructor_folder(tmp_path / "nb")
    originals = instructor_folder(tmp_path / "originals", names=("01_x.ipynb", "99_extra.ipynb"))
    before = snapshot(originals)
    code, _, err = run(capsys, src, originals)
    assert code == 2 and snapshot(originals) == before
    assert "holds notebooks with solutions" in err and "99_extra.ipynb" in err

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "01_x.ipynb").write_text('{"cells": []}')                   # a notebook it did not write
    (mine / "broken.ipynb").write_text("{not json")
    before = snapshot(mine)
    code, _, err = run(capsys, src, mine)
    assert code == 2 and snapshot(mine) == before
    assert "did not write" in err and "01_x.ipynb" in err and "broken.ipynb (is not valid JSON" in err


# Accident 2: running the copy again overwrote a student's edited notebook.

def test_a_students_edits_survive_every_later_copy(tmp_path, capsys):
    src, dst = instructor_folder(tmp_path / "nb"), tmp_path / "student"
    assert run(capsys, src, dst)[0] == 0
    edit(dst / "01_x.ipynb")
    edited = (dst / "01_x.ipynb").read_bytes()

    code, out, _ = run(capsys, src, dst)                                 # the accident: run again
    assert code == 0 and (dst / "01_x.ipynb").read_bytes() == edited
    assert "01_x.ipynb: 1 solution(s) removed; kept your edited copy" in out
    assert "02_y.ipynb: 1 solution(s) removed; unchanged" in out

    nb = json.loads((src / "01_x.ipynb").read_text())                    # the instructor fixes a typo
    nb["cells"][0]["source"] = "# Title, typo fixed"
    (src / "01_x.ipynb").write_text(json.dumps(nb))
    code, out, _ = run(capsys, src, dst)
    assert code == 0 and (dst / "01_x.ipynb").read_bytes() == edited
    assert "kept your edited copy (new version written beside it as 01_x.new.ipynb)" in out
    beside = json.loads((dst / "01_x.new.ipynb").read_text())
    assert beside["cells"][0]["source"] == "# Title, typo fixed"
    assert "return 42" not in json.dumps(beside)

    code, out, _ = run(capsys, src, dst)                                 # and again: nothing to do
    assert code == 0 and "01_x.new.ipynb, is unchanged" in out and (dst / "01_x.ipynb").read_bytes() == edited

    edit(dst / "01_x.new.ipynb")                                         # the student works in the new one too
    (src / "01_x.ipynb").write_text(json.dumps(notebook("# Title, fixed again")))
    before = snapshot(dst)
    code, _, err = run(capsys, src, dst)
    assert code == 2 and snapshot(dst) == before and "01_x.new.ipynb" in err and "Rename" in err


def test_an_unchanged_copy_is_refreshed_and_jupyter_saving_it_is_no_edit(tmp_path, capsys):
    src, dst = instructor_folder(tmp_path / "nb"), tmp_path / "student"
    assert run(capsys, src, dst)[0] == 0
    path = dst / "02_y.ipynb"                      # saved by Jupyter, not edited: lines split, keys sorted
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell["source"] = cell["source"].splitlines(True)
        cell["metadata"]["collapsed"] = False
    path.write_text(json.dumps(nb, indent=2, sort_keys=True))
    (src / "02_y.ipynb").write_text(json.dumps(notebook("# 02 with the typo fixed")))
    code, out, _ = run(capsys, src, dst)
    assert code == 0 and "02_y.ipynb: 1 solution(s) removed; refreshed" in out
    assert "01_x.ipynb: 1 solution(s) removed; unchanged" in out
    assert json.loads(path.read_text())["cells"][0]["source"] == "# 02 with the typo fixed"
    assert not (dst / "02_y.new.ipynb").exists()


def test_running_a_cell_counts_as_an_edit():
    nb, _ = strip_solutions(notebook())
    before = cells_hash(nb["cells"])
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["4", "1\n"]}]
    assert cells_hash(nb["cells"]) != before
    split = [{"output_type": "stream", "name": "stdout", "text": "4"},
             {"output_type": "stream", "name": "stdout", "text": "1\n"}]
    assert cells_hash([dict(nb["cells"][1], outputs=split)]) == cells_hash([nb["cells"][1]])


# Accident 3: a broken source notebook was found half-way, after part of the copy was written.

def test_a_broken_source_notebook_stops_the_copy_before_anything_is_written(tmp_path, capsys):
    src, dst = instructor_folder(tmp_path / "nb", names=("01_x.ipynb", "02_y.ipynb", "03_z.ipynb")), tmp_path / "s"
    (src / "02_y.ipynb").write_text('{"cells": [\n  {"cell_type": "code",,}\n]}')
    code, out, err = run(capsys, src, dst)
    assert code == 2 and out == "" and not dst.exists()
    assert str(src / "02_y.ipynb") in err and "is not valid JSON (line 2" in err and "Nothing was written" in err

    (src / "02_y.ipynb").write_text(json.dumps(notebook()))              # fixed; a copy is made
    assert run(capsys, src, dst)[0] == 0
    (src / "01_x.ipynb").write_text(json.dumps(notebook("# new")))
    (src / "03_z.ipynb").write_text("[1, 2]")                            # JSON, but not a notebook
    before = snapshot(dst)
    code, _, err = run(capsys, src, dst)
    assert code == 2 and snapshot(dst) == before
    assert "03_z.ipynb is not a notebook" in err


# Accident 4: a destination that is a file gave a traceback.

def test_a_destination_that_is_a_file_or_unwritable_is_a_clear_error(tmp_path, capsys, monkeypatch):
    src = instructor_folder(tmp_path / "nb")
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    code, out, err = run(capsys, src, target)
    assert code == 2 and out == "" and target.read_text() == "mine"
    assert err.startswith("error: destination") and "Traceback" not in err
    assert f"{str(target)!r} is an existing file" in err and "student_copy notebooks student" in err

    code, _, err = run(capsys, src, target / "sub")
    assert code == 2 and f"{str(target)!r} is a file" in err

    denied = tmp_path / "locked"                        # as root chmod locks nothing: deny through os.access
    denied.mkdir()
    real_access = student_copy.os.access
    monkeypatch.setattr(student_copy.os, "access", lambda p, mode: Path(p) != denied and real_access(p, mode))
    code, _, err = run(capsys, src, denied / "student")
    assert code == 2 and "cannot be written" in err and str(denied) in err and not (denied / "student").exists()
    with pytest.raises(StudentCopyError):
        make_student_copy(src, denied)


# The real notebooks: a first copy, the swapped accident, a second run.

def test_the_real_notebooks(tmp_path, capsys):
    src, dst = tmp_path / "notebooks", tmp_path / "student"
    shutil.copytree(ROOT / "notebooks", src, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    names = sorted(p.name for p in src.glob("*.ipynb"))
    code, out, _ = run(capsys, src, dst)
    assert code == 0 and out.count("; written") == len(names)
    assert sorted(p.name for p in dst.glob("*.ipynb")) == names
    before = snapshot(src)
    code, _, err = run(capsys, dst, src)
    assert code == 2 and snapshot(src) == before and "probably swapped" in err
    code, out, _ = run(capsys, src, dst)
    assert code == 0 and out.count("; unchanged") == len(names)


@pytest.mark.parametrize("tag", ["Solution", "solutions", "SOLUTION", "solution_check", "Solution-Check",
                                 "soluton", "sollution", "soltion", "solutoin", "solution-chek"])
def test_a_misspelt_solution_tag_is_refused_before_anything_is_written(tmp_path, tag, capsys):
    """The accident: a solution cell tagged 'Solution' was copied to the students, reported as
    '0 solution(s) removed; written'."""
    source, dest = tmp_path / "notebooks", tmp_path / "student"
    source.mkdir()
    cells = [{"cell_type": "code", "metadata": {"tags": ["exercise"]}, "source": "def f(): ...",
              "outputs": [], "execution_count": None, "id": "a"},
             {"cell_type": "code", "metadata": {"tags": [tag]}, "source": "def f(): return 42",
              "outputs": [], "execution_count": None, "id": "b"}]
    (source / "01_x.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                                    "nbformat_minor": 5}))
    code = student_copy.main([str(source), str(dest)])
    assert code == 2
    assert f"01_x.ipynb cell 2 (tag {tag!r})" in capsys.readouterr().err
    assert not dest.exists() or not list(dest.iterdir())


# Run All in the students' copy stops at the first exercise not done, with one line naming it.

def test_stubs_are_rewritten_to_stop_run_all_with_one_line():
    from gan_lesson.student_copy import Unfinished, rewrite_stubs
    stub = 'def d_step(G, D):\n    """One update; returns the loss."""\n    # your code here\n    raise NotImplementedError\n'
    copy = rewrite_stubs(stub, "05_training_loop.ipynb")
    assert copy.splitlines()[0].startswith("from gan_lesson.student_copy import Unfinished")
    assert 'raise Unfinished("d_step", notebook="05")' in copy and "NotImplementedError" not in copy
    ns = {}
    exec(copy, ns)
    with pytest.raises(Unfinished) as info:
        ns["d_step"](None, None)
    line = info.value._render_traceback_()
    assert len(line) == 1 and "Exercise 'd_step' (notebook 05) is not done yet" in line[0]
    assert not isinstance(info.value, Exception)         # neither a checker nor `except Exception` swallows it
    # two functions in one cell, non-ASCII text before the stub, a `...` body, `return ...`
    two = 'def f(x):\n    """x → y²"""\n    raise NotImplementedError("later")\n\n\ndef g(): ...\n\ndef h():\n    return ...\n'
    copy = rewrite_stubs(two, "09_challenge_sequences.ipynb")
    for name in "fgh":
        assert f'raise Unfinished("{name}", notebook="09")' in copy
    assert '"""x → y²"""' in copy
    method = rewrite_stubs("class G:\n    def forward(self, z):\n        raise NotImplementedError\n", "10_x.ipynb")
    assert 'raise Unfinished("G.forward", notebook="10")' in method
    # answers: the cell itself stops while every answer is still `...`; a partial answer goes to its checker
    quiz = 'answers = {\n    "a": ...,   # X-rays\n    "b": ...,\n}'
    copy = rewrite_stubs(quiz, "01_learning_paradigms.ipynb")
    assert copy.endswith('Unfinished.unless_filled_in(answers, "answers", notebook="01")')
    with pytest.raises(Unfinished, match=r"Exercise 'answers' \(notebook 01\).*replace the `\.\.\.`"):
        exec(copy, {})
    exec(copy.replace('"a": ...', '"a": "supervised"'), {})
    exec(rewrite_stubs('prediction = ...  # "small" or "large"', "08_gan_in_2d.ipynb")
         .replace("prediction = ...", 'prediction = "small"'), {})
    # cells without a stub, or not Python, are left alone
    assert rewrite_stubs("x = 1\nprint(x)", "02_x.ipynb") == "x = 1\nprint(x)"
    assert rewrite_stubs("%timeit f()", "02_x.ipynb") == "%timeit f()"


def test_the_rewrite_leaves_blank_lines_where_the_nbgrader_course_puts_the_solution():
    """Below a stub's docstring and above the answers' checks (nbgrader turns its solution regions
    back into exactly these blank lines, so both give students the same cell)."""
    from gan_lesson.student_copy import IMPORT_LINE, rewrite_stubs
    stub = 'def f(x):\n    """Doc."""\n    # your code here\n    raise NotImplementedError\n\n\na = ...\nb = ...  # note'
    assert rewrite_stubs(stub, "03_x.ipynb") == "\n".join([
        IMPORT_LINE, "", "def f(x):", '    """Doc."""', "", "    # your code here",
        '    raise Unfinished("f", notebook="03")', "", "", "a = ...", "b = ...  # note", "",
        'Unfinished.unless_filled_in(a, "a", notebook="03")', 'Unfinished.unless_filled_in(b, "b", notebook="03")'])
    # no docstring: the blank line comes right below the signature
    assert rewrite_stubs("def g(\n    x,\n):\n    return ...", "03_x.ipynb").endswith(
        'def g(\n    x,\n):\n\n    raise Unfinished("g", notebook="03")')


def test_only_exercise_cells_are_rewritten():
    nb = notebook()
    nb["cells"].insert(2, {"cell_type": "code", "metadata": {"tags": ["exercise"]}, "id": "e",
                           "source": "def f():\n    raise NotImplementedError", "outputs": [], "execution_count": 4})
    copy, _ = strip_solutions(nb, "03_models.ipynb")
    assert copy["cells"][1]["source"] == "def f(): raise NotImplementedError"      # not tagged: unchanged
    assert 'raise Unfinished("f", notebook="03")' in copy["cells"][2]["source"]
    assert copy["cells"][2]["execution_count"] is None


def _first_exercise(cells):
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and "exercise" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_run_all_in_the_students_copy_stops_at_the_first_exercise_with_one_line(name, tmp_path, monkeypatch):
    """Execute the real students' copy with nbconvert, errors not allowed: it stops at the first
    exercise, and what the student sees there is one line naming the exercise and the notebook."""
    import copy as copying
    import re

    import nbformat
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copy(ROOT / "notebooks" / name, src / name)
    make_student_copy(src, tmp_path / "student")
    nb = nbformat.read(tmp_path / "student" / name, as_version=4)
    first = _first_exercise(nb.cells)
    if first is None:
        pytest.skip(f"{name} has no exercise")
    names = re.findall(r'Unfinished\("(\w+)"|unless_filled_in\(\w+, "(\w+)"', nb.cells[first].source)
    names = {a or b for a, b in names}
    before = copying.deepcopy(nb)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(CellExecutionError):
        ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(
            nb, {"metadata": {"path": str(tmp_path / "student")}})
    failed = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              and any(out.output_type == "error" for out in cell.get("outputs", []))]
    assert failed, "no cell shows an error"
    stop = failed[0]
    error = [out for out in nb.cells[stop].outputs if out.output_type == "error"][0]
    assert error.ename == "Unfinished", (error.ename, error.evalue)
    assert len(error.traceback) == 1
    book = name.split("_")[0]
    assert any(f"Exercise '{n}' (notebook {book}) is not done yet" in error.traceback[0] for n in names), \
        error.traceback
    later_exercise = _first_exercise(nb.cells[first + 1:])
    assert first <= stop and (later_exercise is None or stop < first + 1 + later_exercise)
    assert nb.cells[stop + 1:] == before.cells[stop + 1:]          # nothing after the stop ran
    streams = "".join(out.get("text", "") for out in nb.cells[stop].outputs if out.output_type == "stream")
    assert "Traceback" not in streams and "NameError" not in streams
