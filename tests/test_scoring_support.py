"""Shared fixtures of the scoring and reliability tests: a small hand-made codebook and responses.

The codebook follows docs/architecture.md (canonical column ids and codes) with every instrument,
the trust item, the incidents multi-select, tenure and leader role, so the tests do not depend on
the survey codebooks another stage is writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook, parse_codebook
from mhsurvey.scoring import load_scoring_rules

REPO = Path(__file__).resolve().parents[1]
RULES_PATH = REPO / "config" / "scoring.yaml"

REFUSE = {"code": 99, "no": "Ønsker ikke svare", "en": "Prefer not to say", "nonsubstantive": True}


def _scale_codes(lo: int, hi: int) -> list[dict[str, Any]]:
    return [{"code": c, "no": str(c), "en": str(c)} for c in range(lo, hi + 1)] + [REFUSE]


def _scale(qid: str, instrument: str, items: list[str], values: str) -> dict[str, Any]:
    return {
        "id": qid,
        "type": "scale",
        "text_no": qid,
        "text_en": qid,
        "instrument": instrument,
        "values": values,
        "items": [{"id": i, "no": i, "en": i} for i in items],
    }


INCIDENT_OPTIONS = [
    "looks",
    "threat_self_work",
    "threat_family_work",
    "threat_self_leisure",
    "threat_family_leisure",
    "harass_work",
    "harass_online",
    "exploit",
    "violence_work",
    "violence_leisure",
    "sexual",
    "other",
    "none",
    "no_answer",
]

ITEMS = {
    "dass_stress": [f"dass_s{i}" for i in range(1, 8)],
    "sss8": [f"sss8_{i}" for i in range(1, 9)],
    "cfq": [f"cfq_{i}" for i in range(1, 12)],
    "gad7": [f"gad7_{i}" for i in range(1, 8)],
    "phq9": [f"phq9_{i}" for i in range(1, 10)],
    "itq_ptsd": [f"itq_p{i}" for i in range(1, 7)],
    "itq_dso": [f"itq_c{i}" for i in range(1, 7)],
    "wsas": [f"wsas_{i}" for i in range(1, 6)],
}
VALUES = {
    "dass_stress": "s03",
    "sss8": "s15",
    "cfq": "s03",
    "gad7": "s03",
    "phq9": "s03",
    "itq_ptsd": "s04",
    "itq_dso": "s04",
    "wsas": "s08",
}


def codebook_dict() -> dict[str, Any]:
    """The fixture codebook as parsed YAML."""
    questions: list[dict[str, Any]] = [
        {
            "id": "tenure",
            "type": "single",
            "text_no": "Ansiennitet",
            "text_en": "Tenure",
            "breakdown": "tenure",
            "codes": [{"code": c, "no": f"t{c}", "en": f"t{c}"} for c in range(1, 8)],
        },
        {
            "id": "leader_role",
            "type": "single",
            "text_no": "Leder",
            "text_en": "Leader",
            "breakdown": "leader_role",
            "codes": [{"code": 1, "no": "Ja", "en": "Yes"}, {"code": 2, "no": "Nei", "en": "No"}],
        },
        {
            "id": "incidents",
            "type": "multi",
            "text_no": "Hendelser",
            "text_en": "Incidents",
            "options": [
                {"id": o, "no": o, "en": o, **({"exclusive": True} if o in ("none", "no_answer") else {})}
                for o in INCIDENT_OPTIONS
            ],
        },
    ]
    for inst, items in ITEMS.items():
        questions.append(_scale(inst, inst, items, VALUES[inst]))
    questions.append(
        {
            "id": "trust",
            "type": "numeric",
            "text_no": "Tillit",
            "text_en": "Trust",
            "min": 0,
            "max": 10,
            "codes": [{"code": 98, "no": "Vet ikke", "en": "Don't know", "nonsubstantive": True}, REFUSE],
        }
    )
    return {
        "survey": "current",
        "title_no": "Test",
        "title_en": "Test",
        "export": {"id_column": "respondent_id"},
        "value_sets": {
            "s03": {"codes": _scale_codes(0, 3)},
            "s04": {"codes": _scale_codes(0, 4)},
            "s08": {"codes": _scale_codes(0, 8)},
            "s15": {"codes": _scale_codes(1, 5)},
        },
        "questions": questions,
    }


def codebook() -> Codebook:
    """The fixture codebook, parsed and validated."""
    return parse_codebook(codebook_dict(), "tests/fixture_codebook")


def rules() -> dict[str, Any]:
    """The shipped config/scoring.yaml (validated)."""
    return load_scoring_rules(RULES_PATH)


def columns() -> list[str]:
    """Canonical columns of the fixture codebook, in order."""
    return [c.name for c in codebook().columns]


def responses(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A responses frame with every fixture column; unspecified cells are empty.

    Each row dict may give ``rid`` and any canonical column, or an instrument name mapped to a list
    of item values in item order (``None`` = empty), e.g. ``{"gad7": [1, 1, 1, 1, 1, 1, 2]}``.
    """
    cols = columns()
    data = []
    for i, row in enumerate(rows):
        rec: dict[str, Any] = {c: pd.NA for c in cols}
        rec["rid"] = row.get("rid", f"p_{i:012d}")
        for key, val in row.items():
            if key in ITEMS:
                assert len(val) == len(ITEMS[key]), key
                for item, v in zip(ITEMS[key], val, strict=True):
                    rec[item] = pd.NA if v is None else v
            elif key != "rid":
                rec[key] = val
        data.append(rec)
    df = pd.DataFrame(data, columns=["rid", *cols])
    df["rid"] = df["rid"].astype("string")
    for c in cols:
        df[c] = df[c].astype("Int64")
    return df


def random_responses(n: int, seed: int, missing: float = 0.03) -> pd.DataFrame:
    """Random answers to every fixture item (a one-factor latent so scales correlate), with a share
    ``missing`` of empty cells and some 99 codes."""
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    rows: list[dict[str, Any]] = []
    ranges = {
        "dass_stress": (0, 3),
        "sss8": (1, 5),
        "cfq": (0, 3),
        "gad7": (0, 3),
        "phq9": (0, 3),
        "itq_ptsd": (0, 4),
        "itq_dso": (0, 4),
        "wsas": (0, 8),
    }
    for j in range(n):
        row: dict[str, Any] = {
            "tenure": int(rng.integers(1, 8)),
            "leader_role": int(rng.integers(1, 3)),
            "trust": int(rng.integers(0, 11)) if rng.random() > 0.05 else 98,
        }
        ticks = rng.random(len(INCIDENT_OPTIONS) - 2) < 0.3
        for o, t in zip(INCIDENT_OPTIONS[:-2], ticks, strict=True):
            row[f"incidents_{o}"] = int(t)
        row["incidents_none"] = 0
        row["incidents_no_answer"] = 0
        for inst, items in ITEMS.items():
            lo, hi = ranges[inst]
            z = 0.75 * f[j] + 0.66 * rng.standard_normal(len(items))
            vals = np.clip(np.round(lo + (hi - lo) * (0.25 + 0.25 * z)), lo, hi).astype(int).tolist()
            out: list[Any] = []
            for v in vals:
                u = rng.random()
                out.append(None if u < missing else (99 if u < missing * 1.3 else v))
            row[inst] = out
        rows.append(row)
    return responses(rows)


def test_fixture_codebook_is_valid() -> None:
    cb = codebook()
    assert cb.instrument_items("sss8") == ITEMS["sss8"]
    assert cb.nonsubstantive_codes("trust") == frozenset({98, 99})
    assert cb.nonsubstantive_codes("wsas_1") == frozenset({99})
