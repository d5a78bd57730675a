"""load_tests.examinee: responses follow the IRT model's category probabilities; think-time distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import battery_dict, load, make_item, make_pool_dict, subtest_dict

from cat_engine.battery import Battery
from cat_engine.irt import category_probabilities
from load_tests.examinee import ItemBank, RandomResponder, SimulatedExaminee, ThinkTime, sample_option

DRAWS = 6_000


def _battery(tmp_path: Path) -> Battery:
    items = [
        make_item("D-1", model="3PL", a=1.4, b=0.3, c=0.2, n_options=4, key=2),
        make_item("D-2", model="2PL", a=0.9, b=-1.0, n_options=5, key=0),
        make_item("P-1", model="GPCM", a=1.2, b=[-1.0, -0.2, 0.5, 1.3]),
        make_item("P-2", model="GRM", a=1.5, b=[-1.2, 0.0, 0.9]),
    ]
    pool = make_pool_dict(items=items, pool_id="mixed", areas=("A",))
    # GPCM/GRM options score categories through option_weights: shuffle them to check the option mapping
    pool["items"][2]["option_weights"] = [3, 5, 1, 4, 2]
    pool["items"][3]["option_weights"] = [2, 4, 1, 3]
    return load(tmp_path, battery_dict([subtest_dict("s1", "mixed.json")]), pools={"mixed.json": pool})


@pytest.mark.parametrize("item_id", ["D-1", "D-2", "P-1", "P-2"])
@pytest.mark.parametrize("theta", [-1.2, 0.8])
def test_scored_categories_follow_the_model(tmp_path: Path, item_id: str, theta: float) -> None:
    battery = _battery(tmp_path)
    bank = ItemBank(battery)
    pool, index = bank.locate("s1", item_id)
    rng = np.random.default_rng(7)
    categories = [pool.score(index, sample_option(bank, "s1", item_id, theta, rng)) for _ in range(DRAWS)]
    expected = category_probabilities(theta, pool.params, [index])[0, : int(pool.params.n_categories[index])]
    observed = np.bincount(categories, minlength=expected.size) / DRAWS
    # each share within 4.5 binomial standard errors (the draws are seeded: this is a fixed check, not a flaky one)
    tolerance = 4.5 * np.sqrt(expected * (1 - expected) / DRAWS) + 1e-3
    assert np.all(np.abs(observed - expected) <= tolerance), (observed, expected)


def test_a_wrong_answer_is_any_distractor(tmp_path: Path) -> None:
    bank = ItemBank(_battery(tmp_path))
    rng = np.random.default_rng(3)
    options = np.array([sample_option(bank, "s1", "D-1", -3.0, rng) for _ in range(4000)])
    wrong = options[options != 2]  # key 2
    assert set(wrong.tolist()) == {0, 1, 3}
    counts = np.bincount(wrong, minlength=4)[[0, 1, 3]]
    assert counts.min() > 0.8 * counts.mean()


def test_examinee_checks_the_frame_against_the_pool(tmp_path: Path) -> None:
    bank = ItemBank(_battery(tmp_path))
    examinee = SimulatedExaminee(0.0, bank, np.random.default_rng(1))
    texts = list(bank.locate("s1", "P-1")[0].items[2].options)
    assert 0 <= examinee.respond("s1", "P-1", texts) < 5
    with pytest.raises(KeyError):
        examinee.respond("s1", "UNKNOWN", texts)
    with pytest.raises(ValueError, match="options"):  # the frame shows other options than the pool's
        examinee.respond("s1", "D-2", ["D-2 option 0", "D-2 option 1"])


@pytest.mark.parametrize("item_id", ["D-1", "P-1"])
def test_examinee_answers_the_position_its_option_is_shown_at(tmp_path: Path, item_id: str) -> None:
    """The server shows the options in a session's own order and never says which stored option is where: the
    examinee finds its option by the text, so the option at the position sent is the one drawn from the model."""
    bank = ItemBank(_battery(tmp_path))
    pool, index = bank.locate("s1", item_id)
    texts = pool.items[index].options
    order = [2, 0, 3, 1, 4][: len(texts)]  # display position p shows stored option order[p]
    shown = [texts[k] for k in order]
    theta, n = 0.6, 500
    drawn = SimulatedExaminee(theta, bank, np.random.default_rng(11))
    answered = SimulatedExaminee(theta, bank, np.random.default_rng(11))  # the same draws, answered by position
    for _ in range(n):
        option = sample_option(bank, "s1", item_id, theta, drawn.rng)
        position = answered.respond("s1", item_id, shown)
        assert order[position] == option
    assert bank.position_of("s1", item_id, order[1], shown) == 1


def test_random_responder_stays_within_the_options() -> None:
    responder = RandomResponder(np.random.default_rng(0))
    assert {responder.respond("x", "y", ["a", "b", "c"]) for _ in range(300)} == {0, 1, 2}


@pytest.mark.parametrize(
    ("spec", "mean"),
    [("fixed:2", 2.0), ("uniform:1:3", 2.0), ("exponential:4", 4.0), ("lognormal:30:0.5", 30 * np.exp(0.125))],
)
def test_think_time_means(spec: str, mean: float) -> None:
    think = ThinkTime.parse(spec)
    assert think.mean == pytest.approx(mean)
    draws = np.array([think.sample(np.random.default_rng(i)) for i in range(4000)])
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(mean, rel=0.06)
    assert str(ThinkTime.parse(str(think))) == str(think)


@pytest.mark.parametrize("spec", ["", "gamma:1:2", "fixed", "uniform:3:1", "lognormal:30", "fixed:-1", "fixed:x"])
def test_think_time_refuses_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError, match="think time"):
        ThinkTime.parse(spec)


def test_think_time_scaled() -> None:
    think = ThinkTime.parse("lognormal:30:0.5")
    assert think.scaled(0.25) == ThinkTime("lognormal", (7.5, 0.5))
    assert ThinkTime.parse("uniform:2:6").scaled(0.5) == ThinkTime("uniform", (1.0, 3.0))
    assert think.scaled(0.25).mean == pytest.approx(think.mean / 4)
    with pytest.raises(ValueError, match="factor"):
        think.scaled(0)
