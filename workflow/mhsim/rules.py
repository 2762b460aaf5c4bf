"""The report's classification rules on item matrices (used to calibrate and polish).

The parameters are read from the pipeline's scoring rules (``config/scoring.yaml``, rule ``report``
of every instrument and the default functional-impairment option), so the generator calibrates to
exactly the rules the scoring stage applies (``docs/methods.md`` §6 table; DASS §6.3, GAD-7 §6.4, PHQ-9 §6.5,
CFQ §6.6, SSS-8 §6.7, ITQ §6.8, WSAS §6.10). The functions here are a fast, vectorised re-statement for
complete item rows (the generator evaluates thousands of candidate swaps); the authoritative
scoring, with missing-data handling, is ``mhsurvey.scoring``. Every function takes an ``(n, k)``
float array of item codes (NaN = missing or non-substantive) and returns one integer class per
row, ``-1`` when an item is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MISSING = -1


@dataclass(frozen=True)
class Rule:
    """A classification rule of one instrument.

    ``kind`` is one of ``bands`` (sum score times ``multiplier`` cut at ``cuts``: class = number of
    cuts at or below the score), ``sum_cutoff`` (``sum(x - offset) >= cutoff``), ``count_cutoff``
    (``#{x >= item_min} >= cutoff``), ``clusters`` (every cluster has an item ``>= item_min``) or
    ``any_item`` (any item of ``clusters[0]`` ``>= item_min``).
    ``impairment`` adds "AND functional impairment" (a per-row boolean passed to :meth:`classify`).
    """

    kind: str
    cutoff: float = 0.0
    offset: float = 0.0
    multiplier: float = 1.0
    cuts: tuple[float, ...] = ()
    item_min: float = 0.0
    clusters: tuple[tuple[int, ...], ...] = ()
    impairment: bool = False
    labels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_classes(self) -> int:
        """Number of classes (bands + 1, or 2 for binary rules)."""
        return len(self.cuts) + 1 if self.kind == "bands" else 2

    def classify(self, x: np.ndarray, impaired: np.ndarray | None = None) -> np.ndarray:
        """Class per row of the item matrix ``x`` (``-1`` for incomplete rows).

        Formulas: bands: ``searchsorted(cuts, multiplier * sum(x), 'right')`` (DASS: 2 x sum, cuts
        15/19/26/34 give normal/mild/moderate/severe/extreme); sum_cutoff: ``sum(x - offset) >=
        cutoff`` (SSS-8 coded 1-5 with offset 1 and 12; GAD-7 9; PHQ-9 15; WSAS 20);
        count_cutoff: ``#{x_i >= item_min} >= cutoff`` (CFQ bimodal 0,0,1,1 >= 4); clusters:
        ``all_c any_{i in c} x_i >= item_min`` (ITQ, 1 of 2 items >= 2 in each of 3 clusters).
        """
        x = np.atleast_2d(np.asarray(x, dtype=float))
        complete = ~np.isnan(x).any(axis=1)
        xs = np.where(np.isnan(x), 0.0, x)
        if self.kind == "bands":
            score = self.multiplier * xs.sum(axis=1)
            cls = np.searchsorted(np.asarray(self.cuts, dtype=float), score, side="right").astype(int)
        elif self.kind == "sum_cutoff":
            cls = ((xs - self.offset).sum(axis=1) >= self.cutoff).astype(int)
        elif self.kind == "count_cutoff":
            cls = ((xs >= self.item_min).sum(axis=1) >= self.cutoff).astype(int)
        elif self.kind == "any_item":
            cls = (xs[:, list(self.clusters[0])] >= self.item_min).any(axis=1).astype(int)
        elif self.kind == "clusters":
            ok = np.ones(len(xs), dtype=bool)
            for c in self.clusters:
                ok &= (xs[:, list(c)] >= self.item_min).any(axis=1)
            cls = ok.astype(int)
        else:  # pragma: no cover - validated by the schema
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if self.impairment:
            if impaired is None:
                raise ValueError("this rule needs the impairment vector")
            imp = np.asarray(impaired)
            cls = np.where(imp == 1, cls, 0)
            complete &= imp >= 0
        return np.where(complete, cls, MISSING)


def _min_total(rule: Mapping[str, Any]) -> float:
    return float(rule["min_total"])


def rules_from_scoring(
    scoring: Mapping[str, Any], scale_items: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Rule], Rule]:
    """Report rules of the eight instruments and the impairment rule from ``config/scoring.yaml``.

    ``scale_items`` maps instrument id (``dass_stress``, ``sss8``, ``cfq``, ``gad7``, ``phq9``,
    ``itq_ptsd``, ``itq_dso``, ``wsas``) to its item columns in order. The ITQ clusters are looked
    up by item name; ``itq_dso`` is classified by the report's KPTSD rule (AD & NSC & DR & FI,
    without the PTSD requirement).
    """
    ins = scoring["instruments"]
    out: dict[str, Rule] = {}
    d = ins["dass_stress"]
    mins = sorted(float(b["min_total"]) for b in d["bands"])
    out["dass_stress"] = Rule(
        "bands",
        multiplier=float(d.get("multiplier", 1)),
        cuts=tuple(mins[1:]),
        labels=tuple(b["name"] for b in d["bands"]),
    )
    s8 = ins["sss8"]
    r = s8["rules"]["report"]
    offset = float(s8.get("code_offset", 0)) if r.get("metric", "scored") == "scored" else 0.0
    out["sss8"] = Rule("sum_cutoff", cutoff=_min_total(r), offset=offset)
    c = ins["cfq"]
    r = c["rules"]["report"]
    if r.get("metric") == "bimodal":
        out["cfq"] = Rule("count_cutoff", cutoff=_min_total(r), item_min=float(c["bimodal_min_code"]))
    else:
        out["cfq"] = Rule("sum_cutoff", cutoff=_min_total(r), offset=float(c.get("code_offset", 0)))
    for name in ("gad7", "phq9", "wsas"):
        cfg = ins[name]
        r = cfg["rules"]["report"]
        out[name] = Rule(
            "sum_cutoff",
            cutoff=_min_total(r),
            offset=float(cfg.get("code_offset", 0)),
            impairment=bool(r.get("require_fi", False)),
        )
    itq = ins["itq"]
    r = itq["rules"]["report"]
    if r.get("style") != "report":
        raise ValueError("the generator calibrates to the report-style ITQ rule (style: report)")
    cl = itq["clusters"]
    for scale, names in (("itq_ptsd", ("re", "av", "th")), ("itq_dso", ("ad", "nsc", "dr"))):
        items = list(scale_items[scale])
        out[scale] = Rule(
            "clusters",
            item_min=float(itq["endorse_min_code"]),
            clusters=positions(items, [cl[n] for n in names]),
            impairment=bool(r.get("require_fi", False)),
        )
    fi = scoring["functional_impairment"]
    opt = fi["options"][fi["default"]]
    wsas_items = list(scale_items["wsas"])
    if opt["kind"] == "total":
        imp = Rule(
            "sum_cutoff", cutoff=float(opt["min_total"]), offset=float(ins["wsas"].get("code_offset", 0))
        )
    elif opt["kind"] == "any_item":
        imp = Rule(
            "any_item", item_min=float(opt["min_item"]), clusters=positions(wsas_items, [opt["items"]])
        )
    else:
        raise ValueError(f"unsupported functional-impairment kind {opt['kind']!r}")
    return out, imp


def impairment_vector(x_wsas: np.ndarray, rule: Rule) -> np.ndarray:
    """Functional impairment per row (1 yes, 0 no, -1 unknown) from the WSAS item matrix.

    Default of the report reading: WSAS total ``>= 20`` (``docs/methods.md`` §6.9 F5, §8).
    """
    return rule.classify(x_wsas)


def class_shares(cls: np.ndarray, n_classes: int) -> np.ndarray:
    """Percentage of rows in each class among rows with a class (``-1`` excluded)."""
    valid = cls[cls >= 0]
    if len(valid) == 0:
        return np.full(n_classes, np.nan)
    return 100.0 * np.bincount(valid, minlength=n_classes)[:n_classes] / len(valid)


def positions(items: Sequence[str], names: Sequence[Sequence[str]]) -> tuple[tuple[int, ...], ...]:
    """Item positions of each cluster given by item names."""
    return tuple(tuple(items.index(n) for n in c) for c in names)
