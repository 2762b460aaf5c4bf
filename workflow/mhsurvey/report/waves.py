"""The report's wave-comparison appendix: reads results/waves/compare/<from>-<to>/<survey>/comparison.csv
(rule wave_comparison, :mod:`mhsurvey.waves`) and each wave's cleaning summary; nothing is recomputed.

Which rows the table shows: the key numbers of config/report.yaml (``key_numbers``) and every
other significant change of a substantive category, significant first (largest change first).
The narrative counts the significant increases and decreases of substantive categories and names
the largest. Every number goes through :mod:`mhsurvey.report.numbers`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputDataError
from ..surveys import Wave, comparison_dir, comparisons
from .numbers import format_number, format_percent, format_points


@dataclass(frozen=True)
class WaveComparison:
    """One comparison of two waves for one survey kind, as read from results/."""

    earlier: Wave
    later: Wave
    kind: str
    table: pd.DataFrame
    n_earlier: int
    n_later: int
    synthetic: bool
    path: Path


def _summary(path: Path) -> Mapping[str, Any]:
    if not path.exists():
        raise InputDataError("report input missing", file=str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def comparison_inputs(config: Mapping[str, Any], results_root: str | Path = "results") -> list[str]:
    """Files the appendix reads: every comparison.csv and the cleaning summary of both waves."""
    root = Path(results_root)
    files = []
    for a, b, kind in comparisons(config):
        files.append(f"{comparison_dir(a, b, kind, str(root))}/comparison.csv")
        for w in (a, b):
            files.append(str(root / w.surveys[kind] / "01_clean" / "cleaning_summary.json"))
    return sorted(set(files))


def read_wave_comparisons(
    config: Mapping[str, Any], results_root: str | Path = "results"
) -> list[WaveComparison]:
    """Every wave comparison of the config (empty without ``waves:``)."""
    root = Path(results_root)
    out = []
    for a, b, kind in comparisons(config):
        path = Path(comparison_dir(a, b, kind, str(root))) / "comparison.csv"
        if not path.exists():
            raise InputDataError("report input missing", file=str(path))
        table = pd.read_csv(path, dtype={"category": "string"}, keep_default_na=True)
        s1 = _summary(root / a.surveys[kind] / "01_clean" / "cleaning_summary.json")
        s2 = _summary(root / b.surveys[kind] / "01_clean" / "cleaning_summary.json")
        synthetic = any(bool(s.get("data", {}).get("synthetic", False)) for s in (s1, s2))
        out.append(WaveComparison(a, b, kind, table, int(s1["kept"]), int(s2["kept"]), synthetic, path))
    return out


class WaveReport:
    """What the appendix template calls, in one edition's language (numbers via the one filter)."""

    def __init__(self, edition: Any, comparisons_: Sequence[WaveComparison]) -> None:
        self.e = edition
        self.items = list(comparisons_)

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.items)

    def wave_label(self, w: Wave) -> str:
        """Label of a wave: the primary wave is "the study's survey", a further one its config label."""
        if w.primary:
            return self.e.s("w_primary_label")
        return w.label_no if self.e.lang == "no" else w.label_en

    def change(self, x: Any) -> str:
        """A signed change in points, one decimal: "+6,0" / "−6,0" / "0,0"."""
        text = format_number(x, 1, self.e.lang)
        if text.startswith("\u2212") or text == "–" or text == format_number(0, 1, self.e.lang):
            return text
        return "+" + text

    def p_text(self, p: Any) -> str:
        """An adjusted p: three decimals, "< 0,001" below that, "–" when untested."""
        if p is None or pd.isna(p):
            return "–"
        if float(p) < 0.001:
            return "< " + format_number(0.001, 3, self.e.lang)
        return format_number(p, 3, self.e.lang)

    def rows(self, c: WaveComparison) -> list[dict[str, Any]]:
        """Table rows: significant substantive changes (largest first), then the key numbers."""
        t = c.table
        key_pairs = [(k["variable"], str(k["category"])) for k in self.e.cfg["key_numbers"]]
        index = {(str(r["variable"]), str(r["category"])): r for r in t.to_dict("records")}
        sig = t[(t["significant"] == 1) & (t["nonsubstantive"] == 0)]
        sig = sig.assign(_abs=sig["change_pp"].abs()).sort_values(
            ["_abs", "variable"], ascending=[False, True], kind="mergesort"
        )
        chosen = [(str(r["variable"]), str(r["category"])) for r in sig.to_dict("records")]
        chosen += [k for k in key_pairs if k in index and k not in chosen]
        lang = self.e.lang
        out = []
        for key in chosen:
            r = index[key]
            label, cat = str(r[f"label_{lang}"]), str(r[f"category_label_{lang}"])
            out.append(
                {
                    "outcome": label,
                    "category": "" if cat == label else cat,
                    "pct_from": format_percent(r["pct_from"], 0, lang),
                    "pct_to": format_percent(r["pct_to"], 0, lang),
                    "change": self.change(r["change_pp"]),
                    "p_adjusted": self.p_text(r["p_adjusted"]),
                    "significant": bool(r["significant"]),
                    "withheld": bool(r["tested"] == 0),
                }
            )
        return out

    def counts(self, c: WaveComparison) -> dict[str, int]:
        """Tested and significant changes of substantive categories (up / down)."""
        t = c.table[c.table["nonsubstantive"] == 0]
        sig = t[t["significant"] == 1]
        return {
            "tested": int(t["tested"].sum()),
            "significant": len(sig),
            "up": int((sig["change_pp"] > 0).sum()),
            "down": int((sig["change_pp"] < 0).sum()),
        }

    def narrative(self, c: WaveComparison) -> list[str]:
        """Sentences driven by the numbers: how many significant changes, which way, the largest."""
        e, lang = self.e, self.e.lang
        n = self.counts(c)
        sig_cfg = e.estimates_cfg["significance"]
        keys = dict(
            earlier=c.earlier.year,
            later=c.later.year,
            tested=format_number(n["tested"], 0, lang),
            method=e.s(f"adjust_{sig_cfg['adjust']}"),
            alpha=format_percent(100 * float(sig_cfg["alpha"]), 0, lang),
        )
        if n["significant"] == 0:
            return [e.s("w_none", **keys)]
        out = [
            e.s(
                "w_counts",
                significant=format_number(n["significant"], 0, lang),
                up=format_number(n["up"], 0, lang),
                down=format_number(n["down"], 0, lang),
                **keys,
            )
        ]
        t = c.table[(c.table["significant"] == 1) & (c.table["nonsubstantive"] == 0)]
        top = (
            t.assign(_abs=t["change_pp"].abs())
            .sort_values(["_abs", "variable"], ascending=[False, True], kind="mergesort")
            .iloc[0]
        )
        label, cat = str(top[f"label_{lang}"]), str(top[f"category_label_{lang}"])
        out.append(
            e.s(
                "w_largest_up" if top["change_pp"] > 0 else "w_largest_down",
                outcome=label,
                category=cat.lower(),
                pct_from=format_percent(top["pct_from"], 0, lang),
                pct_to=format_percent(top["pct_to"], 0, lang),
                points=format_points(top["change_pp"], 1, lang),
                **keys,
            )
        )
        return out
