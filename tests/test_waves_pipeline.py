"""Several waves end to end (the session build `built`): the extra wave's survey key resolves
through the same rules, the comparison exists and finds the generator's configured changes, and
both report editions carry the wave-comparison appendix."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

WAVE = "waves/2025/current"
COMPARISON = "results/waves/compare/2023-2025/current/comparison.csv"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"[ \t\r\n]+", " ", " ".join(p.parts))  # keeps the thin spaces of numbers


def test_extra_wave_builds_under_its_own_key(built):
    root = built / "results" / WAVE
    for f in (
        "01_clean/responses.csv",
        "02_scores/scores.csv",
        "03_reliability/reliability.csv",
        "04_estimates/estimates.csv",
    ):
        assert (root / f).exists(), f
    for rule in ("clean", "score", "reliability", "estimates"):
        assert (built / "logs" / WAVE / f"{rule}.log").exists(), rule
        assert (built / "logs" / "benchmarks" / WAVE / f"{rule}.tsv").exists(), rule
    assert not (root / "05_figures").exists()  # no figures for further waves in the default build
    summary = json.loads((root / "01_clean" / "cleaning_summary.json").read_text(encoding="utf-8"))
    assert summary["data"]["synthetic"] is True and summary["data"]["checksum_matches"] is True
    est = pd.read_csv(root / "04_estimates" / "estimates.csv", dtype={"category": str})
    assert set(est["survey"]) == {"current"}  # the survey kind, used for config lookups
    assert summary["kept"] == est.loc[(est["variable"] == "gender")].iloc[0]["base_n"]


def test_comparison_finds_the_configured_changes(built):
    t = pd.read_csv(built / COMPARISON, dtype={"category": str}).set_index(["variable", "category"])
    assert (built / COMPARISON.replace(".csv", ".dictionary.csv")).exists()
    # configured in config/simulation/waves/2025/current.yaml: +6 points to safety_work = 4,
    # +5 to safety_afraid_violence = 1, +4 GAD-7 cases (report rule)
    for key, pp in (
        (("safety_work", "4"), 6),
        (("safety_afraid_violence", "1"), 5),
        (("gad7_case_report", "1"), 4),
    ):
        row = t.loc[key]
        assert row["change_pp"] == pytest.approx(pp, abs=0.6), key
        assert row["significant"] == 1, key
    # an outcome the generator did not change stays put and is not significant
    assert abs(t.loc[("phq9_case_report", "1"), "change_pp"]) < 1.5
    assert t.loc[("phq9_case_report", "1"), "significant"] == 0
    assert set(t["withheld"].dropna()) <= {"suppressed", "n_zero", "wave_n", "expected_count", "no_variance"}


@pytest.mark.parametrize(
    "edition, heading, counts",
    [
        (
            "rapport",
            "Vedlegg 6: Endring fra måling til måling",
            "Fra 2023 til 2025 er {sig} av {tested} testede",
        ),
        ("report_en", "Appendix 6: Change from wave to wave", "From 2023 to 2025, {sig} of {tested} tested"),
    ],
)
def test_report_has_the_wave_appendix(built, edition, heading, counts):
    text = text_of(built / "reports" / f"{edition}.html")
    t = pd.read_csv(built / COMPARISON)
    sub = t[t["nonsubstantive"] == 0]
    sig, tested = int(sub["significant"].sum()), int(sub["tested"].sum())
    fmt = (lambda n: f"{n:,}".replace(",", "\u202f")) if edition == "rapport" else (lambda n: f"{n:,}")
    assert heading in text
    assert counts.format(sig=fmt(sig), tested=fmt(tested)) in text
    assert ("Syntetiske data" if edition == "rapport" else "Synthetic data") in text
    assert "1\u202f483" in text or "1,483" in text  # n of the 2025 wave
