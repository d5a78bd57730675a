"""Importers from R mirt CSVs and catsim item matrices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cat_engine.errors import PoolValidationError
from cat_engine.importers import from_catsim_matrix, from_mirt_csv
from cat_engine.irt import DICHOTOMOUS, GPCM, GRM, category_probabilities, information
from cat_engine.pool import Pool, load_pool, save_pool

# What write.csv(coef(mod, IRTpars = TRUE, simplify = TRUE)$items, path) writes for a mixed pool: quoted header
# with an empty first name, quoted row names, NA in the columns an item does not use.
MIRT_CSV = """\
"","a","b","g","u","b1","b2","b3"
"Q1",1.2,-0.5,0,1,NA,NA,NA
"Q2",0.9,0.3,0.2,1,NA,NA,NA
"Q3",1.5,1.1,0.15,0.95,NA,NA,NA
"Q4",1.1,NA,NA,NA,-1.2,0.1,1.4
"Q5",0.8,NA,NA,NA,-0.6,0.7,NA
"Q6",1,0.25,0,1,NA,NA,NA
"""

THETAS = np.array([-3.0, -1.3, -0.2, 0.0, 0.7, 2.1, 3.5])


def _write(tmp_path: Path, text: str, name: str = "coef.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _load(path: Path, **kwargs: object) -> Pool:
    data = from_mirt_csv(path, pool_id="p", pool_version="1", name="P", **kwargs)  # type: ignore[arg-type]
    return Pool.from_dict(data, source=str(path))


def _logistic(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


# --- mirt -----------------------------------------------------------------------------------------------------


def test_mirt_models_and_parameters(tmp_path: Path) -> None:
    pool = _load(_write(tmp_path, MIRT_CSV))
    assert [it.id for it in pool.items] == ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
    assert [it.model for it in pool.items] == ["2PL", "3PL", "4PL", "GRM", "GRM", "2PL"]
    assert pool.theta_scale["D"] == 1.0
    p = pool.params
    assert list(p.model) == [DICHOTOMOUS, DICHOTOMOUS, DICHOTOMOUS, GRM, GRM, DICHOTOMOUS]
    np.testing.assert_array_equal(p.a, [1.2, 0.9, 1.5, 1.1, 0.8, 1.0])
    np.testing.assert_array_equal(p.b[[0, 1, 2, 5]], [-0.5, 0.3, 1.1, 0.25])
    np.testing.assert_array_equal(p.c[:3], [0.0, 0.2, 0.15])
    np.testing.assert_array_equal(p.d[:3], [1.0, 1.0, 0.95])
    np.testing.assert_array_equal(p.steps[3], [-1.2, 0.1, 1.4])
    np.testing.assert_array_equal(p.steps[4, :2], [-0.6, 0.7])
    assert np.isnan(p.steps[4, 2])
    assert list(p.n_categories) == [2, 2, 2, 4, 3, 2]
    assert pool.items[0].params == {"a": 1.2, "b": -0.5}
    assert pool.items[2].params == {"a": 1.5, "b": 1.1, "c": 0.15, "d": 0.95}


def test_mirt_placeholders(tmp_path: Path) -> None:
    pool = _load(_write(tmp_path, MIRT_CSV))
    q1, q4, q5 = pool.items[0], pool.items[3], pool.items[4]
    assert q1.stem == "[stem belum diisi] Q1"
    assert q1.options == ("Pilihan 1", "Pilihan 2", "Pilihan 3", "Pilihan 4")
    assert q1.key == 0
    assert q4.options == ("Pilihan 1", "Pilihan 2", "Pilihan 3", "Pilihan 4")
    assert q4.option_weights == (1, 2, 3, 4)
    assert q5.option_weights == (1, 2, 3)
    # option k scores in category k
    assert [pool.score(3, k) for k in range(4)] == [0, 1, 2, 3]
    assert pool.content_areas == ("Umum",)
    assert {it.content_area for it in pool.items} == {"Umum"}


def test_mirt_grm_matches_mirt_graded_formula(tmp_path: Path) -> None:
    """mirt's graded model in slope-intercept form: P(X >= k) = logistic(a theta + d_k), d_k = -a b_k."""
    pool = _load(_write(tmp_path, MIRT_CSV))
    for index, (a, b) in {3: (1.1, [-1.2, 0.1, 1.4]), 4: (0.8, [-0.6, 0.7])}.items():
        d = -a * np.asarray(b)
        star = np.column_stack(
            [np.ones_like(THETAS)] + [_logistic(a * THETAS + dk) for dk in d] + [np.zeros_like(THETAS)]
        )
        expected = star[:, :-1] - star[:, 1:]
        ours = category_probabilities(THETAS, pool.params, np.full(THETAS.shape, index))
        np.testing.assert_allclose(ours[:, : len(b) + 1], expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-12)


def test_mirt_dichotomous_match_mirt_formula(tmp_path: Path) -> None:
    """mirt's 4PL (IRTpars): P = g + (u - g) / (1 + exp(-a (theta - b)))."""
    pool = _load(_write(tmp_path, MIRT_CSV))
    for index, (a, b, g, u) in {0: (1.2, -0.5, 0, 1), 1: (0.9, 0.3, 0.2, 1), 2: (1.5, 1.1, 0.15, 0.95)}.items():
        expected = g + (u - g) * _logistic(a * (THETAS - b))
        ours = category_probabilities(THETAS, pool.params, np.full(THETAS.shape, index))[:, 1]
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_mirt_header_variants_bom_empty_cells_a1_and_content_area(tmp_path: Path) -> None:
    text = "item,a1,b,g,u,b1,b2,content_area\nX1,1.3,0.2,,,,,Numerik\nX2,0.7,,,,-1,1,\nX3,1.1,-0.4,0.25,1,,,Verbal\n"
    pool = _load(_write(tmp_path, text, encoding="utf-8-sig"), content_area="Lainnya")
    assert [it.model for it in pool.items] == ["2PL", "GRM", "3PL"]
    assert [it.content_area for it in pool.items] == ["Numerik", "Lainnya", "Verbal"]
    assert pool.content_areas == ("Numerik", "Lainnya", "Verbal")
    np.testing.assert_array_equal(pool.params.a, [1.3, 0.7, 1.1])


@pytest.mark.parametrize("first", ['""', "item", "id", '"id"'])
def test_mirt_id_header_names(tmp_path: Path, first: str) -> None:
    pool = _load(_write(tmp_path, f"{first},a,b\nA,1.0,0.0\nB,1.4,1.0\n"))
    assert [it.id for it in pool.items] == ["A", "B"]
    assert [it.model for it in pool.items] == ["2PL", "2PL"]


def test_mirt_graded_only_pool_and_gpcm_option(tmp_path: Path) -> None:
    path = _write(tmp_path, '"","a","b1","b2","b3","b4"\n"S1",1.0,-2,-1,0.5,1.5\n"S2",1.6,-1.5,-0.2,0.9,2.2\n')
    assert [it.model for it in _load(path).items] == ["GRM", "GRM"]
    gpcm = _load(path, polytomous_model="GPCM")
    assert [it.model for it in gpcm.items] == ["GPCM", "GPCM"]
    assert list(gpcm.params.model) == [GPCM, GPCM]
    assert list(gpcm.params.n_categories) == [5, 5]


def test_mirt_options_and_calibration_note(tmp_path: Path) -> None:
    data = from_mirt_csv(
        _write(tmp_path, MIRT_CSV),
        pool_id="lit",
        pool_version="2026.1",
        name="Literasi",
        content_area="Kecakapan Digital",
        calibration_note="mirt 1.41, n = 2400",
        D=1.702,
    )
    assert data["pool_id"] == "lit" and data["pool_version"] == "2026.1" and data["name"] == "Literasi"
    assert data["calibration"]["note"] == "mirt 1.41, n = 2400"
    assert data["theta_scale"]["D"] == 1.702
    assert data["content_areas"] == ["Kecakapan Digital"]


def test_mirt_pool_saves_and_loads(tmp_path: Path) -> None:
    pool = _load(_write(tmp_path, MIRT_CSV))
    save_pool(pool, tmp_path / "pool.json")
    again = load_pool(tmp_path / "pool.json")
    assert again.to_dict() == pool.to_dict()
    np.testing.assert_array_equal(information(THETAS[:, None], again.params), information(THETAS[:, None], pool.params))


@pytest.mark.parametrize(
    ("text", "item_id", "field", "words"),
    [
        ('"","b","g"\n"Q1",0.1,0\n', None, "a", "missing column"),
        ('"","a","g"\n"Q1",1.0,0\n', None, "b", "missing column"),
        ('"","a","b"\n"Q1",1.0,0.1\n"Q2",abc,0.2\n', "Q2", "a", "not a number"),
        ('"","a","b"\n"Q1",1.0,0.1\n"Q2",1.0,Inf\n', "Q2", "b", "finite"),
        ('"","a","b"\n"Q1",1.0,0.1\n"Q1",1.1,0.2\n', "Q1", "id", "duplicate"),
        ('"","a","b"\n"Q1",NA,0.1\n', "Q1", "a", "missing value"),
        ('"","a","b"\n"Q1",1.0,NA\n', "Q1", "b", "missing value"),
        ('"","a","b"\n"Q1",-0.3,0.1\n', "Q1", "a", "> 0"),
        ('"","a","b","g"\n"Q1",1.0,0.1,1.2\n', "Q1", "g", "lower asymptote"),
        ('"","a","b","g","u"\n"Q1",1.0,0.1,0.3,0.2\n', "Q1", "u", "upper asymptote"),
        ('"","a","b1","b2","b3"\n"Q1",1.0,-1,0.5,0.2\n', "Q1", "b3", "strictly increasing"),
        ('"","a","b1","b2","b3"\n"Q1",1.0,-1,NA,0.2\n', "Q1", "b2", "between thresholds"),
        ('"","a","b","b1","b2"\n"Q1",1.0,0.3,-1,1\n', "Q1", "b", "either dichotomous or graded"),
        ('"","a","b1","b3"\n"Q1",1.0,-1,1\n', None, "b2", "skip"),
        ('"","a1","d","g","u"\n"Q1",1.0,0.3,0,1\n', None, "d", "IRTpars = TRUE"),
        ('"","a1","a2","b"\n"Q1",1.0,0.3,0\n', None, "a2", "multidimensional"),
        ('"","a","b","c"\n"Q1",1.0,0.3,0.2\n', None, "c", "unknown column"),
        ('"a","b"\n1.0,0.3\n', None, "a", "item id"),
        ('"","a","b"\n"Q1",1.0\n', "Q1", "<row>", "cells"),
        ('"","a","b"\n', None, "<file>", "no item rows"),
        ("", None, "<file>", "empty"),
    ],
)
def test_mirt_errors_name_item_and_field(
    tmp_path: Path, text: str, item_id: str | None, field: str, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PoolValidationError) as info:
        from_mirt_csv(path, pool_id="p", pool_version="1", name="P")
    err = info.value
    assert err.source == str(path)
    assert err.item_id == item_id
    assert err.field == field
    assert words in err.problem
    assert str(path) in str(err)


def test_mirt_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PoolValidationError) as info:
        from_mirt_csv(tmp_path / "nope.csv", pool_id="p", pool_version="1", name="P")
    assert info.value.field == "<file>"


# --- catsim ---------------------------------------------------------------------------------------------------


@pytest.fixture
def item_bank() -> Any:
    """catsim's ItemBank class (the catsim tests skip when catsim is not installed)."""
    module = pytest.importorskip("catsim.item_bank")
    return module.ItemBank


def test_catsim_4pl_bank_round_trips_information(item_bank: Any) -> None:
    bank = item_bank.generate_item_bank(50, "4PL", seed=7)
    data = from_catsim_matrix(bank.items[:, :4], pool_id="cs", pool_version="1", name="catsim")
    pool = Pool.from_dict(data)
    assert pool.size == 50
    assert {it.model for it in pool.items} == {"4PL"}
    assert pool.items[0].id == "cs-0001"
    np.testing.assert_array_equal(pool.params.catsim_matrix(), bank.items[:, :4])
    for theta in (-3.0, -1.0, -0.25, 0.0, 0.8, 2.0, 3.7):
        np.testing.assert_allclose(information(theta, pool.params), bank.information(theta), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(category_probabilities(theta, pool.params)[:, 1], bank.icc(theta), rtol=1e-12)


def test_catsim_item_bank_object_accepted(item_bank: Any) -> None:
    bank = item_bank.generate_item_bank(20, "3PL", seed=3)
    data = from_catsim_matrix(bank, pool_id="cs", pool_version="1", name="catsim")  # 5 columns incl. exposure
    pool = Pool.from_dict(data)
    assert {it.model for it in pool.items} == {"3PL"}
    np.testing.assert_allclose(information(0.4, pool.params), bank.information(0.4), rtol=1e-10)


@pytest.mark.parametrize(
    ("matrix", "models"),
    [
        ([[1.2, 0.0], [0.8, 1.0]], ["2PL", "2PL"]),
        ([[1.2, 0.0, 0.2], [0.8, 1.0, 0.0]], ["3PL", "2PL"]),
        ([[1.2, 0.0, 0.2, 1.0], [0.8, 1.0, 0.0, 0.97], [1.0, -1.0, 0.0, 1.0]], ["3PL", "4PL", "2PL"]),
        ([[0.3], [-0.4]], ["1PL", "1PL"]),
        ([1.1, 0.5, 0.1, 0.99], ["4PL"]),
    ],
)
def test_catsim_column_counts(item_bank: Any, matrix: list[object], models: list[str]) -> None:
    data = from_catsim_matrix(np.array(matrix), pool_id="cs", pool_version="1", name="catsim", ids=None)
    pool = Pool.from_dict(data)
    assert [it.model for it in pool.items] == models
    bank = item_bank(np.atleast_2d(np.array(matrix, dtype=float)))
    np.testing.assert_allclose(information(0.3, pool.params), bank.information(0.3), rtol=1e-10)


def test_catsim_custom_ids_and_area() -> None:
    data = from_catsim_matrix(
        [[1.0, 0.0], [1.5, 0.5]], pool_id="cs", pool_version="1", name="c", ids=["A", "B"], content_area="Verbal"
    )
    assert [it["id"] for it in data["items"]] == ["A", "B"]
    assert data["content_areas"] == ["Verbal"]
    assert data["theta_scale"]["D"] == 1.0


@pytest.mark.parametrize(
    ("matrix", "item_id", "field"),
    [
        ([[1.0, 0.0, 0.0, 1.0], [0.0, 0.5, 0.1, 1.0]], "cs-0002", "a"),
        ([[1.0, np.nan, 0.0, 1.0]], "cs-0001", "b"),
        ([[1.0, 0.0, -0.1, 1.0]], "cs-0001", "c"),
        ([[1.0, 0.0, 0.3, 0.2]], "cs-0001", "d"),
        ([[1.0, 0.0, 0.0, 1.2]], "cs-0001", "d"),
        (np.zeros((2, 6)), None, "<matrix>"),
        (np.zeros((0, 4)), None, "<matrix>"),
    ],
)
def test_catsim_errors_name_item_and_field(matrix: object, item_id: str | None, field: str) -> None:
    with pytest.raises(PoolValidationError) as info:
        from_catsim_matrix(matrix, pool_id="cs", pool_version="1", name="c")
    assert info.value.source == "<catsim matrix>"
    assert info.value.item_id == item_id
    assert info.value.field == field


def test_catsim_wrong_number_of_ids() -> None:
    with pytest.raises(PoolValidationError) as info:
        from_catsim_matrix([[1.0, 0.0]], pool_id="cs", pool_version="1", name="c", ids=["A", "B"])
    assert info.value.field == "ids"
