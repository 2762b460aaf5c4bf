"""Subgroup vs rest tests, chi-square, multiplicity, n < 30 flags and small-cell suppression."""

from __future__ import annotations

import copy
import gc
import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, norm
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from mhsurvey.codebook import parse_codebook
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.estimates import SurveyData, codebook_outcomes, estimates_table, settings_from_dict
from mhsurvey.inference import min_expected_vs_rest, withheld_vs_rest
from mhsurvey.schemas import validate_against
from mhsurvey.subgroups import (
    adjust_pvalues,
    adjusted_residual,
    check_subgroup_table,
    chi2_withheld,
    chi_square,
    resolve_breakdowns,
    subgroup_tests,
    suppress_table,
    z_test_vs_rest,
)
from mhsurvey.suppression import SuppressionResult, _NullSpace, _Table

# Five groups x (yes, no); group 1 stands out.
FIVE = np.array([[120, 180], [60, 240], [45, 255], [70, 230], [50, 250]])


# --------------------------------------------------------------------------- z vs rest


def test_z_vs_rest_known_answer():
    # group 1: p_g = 120/300 = .40, p_T = 345/1500 = .23;
    # z = (.40 - .23) / sqrt(.23 * .77 * (1/300 - 1/1500)) = .17 / sqrt(.1771 * 4/1500) = 7.822674769
    z, p = z_test_vs_rest(120, 300, 345, 1500)
    assert z == pytest.approx(7.822674769033072, abs=1e-9)
    assert p == pytest.approx(2 * norm.sf(7.822674769033072), rel=1e-9)


@pytest.mark.parametrize("g", range(5))
def test_z_vs_rest_equals_adjusted_residual_and_closed_form(g):
    x_t, n_t = int(FIVE[:, 0].sum()), int(FIVE.sum())
    x_g, n_g = int(FIVE[g, 0]), int(FIVE[g].sum())
    z, p = z_test_vs_rest(x_g, n_g, x_t, n_t)
    ref_z, ref_p = proportions_ztest([x_g, x_t - x_g], [n_g, n_t - n_g])
    assert z == pytest.approx(ref_z, abs=1e-9) and p == pytest.approx(ref_p, abs=1e-12)
    # Haberman's adjusted residual of cell (g, yes), statsmodels Table (no zero cells, shift unused)
    assert z == pytest.approx(Table(FIVE).standardized_resids[g, 0], abs=1e-9)
    assert z == pytest.approx(adjusted_residual(x_g, n_g, x_t, n_t), abs=1e-9)
    p_t = x_t / n_t  # docs/methods.md §2 closed form with the overlap correction
    closed = (x_g / n_g - p_t) / np.sqrt(p_t * (1 - p_t) * (1 / n_g - 1 / n_t))
    assert z == pytest.approx(closed, abs=1e-9)


def test_naive_independent_test_is_different():
    # treating the total as an independent sample (docs/methods.md §2, "wrong alternative") is too conservative
    z, _ = z_test_vs_rest(120, 300, 345, 1500)
    naive, _ = proportions_ztest([120, 345], [300, 1500])
    assert abs(naive) < abs(z) - 1


def test_z_vs_rest_degenerate_cases():
    assert all(np.isnan(z_test_vs_rest(5, 10, 5, 10)))  # no rest
    assert all(np.isnan(z_test_vs_rest(0, 10, 0, 100)))  # pooled share 0
    assert all(np.isnan(z_test_vs_rest(10, 10, 100, 100)))  # pooled share 1


# --------------------------------------------------------------------------- chi-square


def test_chi_square_hand_value():
    # E = [[12, 18], [28, 42]]: 4/12 + 4/18 + 4/28 + 4/42 = 0.7936507936...
    res = chi_square(np.array([[10, 20], [30, 40]]))
    assert res.statistic == pytest.approx(4 / 12 + 4 / 18 + 4 / 28 + 4 / 42, abs=1e-12)
    assert res.dof == 1 and res.share_expected_lt5 == 0.0


def test_chi_square_of_group_vs_rest_is_z_squared():
    t = np.array([FIVE[0], FIVE[1:].sum(axis=0)])
    z, _ = z_test_vs_rest(120, 300, 345, 1500)
    assert chi_square(t).statistic == pytest.approx(z * z, abs=1e-9)


def test_chi_square_matches_scipy_and_drops_empty_lines():
    t = np.array([[10, 0, 5, 3], [0, 0, 0, 0], [7, 0, 9, 12], [4, 0, 8, 2]])
    res = chi_square(t)
    ref = chi2_contingency(t[[0, 2, 3]][:, [0, 2, 3]], correction=False)
    assert (res.statistic, res.dof, res.p_value) == pytest.approx(
        (ref.statistic, ref.dof, ref.pvalue), abs=1e-12
    )
    assert np.isnan(chi_square(np.array([[5, 5], [0, 0]])).statistic)


# --------------------------------------------------------------------------- multiplicity


def test_holm_and_bh_known_answers():
    p = [0.01, 0.04, 0.03, 0.2]
    # Holm: sorted .01*4=.04, .03*3=.09, .04*2=.08 -> running max .09, .2*1=.2
    assert adjust_pvalues(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.2], abs=1e-12)
    # BH: .01*4/1=.04, .03*4/2=.06, .04*4/3=.0533, .2 -> running min from the top
    assert adjust_pvalues(p, "fdr_bh") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2], abs=1e-12)
    # not statsmodels' default (Holm-Sidak: 1 - .99**4 = .0394)
    assert multipletests(p)[1][0] == pytest.approx(1 - 0.99**4, abs=1e-12)
    assert gc.get_freeze_count() == 0


def test_adjustment_ignores_untested_levels():
    out = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    assert np.isnan(out[1]) and out[[0, 2]] == pytest.approx([0.02, 0.04], abs=1e-12)
    assert np.isnan(adjust_pvalues([np.nan], "fdr_bh")).all()
    with pytest.raises(ConfigError):
        adjust_pvalues([0.1], "hs")


# --------------------------------------------------------------------------- suppression


def _entries(shape, groups, col_totals):
    """Every entry a table publishes, as (name, list of cells it sums) - independent of the code."""
    g, k = shape
    ents = {("cell", i, j): [(i, j)] for i in range(g) for j in range(k)}
    if g > 1:
        ents.update({("row", i): [(i, j) for j in range(k)] for i in range(g)})
        if col_totals:
            ents.update({("col", j): [(i, j) for i in range(g)] for j in range(k)})
    ents.update({("merged", i, m): [(i, j) for j in s] for i in range(g) for m, s in enumerate(groups)})
    if col_totals and g > 1:
        ents.update(
            {("merged_total", m): [(i, j) for i in range(g) for j in s] for m, s in enumerate(groups)}
        )
    ents[("grand",)] = [(i, j) for i in range(g) for j in range(k)]
    return ents


def _hidden_names(res, shape, groups, col_totals):
    g, k = shape
    names = {("cell", i, j) for i in range(g) for j in range(k) if res.cells[i, j]}
    if g > 1:
        names |= {("row", i) for i in range(g) if res.row_totals[i]}
        if col_totals:
            names |= {("col", j) for j in range(k) if res.col_totals[j]}
            names |= {("merged_total", m) for m in range(len(groups)) if res.merged_totals[m]}
    names |= {("merged", i, m) for i in range(g) for m in range(len(groups)) if res.merged[i, m]}
    return names


def assert_no_hidden_entry_recomputable(counts, groups=(), col_totals=True, min_count=1, max_count=4):
    """Run suppression, then show for every hidden entry another table with the same published values.

    The witness is a perturbation v in {-1, 0, 1} of the hidden cells that leaves every published
    entry unchanged, keeps all cells >= 0 and changes the hidden entry.
    """
    counts = np.asarray(counts)
    res = suppress_table(counts, groups, min_count, max_count, col_totals=col_totals)
    assert res.unprotected == ()
    ents = _entries(counts.shape, groups, col_totals)
    hidden = _hidden_names(res, counts.shape, groups, col_totals)
    for name, cells in ents.items():  # every sensitive entry is hidden
        if name != ("grand",) and min_count <= sum(counts[c] for c in cells) <= max_count:
            assert name in hidden, name
    hcells = [(n[1], n[2]) for n in hidden if n[0] == "cell"]
    assert all(counts[c] > 0 for c in hcells)  # no zero is used as a complement
    vs = np.array(list(itertools.product((-1, 0, 1), repeat=len(hcells))))
    idx = {c: i for i, c in enumerate(hcells)}

    def change(cells):
        cols = [idx[c] for c in cells if c in idx]
        return vs[:, cols].sum(axis=1) if cols else np.zeros(len(vs), dtype=int)

    ok = np.ones(len(vs), dtype=bool)
    for name, cells in ents.items():
        if name not in hidden:
            ok &= change(cells) == 0
    ok &= (np.array([counts[c] for c in hcells]) + vs >= 0).all(axis=1) if hcells else ok
    for name in hidden:
        assert (ok & (change(ents[name]) != 0)).any(), f"{name} can be recomputed"
    return res, hidden


def test_suppression_two_small_cells():
    res, hidden = assert_no_hidden_entry_recomputable([[2, 7, 9], [6, 3, 8], [10, 12, 15]])
    assert {("cell", 0, 0), ("cell", 1, 1)} <= hidden
    assert res.cells.sum() >= 4  # each hidden cell needs a partner in its row and column


def test_suppression_with_merged_sums_published():
    res, hidden = assert_no_hidden_entry_recomputable([[1, 8, 20], [9, 15, 30], [12, 2, 25]], groups=[(0, 1)])
    assert {("cell", 0, 0), ("cell", 2, 1)} <= hidden


def test_suppression_one_row_table_with_merged_sum():
    # 3 is sensitive; 7 alone would not protect it because 3 + 50 (merged) and 50 are published
    res, hidden = assert_no_hidden_entry_recomputable([[3, 50, 40, 7]], groups=[(0, 1)], col_totals=False)
    assert hidden == {("cell", 0, 0), ("cell", 0, 1)}


def test_suppression_of_a_small_level():
    # level 0 has n = 3 (itself sensitive); its row total must be hidden with another one
    res, hidden = assert_no_hidden_entry_recomputable([[3, 0], [20, 30], [25, 22]])
    assert ("row", 0) in hidden and res.row_totals.sum() >= 2


def test_suppression_nothing_to_do_and_unprotectable():
    res = suppress_table(np.array([[20, 30], [40, 50]]))
    assert not res.cells.any() and not res.row_totals.any()
    res = suppress_table(np.array([[3]]), col_totals=False)  # a single cell equals the public total
    assert res.unprotected


def _random_table(rng: np.random.Generator, max_g: int = 4, max_k: int = 5):
    """A random count table with small cells, zeros, merged cell sets and one-row tables."""
    g = int(rng.integers(1, max_g + 1))
    k = int(rng.integers(1, max_k + 1))
    counts = rng.choice([0, 0, 1, 2, 3, 4, 5, 7, 12, 30], size=(g, k))
    groups = [
        tuple(sorted(rng.choice(k, size=int(rng.integers(2, k + 1)), replace=False).tolist()))
        for _ in range(int(rng.integers(0, 3)) if k >= 2 else 0)
    ]
    col_totals = bool(rng.random() < 0.7) if g > 1 else False
    return counts, groups, col_totals


def _hidden_entries(res: SuppressionResult, t: _Table) -> set[int]:
    out = set()
    for mask, ix in (
        (res.cells, t.cell),
        (res.row_totals, t.row),
        (res.col_totals, t.col),
        (res.merged, t.merged),
        (res.merged_totals, t.merged_total),
    ):
        out |= {int(e) for e in np.asarray(ix)[np.asarray(mask, dtype=bool)]}
    return out


@pytest.mark.parametrize("seed", range(6))
def test_fast_suppression_protects_every_hidden_entry_by_lp(seed):
    """Audit of the null-space path by linear programming: every hidden entry has a range > 0.5."""
    rng = np.random.default_rng(seed)
    for _ in range(15):
        counts, groups, col_totals = _random_table(rng, max_g=6, max_k=6)
        res = suppress_table(counts, groups, col_totals=col_totals)
        t = _Table(counts, groups, col_totals)
        hidden = _hidden_entries(res, t)
        assert all(t.values[e] > 0 for e in hidden)  # zeros are never hidden
        for e in hidden:
            lo, hi = t.bounds(e, hidden)
            assert hi - lo > 0.5 or str(t.names[e]) in res.unprotected, (counts, groups, t.names[e])
        sensitive = {e for e in range(len(t.names)) if 1 <= t.values[e] <= 4 and e != t.grand}
        assert sensitive <= hidden


@pytest.mark.parametrize("seed", range(3))
def test_fast_suppression_hides_what_the_lp_procedure_hides(seed):
    """Same decisions as the LP path step by step, so the same hidden pattern (small tables)."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(10):
        counts, groups, col_totals = _random_table(rng, max_g=3, max_k=4)
        fast = suppress_table(counts, groups, col_totals=col_totals)
        slow = suppress_table(counts, groups, col_totals=col_totals, method="lp")
        for field in ("cells", "row_totals", "col_totals", "merged", "merged_totals"):
            assert np.array_equal(getattr(fast, field), getattr(slow, field)), (counts, groups, col_totals)
        assert fast.unprotected == slow.unprotected


@pytest.mark.parametrize("seed", range(3))
def test_null_space_component_is_exactly_a_positive_lp_range(seed):
    """The lemma of mhsurvey.suppression on random hidden sets of positive entries."""
    rng = np.random.default_rng(200 + seed)
    for _ in range(20):
        counts, groups, col_totals = _random_table(rng, max_g=5, max_k=5)
        counts = counts + 1  # all entries positive
        t = _Table(counts, groups, col_totals)
        pool = [e for e in range(len(t.names)) if e != t.grand]
        hidden = {int(e) for e in rng.choice(pool, size=int(rng.integers(1, len(pool) + 1)), replace=False)}
        ns = _NullSpace(t, hidden)
        bounds = ns.range_lower_bounds()
        for e in sorted(hidden):
            lo, hi = t.bounds(e, hidden)
            lb = bounds[ns.pos[e]]
            assert (hi - lo > 1e-7) == (lb > 0), (counts, t.names[e], lo, hi, lb)
            assert lb <= hi - lo + 1e-7  # a lower bound


def test_incremental_complement_test_agrees_with_a_fresh_null_space():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(60):
        counts, groups, col_totals = _random_table(rng, max_g=5, max_k=5)
        t = _Table(counts, groups, col_totals)
        hidden = {e for e in range(len(t.names)) if 1 <= t.values[e] <= 4 and e != t.grand}
        if not hidden:
            continue
        ns = _NullSpace(t, hidden)
        pinned = [int(e) for e in ns.h if ns.range_lower_bounds()[ns.pos[int(e)]] == 0]
        for e in pinned:
            cands = t.candidates(e, hidden)
            if not cands:
                continue
            fast = ns.unpins(e, cands)
            for c, ok in zip(cands, fast, strict=True):
                fresh = _NullSpace(t, hidden | {c})
                assert ok == (fresh.range_lower_bounds()[fresh.pos[e]] > 0)
                checked += 1
    assert checked > 50


def test_unprotectable_entries_are_listed_and_logged(caplog):
    with caplog.at_level("WARNING", logger="mhsurvey.subgroups"):
        res = suppress_table(np.array([[3, 0]]), col_totals=False)  # 3 = the public grand total
    assert res.unprotected == ("('cell', 0, 0)",) and res.cells[0, 0]
    assert "cannot protect" in caplog.text
    with pytest.raises(ValueError, match="method"):
        suppress_table(np.array([[3, 5]]), method="simplex")


def test_suppression_auto_follows_the_synthetic_flag(tmp_path):
    from mhsurvey.estimate_settings import suppression_on, synthetic_from_summary

    assert suppression_on("auto", False) and not suppression_on("auto", True) and suppression_on("auto", None)
    assert suppression_on(True, True) and not suppression_on(False, False)
    cfg = copy.deepcopy(SETTINGS)
    cfg["suppression"]["enabled"] = "auto"
    validate_against(cfg, "estimates.schema.yaml", "test")
    assert settings_from_dict(cfg, synthetic=False).suppression.enabled
    assert not settings_from_dict(cfg, synthetic=True).suppression.enabled
    assert settings_from_dict(cfg, synthetic=True).suppression.configured == "auto"
    summary = tmp_path / "cleaning_summary.json"
    summary.write_text('{"data": {"synthetic": true}}', encoding="utf-8")
    assert synthetic_from_summary(summary) is True
    summary.write_text('{"data": {}}', encoding="utf-8")
    with pytest.raises(InputDataError, match="synthetic"):
        synthetic_from_summary(summary)
    cfg["suppression"]["enabled"] = "sometimes"
    with pytest.raises(ConfigError):
        validate_against(cfg, "estimates.schema.yaml", "test")


# --------------------------------------------------------------------------- the subgroup table

CODEBOOK = {
    "survey": "sub",
    "title_no": "T",
    "title_en": "T",
    "export": {"id_column": "id"},
    "questions": [
        {
            "id": "gender",
            "type": "single",
            "text_no": "Kjønn",
            "text_en": "Gender",
            "breakdown": "gender",
            "codes": [
                {"code": 1, "no": "Mann", "en": "Man"},
                {"code": 2, "no": "Kvinne", "en": "Woman"},
                {"code": 99, "no": "Ønsker ikke svare", "en": "No answer", "nonsubstantive": True},
            ],
        },
        {
            "id": "region",
            "type": "single",
            "text_no": "Region",
            "text_en": "Region",
            "breakdown": "region",
            "codes": [
                {"code": 1, "no": "KRUS", "en": "KRUS"},
                {"code": 3, "no": "Nord", "en": "North"},
                {"code": 7, "no": "Øst", "en": "East"},
            ],
        },
        {
            "id": "safety",
            "type": "grid",
            "text_no": "Trygg",
            "text_en": "Safe",
            "codes": [{"code": c, "no": f"k{c}", "en": f"c{c}"} for c in (1, 2, 3, 4, 5)],
            "items": [{"id": "work", "no": "Trygg på jobb", "en": "Safe at work"}],
        },
    ],
}
SETTINGS = {
    "confidence_level": 0.95,
    "report_z": 2.0,
    "base": {"include_nonsubstantive": True, "include_nonsubstantive_levels": False},
    "significance": {"alpha": 0.05, "adjust": "holm", "min_n": 30, "min_expected": 0, "chi2_min_expected": 0},
    "suppression": {"enabled": False, "min_count": 1, "max_count": 4},
    "margins_table": {"n": [100], "p": [0.5]},
    "merged_categories": [
        {"id": "agree", "no": "Helt eller delvis enig", "columns": ["safety_*"], "codes": [1, 2]}
    ],
    "breakdowns": [
        {"id": "gender", "codebook_breakdown": "gender"},
        {"id": "region", "codebook_breakdown": "region"},
    ],
}


def _settings(**changes):
    data = copy.deepcopy(SETTINGS)
    data.update(changes)
    validate_against(data, "estimates.schema.yaml", "<test>")
    return settings_from_dict(data)


def _responses(small_cells: bool = False):
    # KRUS: 20, all "Helt enig"; Nord: 100, 80 x 1 and 20 x 5; Øst: 180, 54 x 2 and 126 x 4.
    # With small_cells: 3 of KRUS answer 3 and 2 of Øst answer 3 instead (cells of 3 and 2).
    region = [1] * 20 + [3] * 100 + [7] * 180
    safety = [1] * 20 + [1] * 80 + [5] * 20 + [2] * 54 + [4] * 126
    if small_cells:
        safety[:3] = [3, 3, 3]
        safety[120:122] = [3, 3]
    gender = [(1 if i % 2 else 2) if i % 50 else 99 for i in range(300)]
    return pd.DataFrame(
        {
            "rid": pd.array([f"p{i:03d}" for i in range(300)], dtype="string"),
            "gender": pd.array(gender, dtype="Int64"),
            "region": pd.array(region, dtype="Int64"),
            "safety_work": pd.array(safety, dtype="Int64"),
        }
    )


def _run(settings, small_cells: bool = False, full: bool = False):
    cb = parse_codebook(copy.deepcopy(CODEBOOK))
    data = SurveyData(_responses(small_cells), None, cb)
    outcomes = codebook_outcomes(cb, settings)
    est, totals = estimates_table(data, outcomes, settings, "sub")
    bds = resolve_breakdowns(cb, data, settings, "sub")
    sub = subgroup_tests(data, outcomes, bds, totals, settings, "sub")
    return (est, sub, outcomes, bds) if full else (est, sub)


def test_coverage_and_flag_check():
    _, sub, outcomes, bds = _run(_settings(), full=True)
    assert check_subgroup_table(sub, outcomes, bds, 30) == []
    # every outcome category x every breakdown, except an outcome crossed with itself
    assert len(sub) == sum(
        len(o.categories) * len(b.levels) for o in outcomes for b in bds if b.column != o.variable
    )
    dropped = sub[~((sub["variable"] == "safety_work") & (sub["breakdown"] == "gender"))]
    assert any("safety_work=agree by gender" in p for p in check_subgroup_table(dropped, outcomes, bds, 30))
    flipped = sub.copy()
    flipped.loc[flipped["n"] == 20, "small_n"] = 0
    assert any("small_n inconsistent" in p for p in check_subgroup_table(flipped, outcomes, bds, 30))


def test_subgroup_rows_flags_and_tests():
    _, sub = _run(_settings())
    agree = sub[
        (sub["variable"] == "safety_work") & (sub["category"] == "agree") & (sub["breakdown"] == "region")
    ]
    agree = agree.set_index("level")
    # KRUS: n = 20 < 30 -> shown (100 %), flagged, not tested, never significant
    krus = agree.loc["1"]
    assert (krus["n"], krus["count"], krus["small_n"], krus["tested"], krus["significant"]) == (
        20,
        20,
        1,
        0,
        0,
    )
    assert krus["pct"] == 100.0 and np.isnan(krus["z"]) and np.isnan(krus["p_value"])
    # totals: agree = 20 + 80 + 54 = 154 of 300
    assert (agree["total_count"] == 154).all() and (agree["total_n"] == 300).all()
    nord = agree.loc["3"]
    z, p = proportions_ztest([80, 154 - 80], [100, 200])
    assert nord["z"] == pytest.approx(z, abs=1e-9) and nord["p_value"] == pytest.approx(p, abs=1e-12)
    assert nord["diff_pp"] == pytest.approx(80 - 100 * 154 / 300, abs=1e-9)
    assert nord["rest_pct"] == pytest.approx(100 * 74 / 200, abs=1e-9)
    # family = the two tested regions; Holm over them
    holm = multipletests([nord["p_value"], agree.loc["7", "p_value"]], method="holm")[1]
    assert (nord["p_holm"], agree.loc["7", "p_holm"]) == pytest.approx(tuple(holm), abs=1e-12)
    assert (agree["family_size"] == 2).all()
    assert (nord["significant"], nord["direction"], agree.loc["7", "direction"]) == (1, "higher", "lower")
    # whole-table chi-square: regions x codes (1, 2, 4, 5 observed)
    t = np.array([[20, 0, 0, 0], [80, 0, 0, 20], [0, 54, 126, 0]])
    assert agree["chi2"].iloc[0] == pytest.approx(chi2_contingency(t, correction=False).statistic, abs=1e-9)
    # gender 99 is not a level, but stays in the total and in "the rest"
    g = sub[
        (sub["variable"] == "safety_work") & (sub["category"] == "agree") & (sub["breakdown"] == "gender")
    ]
    assert set(g["level"]) == {"1", "2"} and (g["total_n"] == 300).all()
    assert (g["rest_n"] == 300 - g["n"]).all()


def test_subgroup_adjustment_choice_drives_significance():
    _, sub_none = _run(
        _settings(
            significance={
                "alpha": 0.05,
                "adjust": "none",
                "min_n": 30,
                "min_expected": 0,
                "chi2_min_expected": 0,
            }
        )
    )
    _, sub_holm = _run(_settings())
    assert (sub_none["adjust_method"] == "none").all()
    tested = sub_none["tested"] == 1
    assert (sub_none.loc[tested, "significant"] == (sub_none.loc[tested, "p_value"] < 0.05)).all()
    assert (sub_holm.loc[tested, "significant"] == (sub_holm.loc[tested, "p_holm"] < 0.05)).all()
    assert sub_none["significant"].sum() >= sub_holm["significant"].sum()


def test_small_n_is_never_significant_whatever_the_threshold():
    _, sub = _run(
        _settings(
            significance={
                "alpha": 0.05,
                "adjust": "none",
                "min_n": 101,
                "min_expected": 0,
                "chi2_min_expected": 0,
            }
        )
    )
    assert (sub.loc[sub["small_n"] == 1, "significant"] == 0).all()
    assert (sub.loc[sub["n"] < 101, "small_n"] == 1).all()
    assert sub.loc[(sub["breakdown"] == "region") & (sub["level"] == "3"), "small_n"].eq(1).all()


def test_subgroup_suppression_hides_cells_and_chi_square():
    sup = _settings(suppression={"enabled": True, "min_count": 1, "max_count": 4})
    est, sub = _run(sup, small_cells=True)
    # no published count of 1-4 anywhere (cells, level bases, totals, estimates)
    for col in ("count", "n", "total_count"):
        vals = sub[col].dropna()
        assert not ((vals >= 1) & (vals <= 4)).any(), col
    vals = est["count"].dropna()
    assert not ((vals >= 1) & (vals <= 4)).any()
    region = sub[(sub["variable"] == "safety_work") & (sub["breakdown"] == "region")]
    cell = region.set_index(["level", "category"])
    assert cell.loc[("1", "3"), "suppressed"] == 1 and cell.loc[("7", "3"), "suppressed"] == 1
    hidden = region[region["suppressed"] == 1]
    assert hidden[["count", "pct", "z", "p_value", "diff_pp", "wilson_low"]].isna().all().all()
    assert region["chi2"].isna().all()  # the statistic would reveal the hidden cells
    # the same data without suppression publish those cells, and the region table has a chi-square
    _, plain = _run(_settings(), small_cells=True)
    plain_region = plain[(plain["variable"] == "safety_work") & (plain["breakdown"] == "region")]
    assert plain_region.set_index(["level", "category"]).loc[("1", "3"), "count"] == 3
    assert plain_region["chi2"].notna().all() and plain["suppressed"].sum() == 0


def test_a_hidden_level_base_gets_no_flag_or_reason_that_hints_at_it():
    sup = _settings(suppression={"enabled": True, "min_count": 1, "max_count": 4})
    _, sub, outcomes, bds = _run(sup, small_cells=True, full=True)
    hidden = sub[sub["n"].isna()]
    assert len(hidden) and set(hidden["level"]) == {"1", "3"}  # region levels whose base is hidden
    # published: n < 30 or not, and "subgroup_n" as the reason, would both bound the hidden n
    assert hidden["small_n"].isna().all() and (hidden["withheld"] == "suppressed").all()
    assert hidden["rest_n"].isna().all() and (hidden["tested"] == 0).all()
    shown = sub[sub["n"].notna()]
    assert shown["small_n"].notna().all()
    assert (shown["small_n"] == (shown["n"] < 30).astype(int)).all()
    assert check_subgroup_table(sub, outcomes, bds, 30) == []
    leaky = sub.copy()
    leaky.loc[leaky["n"].isna(), "small_n"] = 1
    assert any("hidden n but a small_n flag" in p for p in check_subgroup_table(leaky, outcomes, bds, 30))
    # without suppression the same rows are published with their flags
    _, plain = _run(_settings(), small_cells=True)
    same = plain.loc[hidden.index]
    assert same["n"].notna().all() and same["small_n"].notna().all()
    assert set(same["withheld"]) != {"suppressed"}


# --------------------------------------------------------------------------- tests withheld (min_n both sides, expected counts)


def test_withheld_rules_known_answers():
    # N = 100 respondents, 20 in the category (p_T = .2); min_n = 30, min_expected = 5
    n_g = np.array([0, 10, 29, 30, 70, 71, 80, 100])
    got = withheld_vs_rest(20, n_g, 100, min_n=30, min_expected=5)
    # n_g = 30 and 70: smallest expected count min(30, 70) * .2 = 6 >= 5 -> tested;
    # n_g = 71: rest 29 < 30; n_g = 100: rest 0
    assert list(got) == ["n_zero", "subgroup_n", "subgroup_n", "", "", "rest_n", "rest_n", "rest_n"]
    # a rare category: x_T = 10 of 100 -> smallest E = min(n_g, rest) * .1 = 4 at n_g = 40 (< 5), 5 at 50
    assert list(withheld_vs_rest(10, np.array([40, 50, 60]), 100, 30, 5)) == [
        "expected_count",
        "",
        "expected_count",
    ]
    # the expected-count rule off: a category nobody (or everybody) chose has no variance
    assert list(withheld_vs_rest(np.array([0, 100, 50]), np.array([40, 40, 40]), 100, 30, 0)) == [
        "no_variance",
        "no_variance",
        "",
    ]


@pytest.mark.parametrize("n_g,x_t,n_t", [(40, 10, 100), (30, 3, 1000), (900, 2, 1000), (1721, 1700, 1725)])
def test_min_expected_vs_rest_is_the_smallest_expected_count_of_the_2x2_table(n_g, x_t, n_t):
    x_g = max(x_t - (n_t - n_g), min(n_g, x_t) // 2)
    table = np.array([[x_g, n_g - x_g], [x_t - x_g, n_t - n_g - (x_t - x_g)]])
    expected = chi2_contingency(table, correction=False).expected_freq
    assert min_expected_vs_rest(n_g, x_t, n_t) == pytest.approx(expected.min(), rel=1e-12)


def _big_and_tiny_rest():
    # 1,725 respondents: region Øst 1,721 (the whole sample but 4), Nord 4 (KRUS none). Øst agrees
    # 800/1,721 against 4/4 in the rest: the old guard (subgroup n only) tested Øst against a rest
    # of 4 and called it significantly lower (pooled z = -2.14, p = .032).
    region = [7] * 1721 + [3] * 4
    safety = [1] * 800 + [4] * 921 + [1] * 4
    return pd.DataFrame(
        {
            "rid": pd.array([f"p{i:04d}" for i in range(1725)], dtype="string"),
            "gender": pd.array([1 + i % 2 for i in range(1725)], dtype="Int64"),
            "region": pd.array(region, dtype="Int64"),
            "safety_work": pd.array(safety, dtype="Int64"),
        }
    )


def _run_frame(settings, frame):
    cb = parse_codebook(copy.deepcopy(CODEBOOK))
    data = SurveyData(frame, None, cb)
    outcomes = codebook_outcomes(cb, settings)
    est, totals = estimates_table(data, outcomes, settings, "sub")
    bds = resolve_breakdowns(cb, data, settings, "sub")
    return subgroup_tests(data, outcomes, bds, totals, settings, "sub"), outcomes, bds


def test_a_level_is_never_tested_against_a_tiny_rest():
    sig = {"alpha": 0.05, "adjust": "none", "min_n": 30, "min_expected": 0, "chi2_min_expected": 0}
    sub, outcomes, bds = _run_frame(_settings(significance=sig), _big_and_tiny_rest())
    rows = sub[
        (sub["variable"] == "safety_work") & (sub["category"] == "agree") & (sub["breakdown"] == "region")
    ]
    rows = rows.set_index("level")
    ost, nord, krus = rows.loc["7"], rows.loc["3"], rows.loc["1"]
    assert (ost["n"], ost["rest_n"], ost["small_n"]) == (1721, 4, 0)
    assert (ost["withheld"], ost["tested"], ost["significant"]) == ("rest_n", 0, 0)
    assert np.isnan(ost["z"]) and np.isnan(ost["p_value"])
    # what the old guard would have done: the pooled z-test against the rest of 4 is "significant"
    z, p = proportions_ztest([800, 4], [1721, 4])
    assert p == pytest.approx(0.0321077, abs=1e-6)
    assert (nord["withheld"], krus["withheld"], krus["n"]) == ("subgroup_n", "n_zero", 0)
    assert (rows["family_size"] == 0).all()
    assert check_subgroup_table(sub, outcomes, bds, 30) == []
    forged = sub.copy()
    forged.loc[(forged["rest_n"] < 30) & (forged["n"] >= 30), ["tested", "withheld"]] = [1, ""]
    assert any("rest n < 30 tested" in p for p in check_subgroup_table(forged, outcomes, bds, 30))


def test_expected_counts_withhold_tests_and_shrink_the_holm_family():
    # regions KRUS 20, Nord 100, Øst 180 of the fixture; category "k3" (code 3) chosen by 5 of 300
    frame = _responses(small_cells=True)  # code 3: 3 in KRUS, 2 in Øst
    base = {"alpha": 0.05, "adjust": "holm", "min_n": 30, "chi2_min_expected": 0}
    off, _, _ = _run_frame(_settings(significance={**base, "min_expected": 0}), frame)
    on, _, _ = _run_frame(_settings(significance={**base, "min_expected": 5}), frame)

    def pick(sub, cat):
        r = sub[
            (sub["variable"] == "safety_work") & (sub["category"] == cat) & (sub["breakdown"] == "region")
        ]
        return r.set_index("level")

    k3_off, k3_on = pick(off, "3"), pick(on, "3")
    # p_T = 5/300: smallest expected count of Nord vs rest = 100 * 5/300 = 1.67 < 5
    assert list(k3_off.loc[["3", "7"], "withheld"]) == ["", ""]
    assert list(k3_on.loc[["3", "7"], "withheld"]) == ["expected_count", "expected_count"]
    assert (k3_on["tested"] == 0).all() and (k3_on["family_size"] == 0).all()
    # "agree" (154 of 300): smallest expected count 100 * 146/300 = 48.7 -> still tested, same p
    ag_off, ag_on = pick(off, "agree"), pick(on, "agree")
    assert list(ag_on.loc[["3", "7"], "withheld"]) == ["", ""]
    assert ag_on.loc["3", "p_value"] == ag_off.loc["3", "p_value"]


def test_omnibus_chi_square_withheld_on_small_expected_counts():
    t = np.array([[20, 0, 0, 0], [80, 0, 0, 20], [0, 54, 126, 0]])
    chi = chi_square(t)
    expected = chi2_contingency(t, correction=False).expected_freq
    assert chi.min_expected == pytest.approx(expected.min(), rel=1e-12)  # 20 * 20/300 = 1.33
    assert chi2_withheld(chi, False, 5) == "expected_count"
    assert chi2_withheld(chi, False, 1) == ""
    assert chi2_withheld(chi, True, 0) == "suppressed"
    assert chi2_withheld(chi_square(np.array([[3, 4]])), False, 0) == "too_few_lines"
    base = {"alpha": 0.05, "adjust": "holm", "min_n": 30, "min_expected": 0}
    strict, _, _ = _run_frame(_settings(significance={**base, "chi2_min_expected": 5}), _responses())
    loose, _, _ = _run_frame(_settings(significance={**base, "chi2_min_expected": 1}), _responses())
    sel = (strict["variable"] == "safety_work") & (strict["breakdown"] == "region")
    assert (strict.loc[sel, "chi2_withheld"] == "expected_count").all() and strict.loc[
        sel, "chi2"
    ].isna().all()
    assert (loose.loc[sel, "chi2_withheld"] == "").all()
    assert loose.loc[sel, "chi2"].iloc[0] == pytest.approx(chi.statistic, abs=1e-9)


def test_a_named_level_without_respondents_is_shown_with_n_zero():
    frame = _responses()
    cb = parse_codebook(copy.deepcopy(CODEBOOK))
    scores = pd.DataFrame(
        {"rid": frame["rid"].astype(str), "flag": ["1" if i < 120 else "" for i in range(300)]}
    )
    settings = _settings(
        breakdowns=[{"id": "flag", "scores_column": "flag", "labels": {"1": "Ja", "0": "Nei"}}]
    )
    data = SurveyData(frame, scores, cb)
    outcomes = codebook_outcomes(cb, settings)
    est, totals = estimates_table(data, outcomes, settings, "sub")
    bds = resolve_breakdowns(cb, data, settings, "sub")
    assert [lv.key for lv in bds[0].levels] == ["0", "1"]
    sub = subgroup_tests(data, outcomes, bds, totals, settings, "sub")
    nobody = sub[sub["level"] == "0"]
    assert len(nobody) and (nobody["n"] == 0).all() and (nobody["withheld"] == "n_zero").all()
    assert (nobody["tested"] == 0).all() and (nobody["level_label_no"] == "Nei").all()


def test_array_table_equals_the_per_row_statsmodels_reference():
    # every row of the vectorised table against one scalar statsmodels call per row and per family
    sig = {"alpha": 0.05, "adjust": "holm", "min_n": 30, "min_expected": 5, "chi2_min_expected": 0}
    est, sub = _run(_settings(significance=sig), small_cells=True)
    assert (sub["tested"] == 1).sum() > 5 and (sub["withheld"] != "").sum() > 5
    for _, fam in sub.groupby(["variable", "category", "breakdown"], sort=False):
        p_ref = np.full(len(fam), np.nan)
        for i, r in enumerate(fam.itertuples()):
            lo, hi = (
                proportion_confint(int(r.count), int(r.n), alpha=0.05, method="wilson")
                if r.n
                else (np.nan,) * 2
            )
            if r.n:
                assert (r.wilson_low, r.wilson_high) == pytest.approx((100 * lo, 100 * hi), abs=1e-12)
            if r.tested:
                z, p = proportions_ztest([r.count, r.total_count - r.count], [r.n, r.total_n - r.n])
                assert abs(r.z - z) <= 1e-12 and abs(r.p_value - p) <= 1e-12
                p_ref[i] = p
            else:
                assert np.isnan(r.z) and np.isnan(r.p_value) and r.withheld != ""
        ok = ~np.isnan(p_ref)
        holm = np.full(len(fam), np.nan)
        bh = np.full(len(fam), np.nan)
        if ok.any():
            holm[ok] = multipletests(p_ref[ok], method="holm")[1]
            bh[ok] = multipletests(p_ref[ok], method="fdr_bh")[1]
        assert np.allclose(fam["p_holm"], holm, atol=1e-12, equal_nan=True)
        assert np.allclose(fam["p_bh"], bh, atol=1e-12, equal_nan=True)
        assert (fam["family_size"] == ok.sum()).all()
