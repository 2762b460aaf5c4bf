"""The crosswalk (config/crosswalk.yaml): every published id -> one target or one reason.

A target says which pipeline output regenerates the printed number: a cell of estimates.csv /
subgroup_tests.csv (variable, category keys, optional breakdown levels, optional complement), a
level-vs-level difference, a range over several cells, a reliability value, a margins-table value
or a cleaning count. Resolution order and format: docs/audit.md ("Crosswalk").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..codebook import load_codebook
from ..config import load_yaml_validated
from ..errors import ConfigError
from ..estimates import codebook_outcomes, load_settings

SCHEMA = "crosswalk.schema.yaml"
SURVEYS = ("current", "former")


@dataclass(frozen=True)
class Category:
    """Category keys whose counts are summed; ``complement`` = report 100 minus that share."""

    keys: tuple[str, ...]
    complement: bool = False

    def describe(self) -> str:
        """``"1"``, ``"2+3"`` or ``"100-(1)"``."""
        text = "+".join(self.keys)
        return f"100-({text})" if self.complement else text


@dataclass(frozen=True)
class Cell:
    """One share: ``variable`` x ``category`` in the whole sample or in pooled breakdown levels.

    ``levels`` are level labels of subgroup_tests.csv (``level_label_no``) of ``breakdown``; more
    than one label pools the levels (counts and bases summed).
    """

    survey: str
    variable: str
    category: Category
    breakdown: str = ""
    levels: tuple[str, ...] = ()

    def describe(self) -> str:
        """Readable form, e.g. ``estimates:safety_work=agree`` or ``subgroup_tests:...|gender=Mann``."""
        if not self.breakdown:
            return f"estimates:{self.variable}={self.category.describe()}"
        return (
            f"subgroup_tests:{self.variable}={self.category.describe()}"
            f"|{self.breakdown}={'+'.join(self.levels)}"
        )


@dataclass(frozen=True)
class Target:
    """What regenerates a published number.

    ``kind``: ``estimate`` / ``subgroup`` / ``complement`` (one cell), ``merged`` (summed keys),
    ``pooled`` (summed levels), ``difference`` (|cells[0] - cells[1]|, points), ``range`` (min-max
    over cells), ``reliability`` / ``margins`` / ``cleaning`` (``params``).
    """

    kind: str
    cells: tuple[Cell, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The mapping as one line (reproduction.csv column ``mapping``)."""
        if self.kind in ("reliability", "margins", "cleaning"):
            args = ", ".join(f"{k}={v}" for k, v in self.params.items())
            return f"{self.kind}({args})"
        if self.kind == "difference":
            return f"difference: {self.cells[0].describe()} - {self.cells[1].describe()}"
        if self.kind == "range":
            return "range: " + "; ".join(c.describe() for c in self.cells)
        return self.cells[0].describe()


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving one published id: a target or a reason (exactly one)."""

    id: str
    target: Target | None
    reason: str
    note: str
    via: str  # rows | ids | rules | join


def load_crosswalk(path: str | Path) -> dict[str, Any]:
    """Read config/crosswalk.yaml and validate it (``ConfigError`` names the key)."""
    return load_yaml_validated(path, SCHEMA)


def vocabulary(codebooks: Mapping[str, str | Path], estimates_config: str | Path) -> pd.DataFrame:
    """Every (survey, measure, variable, category) the codebooks give, with their Norwegian labels.

    Built from the codebooks and config/estimates.yaml exactly as stage 04 builds its outcomes
    (mhsurvey.estimates.codebook_outcomes), so no results are needed to resolve the crosswalk.
    Columns: survey, measure, variable, label_no, category, category_label_no, codes (the answer
    codes the category sums, ``|``-joined; used by the errata checks to tell disjoint categories).
    """
    settings = load_settings(estimates_config)
    rows = []
    for survey, path in sorted(codebooks.items()):
        for o in codebook_outcomes(load_codebook(path), settings):
            for c in o.categories:
                codes = "|".join(o.table_values[i] for i in c.cells)
                rows.append((survey, o.measure, o.variable, o.label_no, c.key, c.label_no, codes))
    return pd.DataFrame(
        rows, columns=["survey", "measure", "variable", "label_no", "category", "category_label_no", "codes"]
    )


def _category(spec: Any) -> Category:
    """A crosswalk category spec (key | {sum: [...]} | {complement: key}) as :class:`Category`."""
    if isinstance(spec, str):
        return Category((spec,))
    if "sum" in spec:
        return Category(tuple(str(k) for k in spec["sum"]))
    return Category((str(spec["complement"]),), complement=True)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class Resolver:
    """Resolves published rows against a crosswalk and the codebook vocabulary."""

    def __init__(self, crosswalk: Mapping[str, Any], vocab: pd.DataFrame) -> None:
        self.cw = crosswalk
        self.vocab = vocab
        self._var_by_label: dict[tuple[str, str, str], set[str]] = {}
        self._cat_by_label: dict[tuple[str, str, str], set[str]] = {}
        self._variables = set(zip(vocab["survey"], vocab["variable"], strict=True))
        for r in vocab.itertuples(index=False):
            self._var_by_label.setdefault((r.survey, r.measure, r.label_no), set()).add(r.variable)
            self._cat_by_label.setdefault((r.survey, r.variable, r.category_label_no), set()).add(r.category)
        self.explicit_rows: dict[str, Any] = dict(crosswalk["rows"])
        self.explicit_reasons: dict[str, tuple[str, str]] = {}
        for entry in crosswalk["not_reproducible"]["ids"]:
            for pid in entry["ids"]:
                if pid in self.explicit_reasons or pid in self.explicit_rows:
                    raise ConfigError(
                        f"crosswalk: id {pid!r} is listed more than once (rows / not_reproducible.ids)"
                    )
                self.explicit_reasons[pid] = (entry["reason"], entry["note"])

    # ------------------------------------------------------------------ helpers
    def _variable(self, row: pd.Series) -> tuple[str, Mapping[str, Any]]:
        """Column of a row and the category map that applies (prevalence or measure map)."""
        measure, item, survey = row["measure"], row["item"], row["survey"]
        if item == "prevalence":
            if measure not in self.cw["prevalence"]:
                raise ConfigError(
                    f"crosswalk: no prevalence entry for measure {measure!r} (published id {row['id']})"
                )
            spec = self.cw["prevalence"][measure]
            return spec["variable"], spec["categories"]
        cats = self.cw["categories"].get(measure, {})
        mapped = self.cw["items"].get(measure, {}).get(item)
        if mapped:
            return mapped, cats
        hit = sorted(self._var_by_label.get((survey, measure, item), ()))
        if len(hit) != 1:
            raise ConfigError(
                f"crosswalk: published id {row['id']}: item {item!r} of measure {measure!r} matches "
                f"{len(hit)} codebook columns of survey {survey!r}; add it to items.{measure}"
            )
        return str(hit[0]), cats

    def _category_of(self, row: pd.Series, variable: str, cats: Mapping[str, Any]) -> Category:
        label = row["category"]
        if label in cats:
            return _category(cats[label])
        hit = sorted(self._cat_by_label.get((row["survey"], variable, label), ()))
        if (row["survey"], variable) not in self._variables:
            raise ConfigError(
                f"crosswalk: published id {row['id']}: {variable!r} is not a codebook column of survey "
                f"{row['survey']!r}; a classification column needs its categories in categories.{row['measure']} "
                "or prevalence"
            )
        if len(hit) != 1:
            raise ConfigError(
                f"crosswalk: published id {row['id']}: category {label!r} matches {len(hit)} categories "
                f"of {variable!r} ({row['survey']}); add it to categories.{row['measure']}"
            )
        return Category((str(hit[0]),))

    def _levels(self, row: pd.Series, subgroup_var: str, label: str) -> tuple[str, tuple[str, ...]]:
        """(breakdown id, level labels) of a printed level of ``subgroup_var``."""
        spec = self.cw["breakdowns"].get(subgroup_var)
        if spec is None:
            raise ConfigError(
                f"crosswalk: published id {row['id']}: no breakdowns entry for {subgroup_var!r}"
            )
        mapped = spec.get("labels", {}).get(label, label)
        if isinstance(mapped, dict):
            return mapped["breakdown"], (mapped["label"],)
        if "breakdown" not in spec:
            raise ConfigError(
                f"crosswalk: published id {row['id']}: level {label!r} of {subgroup_var!r} is not mapped"
            )
        return spec["breakdown"], tuple(_as_list(mapped))

    def _cell(self, row: pd.Series, variable: str, category: Category, level_label: str) -> Cell:
        if level_label.lower() == "total" or row["subgroup_var"] == "total":
            return Cell(row["survey"], variable, category)
        breakdown, levels = self._levels(row, row["subgroup_var"], level_label)
        return Cell(row["survey"], variable, category, breakdown, levels)

    def _explicit(self, spec: Mapping[str, Any], row: pd.Series) -> Target:
        """Target of a ``rows`` entry. A ``range`` has one cell per variable x level; an
        ``estimate`` with several levels pools them (one cell)."""
        ((kind, args),) = spec.items()
        if kind in ("reliability", "margins", "cleaning"):
            return Target(kind, params=dict(args))
        survey = args.get("survey", row["survey"])
        category = _category(args["category"])
        variables = args["variables"] if kind == "range" else [args["variable"]]
        if "breakdown" not in args:
            level_sets: list[tuple[str, tuple[str, ...]]] = [("", ())]
        elif kind == "range":
            level_sets = [self._levels(row, args["breakdown"], lv) for lv in args["levels"]]
        else:
            resolved = [self._levels(row, args["breakdown"], lv) for lv in args["levels"]]
            level_sets = [(resolved[0][0], tuple(lab for _, labels in resolved for lab in labels))]
        cells = tuple(Cell(survey, var, category, b, labels) for var in variables for b, labels in level_sets)
        if kind == "range":
            return Target("range", cells)
        return Target(_cell_kind(cells[0]), cells)

    def _rule_reason(self, row: pd.Series) -> list[tuple[str, str]]:
        hits = []
        for rule in self.cw["not_reproducible"]["rules"]:
            ok = True
            for key, value in rule["match"].items():
                values = _as_list(value)
                if key == "id_prefix":
                    ok = ok and any(row["id"].startswith(v) for v in values)
                else:
                    ok = ok and row[key] in values
            if ok:
                hits.append((rule["reason"], rule["note"]))
        return hits

    # ------------------------------------------------------------------ resolution
    def resolve(self, row: pd.Series) -> Resolution:
        """The one target or reason of a published row (``ConfigError`` if none or ambiguous)."""
        pid = row["id"]
        if pid in self.explicit_rows:
            return Resolution(pid, self._explicit(self.explicit_rows[pid], row), "", "", "rows")
        if pid in self.explicit_reasons:
            reason, note = self.explicit_reasons[pid]
            return Resolution(pid, None, reason, note, "ids")
        hits = self._rule_reason(row)
        if len(hits) > 1:
            raise ConfigError(
                f"crosswalk: published id {pid} matches {len(hits)} not_reproducible rules: {hits}"
            )
        if hits:
            return Resolution(pid, None, hits[0][0], hits[0][1], "rules")
        return Resolution(pid, self._join(row), "", "", "join")

    def _join(self, row: pd.Series) -> Target:
        comp = self.cw["composition"]
        if row["measure"] == comp["measure"] and row["category"] == comp["category"]:
            variable = row["subgroup_var"]
            hit = sorted(self._cat_by_label.get((row["survey"], variable, row["subgroup_level"]), ()))
            if len(hit) != 1:
                raise ConfigError(
                    f"crosswalk: published id {row['id']}: sample level {row['subgroup_level']!r} "
                    f"matches {len(hit)} codes of {variable!r}"
                )
            return Target("estimate", (Cell(row["survey"], variable, Category((str(hit[0]),))),))
        if row["survey"] not in SURVEYS:
            raise ConfigError(
                f"crosswalk: published id {row['id']} (survey {row['survey']!r}) needs an explicit entry"
            )
        variable, cats = self._variable(row)
        category_label = row["category"]
        if category_label == "difference (pp)":
            left, _, right = row["subgroup_level"].partition(" vs ")
            if not right:
                raise ConfigError(
                    f"crosswalk: published id {row['id']}: difference level {row['subgroup_level']!r} "
                    "is not 'A vs B'"
                )
            spec = self.cw["differences"].get(row["measure"])
            if spec is None:
                raise ConfigError(
                    f"crosswalk: published id {row['id']}: no differences entry for measure "
                    f"{row['measure']!r} (which category the difference is of)"
                )
            category = _category(spec)
            cells = (self._cell(row, variable, category, left), self._cell(row, variable, category, right))
            return Target("difference", cells)
        category = self._category_of(row, variable, cats)
        cell = self._cell(row, variable, category, row["subgroup_level"])
        return Target(_cell_kind(cell), (cell,))


def _cell_kind(cell: Cell) -> str:
    """Kind of a one-cell target (complement > merged > pooled > subgroup/estimate)."""
    if cell.category.complement:
        return "complement"
    if len(cell.category.keys) > 1:
        return "merged"
    if len(cell.levels) > 1:
        return "pooled"
    return "subgroup" if cell.breakdown else "estimate"


def resolve_all(
    published: pd.DataFrame, crosswalk: Mapping[str, Any], vocab: pd.DataFrame
) -> list[Resolution]:
    """Resolve every published row; unknown ids in the crosswalk are an error too."""
    resolver = Resolver(crosswalk, vocab)
    known = set(published["id"])
    stale = sorted((set(resolver.explicit_rows) | set(resolver.explicit_reasons)) - known)
    if stale:
        raise ConfigError(f"crosswalk names id(s) not in the published table: {stale[:10]}")
    return [resolver.resolve(row) for _, row in published.iterrows()]


def resolution_frame(resolutions: Sequence[Resolution]) -> pd.DataFrame:
    """One row per id: id, status (mapped / not_reproducible), target_kind, mapping, reason, note, via."""
    return pd.DataFrame(
        [
            (
                r.id,
                "mapped" if r.target else "not_reproducible",
                r.target.kind if r.target else "",
                r.target.describe() if r.target else "",
                r.reason,
                r.note,
                r.via,
            )
            for r in resolutions
        ],
        columns=["id", "status", "target_kind", "mapping", "reason", "note", "via"],
    )
