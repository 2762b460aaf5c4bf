"""02_scores/levels.csv: stage 02 publishes the labels of derived levels, stage 04 reads them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mhsurvey.dictionary import check_documented, write_dictionary
from mhsurvey.errors import InputDataError
from mhsurvey.io import write_csv
from mhsurvey.level_labels import derived_labels, read_levels
from mhsurvey.scoring import LEVEL_COLUMNS, levels_docs, levels_table, load_scoring_rules

REPO = Path(__file__).resolve().parents[1]
RULES = load_scoring_rules(REPO / "config" / "scoring.yaml")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return levels_table(RULES)


def test_every_named_level_of_the_scoring_config_is_a_row(table):
    assert list(table.columns) == list(LEVEL_COLUMNS)
    bands = table[table["column"] == "dass_stress_band"]
    assert list(bands["code"]) == ["normal", "mild", "moderate", "severe", "extremely_severe"]
    assert list(bands["label_no"]) == [
        "Innenfor normalområdet",
        "Mild",
        "Moderat",
        "Alvorlig",
        "Svært alvorlig",
    ]
    assert list(bands["label_en"]) == ["Normal", "Mild", "Moderate", "Severe", "Extremely severe"]
    assert list(bands["order"]) == [1, 2, 3, 4, 5]
    trust = table[table["column"] == "trust_category"].set_index("code")
    assert (
        trust.loc["high", "label_no"] == "Høy tillit (8-10)" and trust.loc["low", "label_en"] == "Low trust"
    )
    tenure = table[table["column"] == "tenure_group"]
    assert list(tenure["code"]) == ["1", "2", "3", "4", "5"]
    assert tenure["label_no"].iloc[0] == "Inntil 4 år" and tenure["label_en"].iloc[4] == "More than 20 years"
    assert set(tenure["column_label_no"]) == {"Fartstid"} and set(tenure["kind"]) == {"grouping"}
    conditions = table[table["kind"] == "condition"]
    assert len(conditions) == 2 * len(RULES["derived"]["conditions"]["columns"])
    cptsd = conditions[conditions["column"] == "condition_cptsd"]
    assert list(cptsd["code"]) == ["1", "0"]
    assert list(cptsd["label_en"]) == ["Within the criteria", "Outside the criteria"]
    assert set(cptsd["column_label_en"]) == {"CPTSD (complex PTSD)"}
    assert (table["label_no"] != "").all() and (table["label_en"] != "").all()
    assert not table.duplicated(["column", "code"]).any()


def test_columns_absent_from_the_survey_are_left_out():
    t = levels_table(RULES, ["rid", "dass_stress_band", "condition_ptsd"])
    assert set(t["column"]) == {"dass_stress_band", "condition_ptsd"}


def test_round_trip_through_the_csv_and_the_stage04_reader(table, tmp_path):
    path = tmp_path / "levels.csv"
    write_csv(table, path)
    write_dictionary(levels_docs(), tmp_path / "levels.dictionary.csv", table)
    check_documented(table, levels_docs(), "levels")
    labels = derived_labels(read_levels(path))
    # the same labels the scoring config gives (the old direct parse of config/scoring.yaml)
    ins, der = RULES["instruments"], RULES["derived"]
    assert labels.values["no"]["dass_stress_band"] == {
        b["name"]: b["label_no"] for b in ins["dass_stress"]["bands"]
    }
    assert labels.values["en"]["trust_category"] == {
        c["name"]: c["label_en"] for c in ins["trust"]["categories"]
    }
    assert labels.values["no"]["leader"] == {
        "1": "Leder-/veiledningsansvar",
        "0": "Uten leder-/veiledningsansvar",
    }
    assert labels.values["no"]["condition_anxiety"] == {
        str(k): v for k, v in der["conditions"]["value_labels"].items()
    }
    assert labels.names["no"]["condition_anxiety"] == "Angst"
    assert labels.names["en"]["tenure_group"] == "Tenure"
    assert derived_labels(None).values == {"no": {}, "en": {}}


def test_reader_names_the_bad_row(table, tmp_path):
    bad = table.copy()
    bad.loc[3, "label_en"] = ""
    write_csv(bad, tmp_path / "a.csv")
    with pytest.raises(InputDataError) as err:
        read_levels(tmp_path / "a.csv")
    assert err.value.row == 4 and err.value.column == "label_en"
    dup = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    write_csv(dup, tmp_path / "b.csv")
    with pytest.raises(InputDataError, match="duplicated"):
        read_levels(tmp_path / "b.csv")
    write_csv(table.drop(columns=["label_en"]), tmp_path / "c.csv")
    with pytest.raises(InputDataError, match="lacks columns"):
        read_levels(tmp_path / "c.csv")


# --------------------------------------------------------------------------- English labels next to Norwegian ones


def test_sensitivity_levels_are_labelled_in_both_languages():
    from test_scoring_support import codebook, random_responses

    from mhsurvey.scoring import sensitivity_table

    sens = sensitivity_table(random_responses(60, seed=5), codebook(), RULES)
    band = sens[(sens["classification"] == "dass_stress_band") & (sens["level"] == "extremely_severe")].iloc[
        0
    ]
    assert (band["level_label_no"], band["level_label_en"]) == ("Svært alvorlig", "Extremely severe")
    trust = sens[(sens["classification"] == "trust_category") & (sens["level"] == "medium")].iloc[0]
    assert (trust["level_label_no"], trust["level_label_en"]) == ("Middels tillit (5-7)", "Medium trust")
    cases = sens[sens["level"] == "case"]
    assert len(cases) and (cases["level_label_no"] == "").all() and (cases["level_label_en"] == "").all()


def test_reliability_tables_carry_scale_and_item_labels():
    from test_scoring_support import codebook, random_responses

    from mhsurvey.reliability import item_statistics_table, reliability_table

    r = load_scoring_rules(REPO / "config" / "scoring.yaml")
    r["reliability"]["bootstrap_reps"] = 0
    cb, sample = codebook(), random_responses(80, seed=2)
    rel = reliability_table(sample, cb, r).set_index("scale")
    assert rel.loc["gad7", "label_no"] == "GAD-7 angst" and rel.loc["gad7", "label_en"] == "GAD-7 anxiety"
    assert (rel["label_no"] != "").all() and (rel["label_en"] != "").all()
    items = item_statistics_table(sample, cb, r)
    first = items[items["scale"] == "gad7"].iloc[0]
    col = cb.column(first["item"])
    assert (first["label_no"], first["label_en"]) == (col.label_no, col.label_en)
