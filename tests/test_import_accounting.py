"""Every raw row is accounted for (blank records too); exclusion lists, sheets and partial configs."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
import yaml
from conftest import FIXTURES, REPO, fixture_frame, numeric_frame, write_csv_variant

from mhsurvey.clean import clean_export, clean_survey, read_exclusion_list, settings_from_config
from mhsurvey.cli import main
from mhsurvey.codebook import parse_codebook
from mhsurvey.config import deep_merge, load_config
from mhsurvey.errors import ConfigError, InputDataError
from mhsurvey.readers import read_export


def _reconciles(result) -> None:
    s = result.summary
    assert s["raw_rows"] == s["kept"] + s["excluded"] == len(result.responses) + len(result.exclusions)
    assert s["reconciles"]


def test_blank_csv_records_are_listed(tmp_path, mini_codebook, mini_settings):
    lines = fixture_frame().to_csv(sep=";", index=False, lineterminator="\n").split("\n")
    # blank records after data rows 2 and 5 (one empty line, one line of delimiters), two at the end
    lines = lines[:3] + [""] + lines[3:6] + [";" * 16] + lines[6:-1] + [" ; ;", ""] + [""]
    path = tmp_path / "blank.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = clean_survey(path, mini_codebook, mini_settings)
    _reconciles(result)
    s = result.summary
    assert s["raw_rows"] == 15 and s["blank_records"] == 4 and s["excluded_by_rule"]["blank_record"] == 4
    blank = result.exclusions[result.exclusions["rule"] == "blank_record"]
    assert blank["raw_row"].tolist() == [3, 7, 14, 15]
    assert (blank["rid"] == "").all() and blank["reason"].str.startswith("blank record").all()
    # the other rows keep their position in the file: fixture row 3 (excluded, target group) is raw row 4
    excl = result.exclusions.set_index("raw_row")
    assert excl.loc[4, "rule"] == "target_group" and excl.loc[6, "rule"] == "duplicate"
    assert s["kept"] == 7


def test_blank_records_in_excel_and_spss(tmp_path, mini_codebook, mini_settings):
    import pyreadstat

    df = numeric_frame()
    with_blank = df.reindex([0, 1, 2, 3, -1, *range(4, len(df))]).reset_index(drop=True)  # row 5 blank
    xlsx = tmp_path / "b.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        with_blank.to_excel(xw, index=False, sheet_name="Data")
        # formatted but empty rows below the data are not records
        xw.sheets["Data"].cell(row=40, column=3).number_format = "0.00"
    sav = tmp_path / "b.sav"
    sav_df = with_blank.copy()
    for c in ("submitted", "status", "email", "incidents_other_text", "comment"):
        sav_df[c] = sav_df[c].fillna("")
    pyreadstat.write_sav(sav_df, str(sav))
    for path in (xlsx, sav):
        result = clean_survey(path, mini_codebook, mini_settings)
        _reconciles(result)
        assert result.summary["raw_rows"] == 12 and result.summary["blank_records"] == 1, path
        assert result.exclusions.set_index("raw_row").loc[5, "rule"] == "blank_record", path
        assert result.summary["kept"] == 7


def test_trailing_delimiter_columns_are_not_an_error(tmp_path, mini_codebook, mini_settings):
    """Excel pads every line with a trailing ';' when the sheet had an empty column."""
    text = fixture_frame().to_csv(sep=";", index=False, lineterminator="\n")
    path = tmp_path / "pad.csv"
    path.write_text("".join(line + ";\n" for line in text.splitlines()), encoding="utf-8")
    result = clean_survey(path, mini_codebook, mini_settings)
    ref = clean_survey(write_csv_variant(tmp_path / "ref.csv"), mini_codebook, mini_settings)
    pd.testing.assert_frame_equal(result.responses, ref.responses)


@pytest.mark.parametrize(
    "rule, settings_change, says",
    [
        ("target_group", {"target_group": None}, None),
        ("configured_exclusion", {}, "rule 'configured_exclusion' excluded all 3"),
        ("incomplete", {}, "rule 'incomplete' excluded all 3"),
    ],
)
def test_no_respondent_left_names_the_rule(
    tmp_path, mini_codebook, mini_settings, rule, settings_change, says
):
    df = fixture_frame().iloc[[0, 1, 8]].copy()  # three clean, kept rows: 101, 102, 109
    settings = replace(mini_settings, **settings_change)
    if rule == "target_group":
        df["direct_contact"] = "2"
        settings = mini_settings
        says = "rule 'target_group' excluded all 3"
    elif rule == "configured_exclusion":
        settings = replace(settings, exclusions=(("101", "a"), ("102", "b"), ("109", "c")))
    else:
        df["status"] = "partial"
    path = tmp_path / "three.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputDataError, match="no respondent is left") as info:
        clean_survey(path, mini_codebook, settings)
    assert says in str(info.value) and info.value.file == str(path)


def test_routing_exclusion_of_the_last_respondents(tmp_path, mini_codebook, mini_settings):
    df = fixture_frame().iloc[[7]].copy()  # row 108 answers a frequency it was not asked
    path = tmp_path / "one.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputDataError, match="rule 'routing' excluded all 1"):
        clean_survey(path, mini_codebook, replace(mini_settings, routing_violation="exclude"))


@pytest.mark.parametrize("variant", ["semicolon_cp1252", "comma_bom", "tab_utf16", "xlsx", "float_ids_xlsx"])
def test_exclusion_list_read_like_an_export(tmp_path, mini_codebook, mini_settings, variant):
    # (pandas writes a text starting with "=" to Excel as a formula, so the xlsx lists avoid it)
    second = "ønsket slettet" if "xlsx" in variant else "=ønsket slettet"
    excl = pd.DataFrame({"respondent_id": ["111", "102"], "reason": ["trakk samtykket", second]})
    if variant == "semicolon_cp1252":
        path = tmp_path / "ex.csv"
        excl.to_csv(path, sep=";", index=False, encoding="cp1252")
    elif variant == "comma_bom":
        path = tmp_path / "ex.csv"
        excl.to_csv(path, index=False, encoding="utf-8-sig")
    elif variant == "tab_utf16":
        path = tmp_path / "ex.txt"
        excl.to_csv(path, sep="\t", index=False, encoding="utf-16")
    elif variant == "xlsx":
        path = tmp_path / "ex.xlsx"
        excl.to_excel(path, index=False)
    else:
        path = tmp_path / "ex.xlsx"
        excl.assign(respondent_id=[111.0, 102.0]).to_excel(path, index=False)
    listed = read_exclusion_list(path)
    assert listed == (("111", "trakk samtykket"), ("102", second))
    result = clean_survey(
        write_csv_variant(tmp_path / "e.csv"), mini_codebook, replace(mini_settings, exclusions=listed)
    )
    _reconciles(result)
    conf = result.exclusions[result.exclusions["rule"] == "configured_exclusion"]
    assert conf["raw_row"].tolist() == [2, 11] and result.summary["kept"] == 5


def test_exclusion_list_edge_cases(tmp_path):
    empty = tmp_path / "none.csv"
    empty.write_text("respondent_id;reason\n", encoding="utf-8")
    assert read_exclusion_list(empty) == ()
    bad = tmp_path / "bad.csv"
    bad.write_text("id;why\n101;x\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['reason', 'respondent_id'\]") as info:
        read_exclusion_list(bad)
    assert info.value.file == str(bad)
    gap = tmp_path / "gap.csv"
    gap.write_text("respondent_id;reason\n101;x\n\n;y\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="respondent id is empty") as info:
        read_exclusion_list(gap)
    assert info.value.row == 3


def test_export_sheet_by_name_and_index(tmp_path, mini_settings):
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({"Om": ["Eksport"]}).to_excel(xw, sheet_name="Forside", index=False)
        numeric_frame().to_excel(xw, sheet_name="Svar", index=False)
    ref = clean_survey(write_csv_variant(tmp_path / "ref.csv"), parse_codebook(data, "mini"), mini_settings)
    for sheet in ("Svar", 1):
        data["export"]["sheet"] = sheet
        cb = parse_codebook(data, "mini")
        result = clean_survey(path, cb, mini_settings)
        pd.testing.assert_frame_equal(result.responses, ref.responses)
        assert result.summary["export"]["sheet"] == "Svar"
    for bad in ("", -1, 1.5):
        data["export"]["sheet"] = bad
        with pytest.raises(ConfigError, match="export.sheet"):
            parse_codebook(data, "mini")


def test_reader_library_exceptions_become_located_errors(tmp_path, monkeypatch):
    import openpyxl
    import pyreadstat
    from conftest import write_sav, write_xlsx

    def boom(*a, **k):
        raise ValueError("something deep inside the library")

    sav, xlsx = write_sav(tmp_path / "a.sav"), write_xlsx(tmp_path / "a.xlsx")
    monkeypatch.setattr(pyreadstat, "read_sav", boom)
    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    for path in (sav, xlsx):
        with pytest.raises(InputDataError, match="ValueError: something deep") as info:
            read_export(path)
        assert info.value.file == str(path)
    import mhsurvey.readers as readers

    for exc in (OverflowError("too big"), KeyError("x"), UnicodeError("u"), RecursionError("r")):

        def raiser(*a, exc=exc, **k):
            raise exc

        monkeypatch.setattr(readers, "read_csv_export", raiser)
        with pytest.raises(InputDataError, match=type(exc).__name__):
            read_export(write_csv_variant(tmp_path / "c.csv"))


def test_deep_merge_is_snakemakes():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2, "c": {"z": 1}}
    over = {"a": {"y": [3]}, "c": None, "d": {"n": 1}}
    assert deep_merge(base, over) == {"a": {"x": 1, "y": [3]}, "b": 2, "c": None, "d": {"n": 1}}
    assert base["a"]["y"] == [1, 2]  # inputs untouched


def test_partial_config_merged_over_defaults(tmp_path, capsys):
    export = write_csv_variant(tmp_path / "wave.csv", ";", "cp1252")
    excl = tmp_path / "withdrawn.csv"
    excl.write_text("respondent_id;reason\n111;trakk samtykket\n", encoding="cp1252")
    cfg = tmp_path / "my_wave.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "surveys": {
                    "current": {
                        "export": str(export),
                        "codebook": str(FIXTURES / "mini_codebook.yaml"),
                        "exclusions": str(excl),
                        "target_group": {"column": "direct_contact", "keep": [1]},
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    merged = load_config(cfg)
    defaults = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert (
        merged["cleaning"] == defaults["cleaning"]
        and merged["surveys"]["former"] == defaults["surveys"]["former"]
    )
    assert settings_from_config(merged, "current").exclusions == (("111", "trakk samtykket"),)
    out = tmp_path / "check"
    assert main(["clean", "--survey", "current", "--config", str(cfg), "--outdir", str(out)]) == 0
    assert "kept 6" in capsys.readouterr().out
    summary = json.loads((out / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["excluded_by_rule"]["configured_exclusion"] == 1
    with pytest.raises(ConfigError, match="'cleaning' is a required property"):
        load_config(cfg, defaults=None)  # alone it is incomplete


def test_partial_config_with_a_misspelt_key_exits_2(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("cleaning:\n  duplicate_idz: error\n", encoding="utf-8")
    assert main(["clean", "--survey", "current", "--config", str(cfg), "--outdir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "duplicate_idz" in err and "Traceback" not in err
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert (
        main(["clean", "--survey", "current", "--config", str(empty), "--outdir", str(tmp_path / "o")]) == 2
    )
    assert "is empty" in capsys.readouterr().err


def test_header_row_numbers_with_quoted_newlines(tmp_path, mini_codebook, mini_settings):
    """Raw row numbers count records, not lines: a comment with a line break does not shift them."""
    df = fixture_frame()
    df.loc[0, "comment"] = "Første linje\nandre linje"
    path = tmp_path / "nl.csv"
    df.to_csv(path, index=False)
    raw = read_export(path)
    assert list(raw.frame.index) == list(range(1, 12))
    result = clean_export(raw, mini_codebook, mini_settings)
    assert result.exclusions.set_index("raw_row").loc[3, "rule"] == "target_group"
    assert "Første linje\nandre linje" in set(result.comments["text"])


def test_spss_float_status_and_ids(tmp_path, mini_settings):
    """SPSS stores a numeric status 1 as 1.0 and ids as 101.0: complete_values ["1"] still match."""
    import pyreadstat

    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"]["complete_values"] = ["1"]
    cb = parse_codebook(data, "mini")
    df = numeric_frame()
    df["status"] = df["status"].map({"completed": 1.0, "partial": 2.0})
    df["respondent_id"] = df["respondent_id"].astype(float)
    path = tmp_path / "status.sav"
    pyreadstat.write_sav(df, str(path))
    result = clean_survey(path, cb, mini_settings)
    ref = clean_survey(
        write_csv_variant(tmp_path / "ref.csv"),
        parse_codebook(yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8")), "mini"),
        mini_settings,
    )
    pd.testing.assert_frame_equal(result.responses, ref.responses)
    assert result.exclusions.set_index("raw_row").loc[4, "detail"] == "status=2"


def test_old_mac_line_endings(tmp_path, mini_codebook, mini_settings):
    path = tmp_path / "cr.csv"
    path.write_text(fixture_frame().to_csv(sep=";", index=False, lineterminator="\r"), encoding="utf-8")
    result = clean_survey(path, mini_codebook, mini_settings)
    ref = clean_survey(write_csv_variant(tmp_path / "ref.csv"), mini_codebook, mini_settings)
    pd.testing.assert_frame_equal(result.responses, ref.responses)


def test_yaml_boolean_recode_key_is_refused():
    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"]["recode"] = yaml.safe_load("{direct_contact: {yes: 1, no: 2}}")
    with pytest.raises(ConfigError, match="YAML boolean"):
        parse_codebook(data, "mini")


def test_header_names_compare_in_nfc(tmp_path, mini_settings):
    import unicodedata

    data = yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8"))
    data["export"]["rename"] = {"trust": "tillit_å"}  # NFC in the codebook
    cb = parse_codebook(data, "mini")
    df = fixture_frame().rename(
        columns={"trust": unicodedata.normalize("NFD", "tillit_å")}
    )  # NFD in the file
    path = tmp_path / "nfd.csv"
    df.to_csv(path, index=False)
    ref = clean_survey(
        write_csv_variant(tmp_path / "ref.csv"),
        parse_codebook(yaml.safe_load((FIXTURES / "mini_codebook.yaml").read_text(encoding="utf-8")), "mini"),
        mini_settings,
    )
    pd.testing.assert_frame_equal(clean_survey(path, cb, mini_settings).responses, ref.responses)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav", "odd_dates"])
def test_successful_cli_run_prints_nothing_on_stderr(tmp_path, capsys, fmt):
    from conftest import write_sav, write_xlsx

    if fmt == "csv":
        export = write_csv_variant(tmp_path / "e.csv")
    elif fmt == "xlsx":
        export = write_xlsx(tmp_path / "e.xlsx")
    elif fmt == "sav":
        export = write_sav(tmp_path / "e.sav")
    else:  # a format pandas cannot infer (it would warn "could not infer format")
        df = fixture_frame()
        df["submitted"] = ["01.02.2023 10:00", "2023-02-01 11:00", *df["submitted"][2:]]
        export = tmp_path / "dates.csv"
        df.to_csv(export, index=False)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"surveys": {"mini": {"export": str(export), "codebook": str(FIXTURES / "mini_codebook.yaml")}}}
        )
    )
    status = main(["clean", "--survey", "mini", "--config", str(cfg), "--outdir", str(tmp_path / "o")])
    captured = capsys.readouterr()
    if fmt == "odd_dates":
        assert status == 2 and "not a date-time" in captured.err and "row 2" in captured.err
        assert "Warning" not in captured.err
        return
    assert status == 0 and captured.err == ""
    assert "raw rows 11" in captured.out


def test_norwegian_day_first_times_order_duplicates(tmp_path, mini_codebook, mini_settings):
    """``02.03.2023`` is 2 March (day first), later than ``10.02.2023``: id 105's row 5 is kept.

    Read month first (pandas' default) row 5 would be 3 February and row 6 2 October.
    """
    df = fixture_frame()
    df["submitted"] = [f"{d:02d}.02.2023 10:00" for d in range(1, 12)]
    df.loc[4, "submitted"], df.loc[5, "submitted"] = "02.03.2023 08:00", "10.02.2023 08:00"
    path = tmp_path / "nb.csv"
    df.to_csv(path, sep=";", index=False)
    result = clean_survey(path, mini_codebook, mini_settings)
    excl = result.exclusions.set_index("raw_row")
    assert excl.loc[6, "rule"] == "duplicate" and excl.loc[6, "detail"] == "superseded by raw row 5"
