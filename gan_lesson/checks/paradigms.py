"""Checker for notebook 01 (learning paradigms): the "which paradigm?" quiz.

The student fills a dict ``answers`` mapping each scenario letter ("a" … "f") to one of
``"supervised"``, ``"unsupervised"`` or ``"adversarial"``.

The stub is the dict with every value still ``...``; the core's "not attempted" message speaks of
``raise NotImplementedError``, so ``check_paradigm_quiz`` says it in the quiz's own words.
"""
from .core import Verdict, checker, expect

__all__ = ["check_paradigm_quiz"]

PARADIGMS = ("supervised", "unsupervised", "adversarial")

# letter: (short description, correct paradigm, hint when it is labelled wrongly)
SCENARIOS = {
    "a": ("X-rays marked 'pneumonia' or 'clear' by radiologists", "supervised",
          "(a) every X-ray comes with an answer a person decided; the model learns to give that answer."),
    "b": ("customer groups nobody has defined", "unsupervised",
          "(b) there is no answer to compare with: the groups are whatever the algorithm finds."),
    "c": ("new bedroom photos from a folder of bedroom photos", "adversarial",
          "(c) only real examples are given, and a second network learns to tell them from the made-up ones."),
    "d": ("flat price from floor area", "supervised",
          "(d) each past sale gives the answer (the price) for its input (the area): a regressor."),
    "e": ("2 numbers per digit image that keep most of the variation", "unsupervised",
          "(e) no target is given; keeping the most variation is a property of the data alone (a decomposition)."),
    "f": ("high resolution from low resolution, judged by a second network", "adversarial",
          "(f) a network shown genuine high-resolution photos judges the outputs: a generator against a discriminator."),
}

# words a student may write instead of a paradigm, and the paradigm they belong to
TASK_WORDS = {
    "classification": "supervised", "classifier": "supervised", "regression": "supervised",
    "regressor": "supervised", "clustering": "unsupervised", "k-means": "unsupervised",
    "kmeans": "unsupervised", "decomposition": "unsupervised", "pca": "unsupervised",
    "gan": "adversarial", "generative": "adversarial",
}


def _letters(keys):
    return ", ".join(keys)


EXERCISE = "the paradigm quiz"


@checker(EXERCISE)
def _check_answers(answers):
    expect(isinstance(answers, dict),
           f"answers should be a dict such as {{'a': 'supervised', ...}}; got {type(answers).__name__}.",
           "Keep the braces of the cell above and replace each ... by a word in quotes.")
    expect(answers, "answers is an empty dict.", "Put one entry per scenario in the dict, a to f.")
    unknown = sorted(str(k) for k in answers if k not in SCENARIOS)
    expect(not unknown, f"unknown scenario key(s): {_letters(unknown)}; the scenarios are a, b, c, d, e, f.",
           "Use the lower-case letters of the scenarios as keys, in quotes: 'a', 'b', ...")
    missing = [k for k in SCENARIOS if k not in answers]
    expect(not missing, f"no answer for scenario(s) {_letters(missing)}.",
           "Put one entry per scenario in the dict, a to f.")
    pending = [k for k in SCENARIOS if answers[k] is ...]
    expect(not pending, f"scenario(s) {_letters(pending)} still hold `...`.",
           "Replace every ... by one of 'supervised', 'unsupervised', 'adversarial'.")
    given = {}
    for k in SCENARIOS:
        v = answers[k]
        expect(isinstance(v, str), f"the answer for scenario {k} should be a word in quotes; got {v!r}.",
               "Write e.g. 'supervised' (with the quotes).")
        given[k] = v.strip().lower()
    tasks = [k for k in SCENARIOS if given[k] in TASK_WORDS]
    expect(not tasks,
           "scenario(s) " + _letters(tasks) + " name a task or a method ("
           + ", ".join(repr(given[k]) for k in tasks) + ") rather than a paradigm.",
           "Answer with the paradigm the task belongs to: " + "; ".join(
               f"{given[k]!r} is {TASK_WORDS[given[k]]}" for k in tasks) + ".")
    invalid = [k for k in SCENARIOS if given[k] not in PARADIGMS]
    expect(not invalid, "scenario(s) " + _letters(invalid) + " hold " + ", ".join(
               repr(answers[k]) for k in invalid) + ", which is not one of the three paradigms.",
           "Answer with exactly one of 'supervised', 'unsupervised', 'adversarial' (check the spelling).")
    gan_as_unsup = [k for k in SCENARIOS if SCENARIOS[k][1] == "adversarial" and given[k] == "unsupervised"]
    expect(not gan_as_unsup,
           f"scenario(s) {_letters(gan_as_unsup)}: 'unsupervised' is technically true (nobody supplies labels), "
           "but there a generator is trained against a real-vs-fake judge.",
           "This quiz asks you to recognise that set-up by its own name: 'adversarial'.")
    wrong = [k for k in SCENARIOS if given[k] != SCENARIOS[k][1]]
    expect(not wrong, f"{len(wrong)} of {len(SCENARIOS)} scenarios are labelled wrongly: {_letters(wrong)}.",
           " ".join(SCENARIOS[k][2] for k in wrong))
    counts = {p: sum(SCENARIOS[k][1] == p for k in SCENARIOS) for p in PARADIGMS}
    return (f"all {len(SCENARIOS)} scenarios labelled correctly ("
            + ", ".join(f"{n} {p}" for p, n in counts.items()) + ").")


def check_paradigm_quiz(answers):
    """Check ``answers``: a dict letter ("a" … "f") -> "supervised" | "unsupervised" | "adversarial".

    Prints one message and returns a ``Verdict`` (True or False), like every checker of the series.
    """
    if isinstance(answers, dict) and answers and all(v is ... for v in answers.values()):
        print(f"… {EXERCISE} is not attempted yet: replace each `...` with one of \"supervised\", "
              "\"unsupervised\" or \"adversarial\", run that cell, then run this one again.")
        return Verdict(False)
    return _check_answers(answers)


check_paradigm_quiz.exercise = EXERCISE
