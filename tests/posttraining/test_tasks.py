"""The instruction tasks: answers checked against independent references, disjoint splits."""

import numpy as np
import pytest

from keraseq.data import CharTokenizer, load_corpus
from keraseq.posttraining import chat
from keraseq.posttraining.tasks import TASKS, arithmetic, check_alphabet, get_tasks
from keraseq.posttraining.tasks.addition import steps
from keraseq.posttraining.tasks.code import STEPS, expression
from keraseq.posttraining.tasks.numbers import number_words

WORD_VALUES = {
    **{w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())},
    **{
        w: 10 + i
        for i, w in enumerate(
            "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen "
            "nineteen".split()
        )
    },
    **{
        w: 10 * i
        for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
    },
}


def parse_words(text):
    """An independent reading of number words: sum the words, times 100 before 'hundred'."""
    total = 0
    for word in text.split():
        total = total * 100 if word == "hundred" else total + WORD_VALUES[word]
    return total


@pytest.mark.parametrize("name", list(TASKS))
def test_splits_share_no_input_and_are_reproducible(name):
    task = TASKS[name]
    train, test = task.examples("train", 1500), task.examples("test", 200)
    assert len(test) >= 150 and len(train) >= 600
    assert not {e.prompt for e in train} & {e.prompt for e in test}
    assert len({e.prompt for e in test}) == len(test)
    assert task.examples("test", 200) == test  # same seed, same held-out prompts
    rng = np.random.default_rng(0)
    held_out = {e.prompt for e in test}
    assert not any(task.sample(rng).prompt in held_out for _ in range(300))
    for example in train[:300] + test:
        assert task.score(example.answer, example.answer) == 1.0
        assert set(example.prompt + example.answer) <= task.alphabet()
        assert len(chat.format_example(*example)) <= 64 + 1  # fits the base model's context


def test_addition_formats_hold_out_the_same_pairs():
    direct, stepwise = TASKS["addition"], TASKS["addition_steps"]
    sums = [e.prompt.split()[-1] for e in direct.examples("test", 200)]
    assert sums == [e.prompt.split()[-1] for e in stepwise.examples("test", 200)]


def test_number_words_read_back_to_the_number():
    assert [number_words(n) for n in (0, 7, 13, 40, 100, 305, 999)] == [
        "zero",
        "seven",
        "thirteen",
        "forty",
        "one hundred",
        "three hundred five",
        "nine hundred ninety nine",
    ]
    assert [parse_words(number_words(n)) for n in range(1000)] == list(range(1000))


def test_question_answering_answer_is_the_city_of_the_person_asked():
    for prompt, answer in TASKS["qa"].examples("test", 100):
        facts, question = prompt.split(". Where is ")
        (first, city_1), (second, city_2) = [
            part.replace(" is in ", " in ").split(" in ") for part in facts.split(", ")
        ]
        assert answer == {first: city_1, second: city_2}[question.rstrip("?")]


def test_acronym_is_the_capitalised_initials():
    for prompt, answer in TASKS["acronym"].examples("test", 50):
        words = prompt.removeprefix("Acronym of: ").split()
        assert answer == "".join(w[0] for w in words).upper() and 2 <= len(words) <= 4


def test_step_by_step_addition_columns_and_result():
    rng = np.random.default_rng(0)
    for a, b in rng.integers(100, 1000, size=(300, 2)):
        text = steps(int(a), int(b))
        columns, result = text.split(";")
        assert int(result) == a + b
        carry = 0
        for column, x, y in zip(columns.split(","), str(a)[::-1], str(b)[::-1]):
            left, total = column.split("=")
            assert [int(t) for t in left.split("+")] == [int(x), int(y)] + [1] * carry
            assert int(total) == int(x) + int(y) + carry
            carry = int(total) // 10
    assert steps(352, 479) == "2+9=11,5+7+1=13,3+4+1=8;831"
    task = TASKS["addition_steps"]
    assert task.score("wrong steps;831", steps(352, 479)) == 1.0  # the result is what counts
    assert task.score("2+9=11,5+7+1=13,3+4+1=8;832", steps(352, 479)) == 0.0


def apply_steps(indices, x):
    """The reference: apply each step of the description to the number, in order."""
    for i in indices:
        words = STEPS[i][0].split()
        if words[0] == "square":
            x = x * x
        else:
            k = int(words[1])
            x = {"add": x + k, "subtract": x - k, "times": x * k}[words[0]]
    return x


def test_code_reference_computes_the_description_with_fewest_parentheses():
    rng = np.random.default_rng(0)
    for _ in range(500):
        key = TASKS["code"].draw(rng)
        text = expression(key)
        for x in range(-3, 5):
            assert arithmetic.evaluate(text, x) == apply_steps(key, x)
            assert eval(text, {"x": x}) == apply_steps(key, x)  # noqa: S307 (our own text)
    add, times, square = STEPS.index(STEPS[2]), 18 + 2, len(STEPS) - 1  # add 3, times 4
    assert expression((add, times)) == "(x+3)*4"
    assert expression((times, add)) == "x*4+3"
    assert expression((square, square)) == "(x**2)**2"


def test_code_scores_any_equal_expression_and_partial_credit():
    code = TASKS["code"]
    assert code.score("4*(3+x)", "(x+3)*4") == 1.0
    assert code.score("x*x", "x**2") == 1.0
    assert code.score("x", "x**2") == 2 / 8  # equal at x = 0 and 1 only
    assert code.score("(x+3", "(x+3)*4") == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "x.real",
        "open('f')",
        "y+1",
        "2**99",
        "x**x",
        "1.5*x",
        "[x]",
        "lambda: 1",
        "x if x else 1",
        "x//2",
        "(" * 300 + "x" + ")" * 300,
    ],
)
def test_the_evaluator_refuses_anything_but_arithmetic(text):
    with pytest.raises(ValueError):
        arithmetic.evaluate(text, 2)


def test_the_evaluator_equals_python_on_arithmetic():
    for text in ["x+1", "-x*3-2", "(x-4)**3", "+x**0", "2*(x+1)*(x-1)"]:
        for x in range(-3, 5):
            assert arithmetic.evaluate(text, x) == eval(text, {"x": x})  # noqa: S307


def test_get_tasks_and_unknown_names():
    assert [t.name for t in get_tasks("qa, code")] == ["qa", "code"]
    assert get_tasks(None) == list(TASKS.values())
    with pytest.raises(ValueError, match="unknown task 'poetry': expected one of qa, acronym"):
        get_tasks("qa,poetry")
    with pytest.raises(ValueError, match="no task named"):
        get_tasks(" , ")


def test_the_python_docs_vocabulary_holds_every_task():
    tokenizer = CharTokenizer.from_text(load_corpus("python-docs"))
    check_alphabet(get_tasks(), tokenizer, chat.MARKERS)


def test_check_alphabet_names_the_task_and_the_characters():
    letters = CharTokenizer(list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ:?,.\n"))
    check_alphabet(get_tasks("qa"), letters, chat.MARKERS)
    with pytest.raises(ValueError, match=r"task 'numbers' uses .* lacks: '0', '1', '2'"):
        check_alphabet(get_tasks("qa,numbers"), letters, chat.MARKERS)
    with pytest.raises(ValueError, match=r"the chat template uses .* lacks: '\\n'"):
        check_alphabet([], CharTokenizer(list("QA: ")), chat.MARKERS)
