"""The quiz checker of notebook 01: the notebook's solution passes, each likely mistake is named."""
import pytest

from gan_lesson.checks import check_paradigm_quiz
from notebook_cells import solution_namespace

NOTEBOOK = "01_learning_paradigms.ipynb"
RIGHT = {"a": "supervised", "b": "unsupervised", "c": "adversarial",
         "d": "supervised", "e": "unsupervised", "f": "adversarial"}


def run(answers, capsys):
    ok = check_paradigm_quiz(answers)
    assert type(ok).__name__ == "Verdict"     # like every checker: equal to True/False, displayed as nothing
    return bool(ok), capsys.readouterr().out


def test_the_notebook_solution_passes(capsys):
    ok, out = run(solution_namespace(NOTEBOOK)["answers"], capsys)
    assert ok
    assert out.startswith("✓ the paradigm quiz: all 6 scenarios labelled correctly (2 supervised")


def test_case_and_spaces_do_not_matter(capsys):
    ok, out = run({k: f"  {v.upper()} " for k, v in RIGHT.items()}, capsys)
    assert ok and out.startswith("✓")


def test_the_untouched_stub_is_not_attempted(capsys):
    ok, out = run({k: ... for k in RIGHT}, capsys)
    assert not ok
    assert "not attempted yet" in out and "replace each `...`" in out and "NotImplementedError" not in out


def test_partly_filled_names_the_missing_scenarios(capsys):
    ok, out = run(dict(RIGHT, b=..., f=...), capsys)
    assert not ok and "scenario(s) b, f still hold `...`" in out


@pytest.mark.parametrize("answers, expected", [
    (["supervised"] * 6, "answers should be a dict"),
    ({}, "answers is an empty dict"),
    ({k: v for k, v in RIGHT.items() if k != "d"}, "no answer for scenario(s) d"),
    (dict(RIGHT, g="supervised"), "unknown scenario key(s): g"),
    (dict(RIGHT, a=1), "the answer for scenario a should be a word in quotes; got 1"),
    (dict(RIGHT, a="supervized"), "'supervized', which is not one of the three paradigms"),
])
def test_malformed_answers_are_explained(answers, expected, capsys):
    ok, out = run(answers, capsys)
    assert not ok and out.startswith("✗ the paradigm quiz:") and expected in out


def test_a_task_name_instead_of_a_paradigm(capsys):
    ok, out = run(dict(RIGHT, b="clustering", d="regression"), capsys)
    assert not ok
    assert "scenario(s) b, d name a task or a method" in out
    assert "'clustering' is unsupervised; 'regression' is supervised" in out


def test_a_gan_called_unsupervised_is_explained(capsys):
    ok, out = run(dict(RIGHT, c="unsupervised"), capsys)
    assert not ok
    assert "scenario(s) c: 'unsupervised' is technically true" in out and "'adversarial'" in out


def test_wrong_labels_are_listed_with_a_hint_each(capsys):
    ok, out = run(dict(RIGHT, a="unsupervised", e="supervised"), capsys)
    assert not ok
    assert "2 of 6 scenarios are labelled wrongly: a, e." in out
    assert "(a) every X-ray comes with an answer a person decided" in out
    assert "(e) no target is given" in out and "(b)" not in out


def test_none_means_nothing_to_check(capsys):
    ok, out = run(None, capsys)
    assert not ok and "nothing to check yet" in out
