"""Seeded cell-level corruption of the fixture export in every format, through the command line.

Whatever lands in a cell (odd numbers, labels, control characters, huge values, formulas, broken
dates), the run either succeeds with every raw row accounted for (kept + excluded = raw), or
stops with exit status 2 and one message naming the file, never a traceback and never output.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import yaml
from conftest import FIXTURES, fixture_frame, numeric_frame

from mhsurvey.cli import main

TEXT_TOKENS = [
    "",
    " ",
    "nan",
    "NA",
    "1e400",
    "-0",
    "0x10",
    "١",
    "２",
    "½",
    "∞",
    "x" * 140_000,
    '"',
    '""',
    "True",
    "1.0",
    "2.00",
    "99.0",
    "-1",
    "+1",
    "1,0",
    "9" * 40,
    "\x00",
    "\ufeff1",
    "1\u00a0",
    "=1+1",
    "@x",
    "2023-13-45",
    "2023-02-01T10:00:00+02:00",
    "3.5",
    " 1 ",
    "a\nb",
    "\r",
    ";",
    ",",
    "\t",
    "ø",
]
NUMBER_TOKENS = [np.nan, 1e300, -1.0, 0.5, 2.0, 1e20, float("inf"), 99.0, 97.0, 3.0]


def _corrupt(seed: int, fmt: str, tmp):
    rng = random.Random(seed)
    df = (fixture_frame() if fmt == "csv" else numeric_frame()).astype(object)
    for _ in range(rng.randint(1, 4)):
        r, c = rng.randrange(len(df)), rng.randrange(len(df.columns))
        numeric = fmt != "csv" and rng.random() < 0.5
        df.iat[r, c] = rng.choice(NUMBER_TOKENS if numeric else TEXT_TOKENS)
    path = tmp / f"fuzz.{fmt}"
    if fmt == "csv":
        text = df.to_csv(sep=rng.choice([";", ",", "\t"]), index=False)
        path.write_bytes(text.encode(rng.choice(["utf-8", "utf-8-sig", "utf-16"])))
    elif fmt == "xlsx":
        df.where(df.map(lambda v: not (isinstance(v, str) and "\x00" in v)), "x").to_excel(path, index=False)
    else:
        import pyreadstat

        for col in df.columns:
            if any(isinstance(v, str) for v in df[col]):
                df[col] = df[col].map(
                    lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                )
            else:
                df[col] = df[col].astype(float)
        pyreadstat.write_sav(df, str(path))
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
@pytest.mark.parametrize("seed", range(10))
def test_corrupted_cells_exit_0_reconciled_or_2_located(tmp_path, capsys, fmt, seed):
    export = _corrupt(seed * 7919 + len(fmt), fmt, tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "surveys": {
                    "mini": {
                        "export": str(export),
                        "codebook": str(FIXTURES / "mini_codebook.yaml"),
                        "target_group": {"column": "direct_contact", "keep": [1]},
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    outdir = tmp_path / "out"
    status = main(["clean", "--survey", "mini", "--config", str(cfg), "--outdir", str(outdir)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert status in (0, 2), captured.err
    if status == 2:
        lines = [ln for ln in captured.err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and f"file {export}" in lines[0]
        assert not outdir.exists()
    else:
        summary = json.loads((outdir / "cleaning_summary.json").read_text(encoding="utf-8"))
        assert summary["raw_rows"] == 11 == summary["kept"] + summary["excluded"]
