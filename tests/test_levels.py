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
    assert list(bands["label_no"]) == ["Innenfor normalområdet", "Mild", "Moderat", "Alvorlig", "Svært alvorlig"]
    assert list(bands["label_en"]) == ["Normal", "Mild", "Moderate", "Severe", "Extremely severe"]
    assert list(bands["order"]) == [1, 2, 3, 4, 5]
    trust = table[table["column"] == "trust_category"].set_index("code")
    assert trust.loc["high", "label_no"] == "Høy tillit (8-10)" and trust.loc["low", "label_en"] == "Low trust"
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
    assert labels.values["no"]["dass_stress_band"] == {b["name"]: b["label_no"] for b in ins["dass_stress"]["bands"]}
    assert labels.values["en"]["trust_category"] == {c["name"]: c["label_en"] for c in ins["trust"]["categories"]}
    assert labels.values["no"]["leader"] == {"1": "Leder-/veiledningsansvar", "0": "Uten leder-/veiledningsansvar"}
    assert labels.values["no"]["condition_anxiety"] == {str(k): v for k, v in der["conditions"]["value_labels"].items()}
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

