import json

import pytest

from gan_lesson.student_copy import main, make_student_copy, strip_solutions


def notebook():
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title", "id": "a"},
        {"cell_type": "code", "metadata": {}, "source": "def f(): raise NotImplementedError",
         "outputs": [], "execution_count": 1, "id": "b"},
        {"cell_type": "code", "metadata": {"tags": ["solution"], "jupyter": {"source_hidden": True}},
         "source": "def f(): return 42", "outputs": [], "execution_count": 2, "id": "c"},
        {"cell_type": "code", "metadata": {"tags": ["solution-check"]}, "source": "check(f)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "✓ ok"}], "execution_count": 3, "id": "d"},
    ]}


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
    assert "01_x.ipynb: 1 solution(s) removed" in capsys.readouterr().out
    assert json.loads((src / "01_x.ipynb").read_text()) == notebook()   # the originals are kept


def test_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        make_student_copy(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        make_student_copy(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match="destination must differ"):
        make_student_copy(tmp_path, tmp_path)
