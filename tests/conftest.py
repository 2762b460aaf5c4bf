"""Shared fixtures: a small hand-made export written in every supported format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mhsurvey.clean import CleaningSettings, TargetGroup
from mhsurvey.codebook import load_codebook

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]

COLUMNS = [
    "respondent_id",
    "submitted",
    "status",
    "email",
    "gender",
    "direct_contact",
    "incidents_threat",
    "incidents_violence",
    "incidents_other",
    "incidents_other_text",
    "incidents_none",
    "incident_freq_threat",
    "incident_freq_violence",
    "gad7_1",
    "gad7_2",
    "trust",
    "comment",
]
# Eleven submissions. Expected: rows 3 (no direct contact), 4 (status partial), 5 (superseded by
# row 6, same id) and 10 (required questions unanswered) are excluded; row 8 answers a frequency
# it was not asked (blanked); row 9 ticks "none" with a threat; row 11 skips an asked frequency.
ROWS = [
    [
        "101",
        "2023-02-01T10:00:00",
        "completed",
        "a@example.invalid",
        "1",
        "1",
        "1",
        "0",
        "0",
        "",
        "0",
        "2",
        "",
        "1",
        "2",
        "7",
        "Bra undersøkelse, særlig spørsmålene om støtte på jobben.",
    ],
    [
        "102",
        "2023-02-01T11:00:00",
        "completed",
        "b@example.invalid",
        "2",
        "1",
        "0",
        "1",
        "0",
        "",
        "0",
        "",
        "1",
        "0",
        "0",
        "5",
        "",
    ],
    [
        "103",
        "2023-02-02T09:30:00",
        "completed",
        "c@example.invalid",
        "1",
        "2",
        "0",
        "0",
        "0",
        "",
        "1",
        "",
        "",
        "1",
        "1",
        "8",
        "",
    ],
    [
        "104",
        "2023-02-02T12:00:00",
        "partial",
        "d@example.invalid",
        "2",
        "1",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "105",
        "2023-02-03T08:00:00",
        "completed",
        "e@example.invalid",
        "1",
        "1",
        "0",
        "0",
        "0",
        "",
        "1",
        "",
        "",
        "0",
        "1",
        "6",
        "",
    ],
    [
        "105",
        "2023-02-10T08:00:00",
        "completed",
        "e@example.invalid",
        "2",
        "1",
        "0",
        "0",
        "0",
        "",
        "1",
        "",
        "",
        "0",
        "1",
        "6",
        "",
    ],
    [
        "107",
        "2023-02-11T14:00:00",
        "completed",
        "g@example.invalid",
        "99",
        "1",
        "1",
        "1",
        "1",
        "Ble dyttet i gangen på vei ut",
        "0",
        "97",
        "1",
        "3",
        "99",
        "98",
        "Spørsmålene om søvn var vanskelige å svare på.",
    ],
    [
        "108",
        "2023-02-12T15:00:00",
        "completed",
        "h@example.invalid",
        "2",
        "1",
        "0",
        "1",
        "0",
        "",
        "0",
        "2",
        "3",
        "2",
        "2",
        "4",
        "",
    ],
    [
        "109",
        "2023-02-13T16:00:00",
        "completed",
        "i@example.invalid",
        "1",
        "1",
        "1",
        "0",
        "0",
        "",
        "1",
        "1",
        "",
        "1",
        "0",
        "9",
        "",
    ],
    [
        "110",
        "2023-02-14T17:00:00",
        "completed",
        "j@example.invalid",
        "",
        "1",
        "0",
        "0",
        "0",
        "",
        "1",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "111",
        "2023-02-15T18:00:00",
        "completed",
        "k@example.invalid",
        "1",
        "1",
        "0",
        "1",
        "0",
        "",
        "0",
        "",
        "",
        "1",
        "1",
        "0",
        "Ærlig talt: ønsker mer oppfølging.",
    ],
]
NUMERIC = [c for c in COLUMNS if c not in ("submitted", "status", "email", "incidents_other_text", "comment")]


def fixture_frame() -> pd.DataFrame:
    """The fixture export as a DataFrame of strings ('' = empty cell)."""
    return pd.DataFrame(ROWS, columns=COLUMNS)


def numeric_frame() -> pd.DataFrame:
    """The fixture with numeric columns as floats (NaN = empty), as Excel/SPSS hold them."""
    df = fixture_frame()
    for c in NUMERIC:
        df[c] = pd.to_numeric(df[c].replace("", np.nan))
    return df


def write_csv_variant(path: Path, sep: str = ",", encoding: str = "utf-8") -> Path:
    """Write the fixture as delimited text in the given separator and encoding."""
    fixture_frame().to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator="\r\n")
    return path


def write_xlsx(path: Path) -> Path:
    """Write the fixture as an .xlsx workbook (numbers as numbers)."""
    numeric_frame().to_excel(path, index=False, engine="openpyxl")
    return path


def write_sav(path: Path) -> Path:
    """Write the fixture as SPSS .sav with value labels and 99/97/98 as user-missing codes."""
    import pyreadstat

    df = numeric_frame()
    labels = {
        "gender": {1.0: "Mann", 2.0: "Kvinne", 99.0: "Ønsker ikke svare"},
        "gad7_1": {0.0: "Ikke i det hele tatt", 99.0: "Ønsker ikke svare"},
    }
    missing = {
        "gender": [99],
        "gad7_1": [99],
        "gad7_2": [99],
        "trust": [98, 99],
        "incident_freq_threat": [97],
        "incident_freq_violence": [97],
    }
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels, missing_ranges=missing)
    return path


@pytest.fixture(scope="session")
def mini_codebook():
    return load_codebook(FIXTURES / "mini_codebook.yaml")


@pytest.fixture
def mini_settings() -> CleaningSettings:
    return CleaningSettings(
        pseudonym_key="test-key-123",
        target_group=TargetGroup("direct_contact", (1,)),
        min_required_share=0.8,
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The default target (every stage, figures and report) built once, in a scratch work directory
    that links the repository's inputs; shared by the end-to-end tests."""
    import os
    import subprocess
    import sys

    if not (REPO / "data" / "synthetic" / "current_export.csv").exists():
        pytest.skip("synthetic exports not generated")
    work = tmp_path_factory.mktemp("pipeline")
    for name in ("Snakefile", "workflow", "config", "data"):
        (work / name).symlink_to(REPO / name)
    (work / "reports").mkdir()
    (work / "reports" / "templates").symlink_to(REPO / "reports" / "templates")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(bin_dir / "snakemake"), "--cores", "2", "--quiet", "all"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    return work
