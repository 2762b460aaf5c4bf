"""Questionnaire codebooks: questions, canonical columns, codes, routing, export mapping.

The YAML format is documented in ``docs/codebook.md`` and checked by
``workflow/schemas/codebook.schema.yaml``; :func:`load_codebook` validates a file against the
schema, then checks cross-references the schema cannot express.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schemas import validate_against
from .yamlio import YAMLError, safe_load

QUESTION_TYPES = ("single", "multi", "grid", "scale", "numeric", "text")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ROUTING_WORDS = {"in", "and", "or", "not", "True", "False"}
_INTEGRAL = re.compile(r"^[+-]?[0-9]+([.,]0*)?$")


def normalise_label(text: str) -> str:
    """A label for comparison: Unicode NFC, case folded, runs of whitespace as one space, stripped.

    ``"  Ønsker ikke  svare"`` (NFD) and ``"ønsker ikke svare"`` compare equal.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", str(text)).casefold())
    return " ".join(folded.split())


def code_key(value: Any) -> int | str | None:
    """What a raw cell says, for recoding and validation: an ``int`` or a normalised label.

    A cell holding an integral number is that integer whatever its type: ``2``, ``2.0`` (SPSS,
    Excel, CSVs written by pandas or R), ``"2"``, ``"2.0"``, ``" +2 "``, ``"2,0"``. Any other cell
    is its text normalised by :func:`normalise_label`; empty cells are ``None``. Booleans and
    non-integral or non-finite numbers are text (``"True"``, ``"2.5"``, ``"inf"``), so they never
    pass as codes.
    """
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return normalise_label(str(value))
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) or type(value).__module__ == "numpy":
        try:
            f = float(value)
        except (TypeError, ValueError):
            return normalise_label(str(value))
        if f != f:  # NaN
            return None
        if f in (float("inf"), float("-inf")) or not f.is_integer():
            return normalise_label(repr(f))
        return int(f)
    text = str(value).strip()
    if not text:
        return None
    if _INTEGRAL.match(text):
        return int(re.split(r"[.,]", text)[0])
    return normalise_label(text)


def split_recode(
    recode: Mapping[Any, int], where: str = "export.recode"
) -> tuple[dict[int, int], dict[str, int]]:
    """Split a recode table into numeric keys and (normalised) label keys.

    Keys ``1``, ``"1"`` and ``1.0`` are the same numeric code; ``"Mann"`` and ``" mann "`` the same
    label. Two keys that mean the same raw value but map to different codes raise ``ConfigError``.
    """
    numeric: dict[int, int] = {}
    labels: dict[str, int] = {}
    for raw, code in recode.items():
        if isinstance(raw, bool):
            raise ConfigError(f'{where}: key {raw!r} is a YAML boolean (yes/no/on/off): quote it, e.g. "yes"')
        key = code_key(raw)
        if key is None:
            raise ConfigError(f"{where}: empty key {raw!r}")
        target = numeric if isinstance(key, int) else labels
        if key in target and target[key] != int(code):  # type: ignore[index]
            raise ConfigError(f"{where}: keys meaning the same raw value {raw!r} map to different codes")
        target[key] = int(code)  # type: ignore[index]
    return numeric, labels


@dataclass(frozen=True)
class Code:
    """One answer code of a question: integer code, labels, and whether it is substantive."""

    code: int
    no: str
    en: str
    nonsubstantive: bool = False


@dataclass(frozen=True)
class Column:
    """One canonical column of ``responses.csv`` (or a text column of the comments file)."""

    name: str
    question_id: str
    qtype: str
    label_no: str
    label_en: str
    codes: tuple[Code, ...] = ()
    routing: str | None = None
    instrument: str | None = None
    breakdown: str | None = None
    measure: str | None = None
    item_id: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    exclusive: bool = False
    required: bool = False

    @property
    def is_text(self) -> bool:
        """True for free-text columns, which never enter ``responses.csv``."""
        return self.qtype == "text"

    def valid_codes(self) -> frozenset[int]:
        """All codes a cell may hold (numeric ranges expanded, non-substantive codes included)."""
        codes = {c.code for c in self.codes}
        if self.qtype == "numeric" and self.minimum is not None and self.maximum is not None:
            codes |= set(range(self.minimum, self.maximum + 1))
        if self.qtype == "multi":
            codes = {0, 1}
        return frozenset(codes)

    def nonsubstantive_codes(self) -> frozenset[int]:
        """Codes flagged non-substantive ("Vet ikke", "Ønsker ikke svare", ...)."""
        return frozenset(c.code for c in self.codes if c.nonsubstantive)

    def label(self, code: int, lang: str = "no") -> str:
        """Label of ``code`` in ``lang`` (``no`` or ``en``); numeric codes label themselves."""
        for c in self.codes:
            if c.code == code:
                return c.no if lang == "no" else c.en
        if self.qtype == "numeric":
            return str(code)
        if self.qtype == "multi":
            return {1: "Ja" if lang == "no" else "Yes", 0: "Nei" if lang == "no" else "No"}[code]
        raise KeyError(f"code {code} is not defined for column {self.name}")


@dataclass(frozen=True)
class Question:
    """A question of the questionnaire with the canonical columns it produces."""

    id: str
    type: str
    text_no: str
    text_en: str
    columns: tuple[Column, ...]
    reconstructed: bool = False
    source: str = ""
    routing: str | None = None
    instrument: str | None = None
    breakdown: str | None = None
    measure: str | None = None
    required: bool = False


@dataclass(frozen=True)
class ExportSpec:
    """How a raw export is laid out (see ``docs/codebook.md``)."""

    id_column: str
    submitted_column: str | None = None
    status_column: str | None = None
    complete_values: tuple[str, ...] = ()
    drop_columns: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[Any, int]] = field(default_factory=dict)
    sheet: str | int | None = None
    #: Text an export writes in a cell for "no answer" (R's ``NA``, SPSS's ``#NULL!``), compared
    #: by :func:`normalise_label`; such cells are read as empty (``docs/codebook.md``).
    missing_values: tuple[str, ...] = ()

    def raw_name(self, canonical: str) -> str:
        """Raw export column that holds canonical column ``canonical``."""
        return unicodedata.normalize("NFC", self.rename.get(canonical, canonical).strip())


@dataclass(frozen=True)
class Codebook:
    """A parsed, validated codebook."""

    survey: str
    title_no: str
    title_en: str
    export: ExportSpec
    questions: tuple[Question, ...]
    path: str = ""

    @cached_property
    def _columns(self) -> dict[str, Column]:
        return {c.name: c for q in self.questions for c in q.columns}

    @property
    def columns(self) -> list[Column]:
        """Canonical non-text columns in questionnaire order (the columns of ``responses.csv``)."""
        return [c for c in self._columns.values() if not c.is_text]

    @property
    def text_columns(self) -> list[Column]:
        """Free-text columns (written only to the restricted comments file)."""
        return [c for c in self._columns.values() if c.is_text]

    @property
    def all_columns(self) -> list[Column]:
        """Every canonical column, text included, in questionnaire order."""
        return list(self._columns.values())

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` names the codebook when it does not exist."""
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"column {name!r} is not in codebook {self.path or self.survey}") from None

    def question(self, qid: str) -> Question:
        """The question with id ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"question {qid!r} is not in codebook {self.path or self.survey}")

    def has_column(self, name: str) -> bool:
        """True if ``name`` is a canonical column of this codebook."""
        return name in self._columns

    def nonsubstantive_codes(self, name: str) -> frozenset[int]:
        """Non-substantive codes of column ``name``."""
        return self.column(name).nonsubstantive_codes()

    def instrument_items(self, instrument: str) -> list[str]:
        """Item columns of ``instrument`` in the instrument's standard order."""
        return [c.name for c in self.columns if c.instrument == instrument]

    def breakdown_column(self, breakdown: str) -> str:
        """Name of the column that holds breakdown ``breakdown`` (e.g. ``gender``)."""
        for c in self.columns:
            if c.breakdown == breakdown:
                return c.name
        raise KeyError(f"breakdown {breakdown!r} is not in codebook {self.path or self.survey}")


def _codes(raw: list[dict[str, Any]]) -> tuple[Code, ...]:
    return tuple(
        Code(int(c["code"]), str(c["no"]), str(c["en"]), bool(c.get("nonsubstantive", False))) for c in raw
    )


def _resolve_codes(
    q: dict[str, Any], value_sets: dict[str, tuple[Code, ...]], where: str
) -> tuple[Code, ...]:
    if "codes" in q:
        return _codes(q["codes"])
    name = q.get("values")
    if name is None:
        return ()
    if name not in value_sets:
        raise ConfigError(f"{where}: unknown value set {name!r}")
    return value_sets[name]


def _build_question(q: dict[str, Any], value_sets: dict[str, tuple[Code, ...]], where: str) -> Question:
    qid, qtype = q["id"], q["type"]
    codes = _resolve_codes(q, value_sets, f"{where}: question {qid}")
    flagged = set(q.get("nonsubstantive", []))
    if flagged:
        unknown = flagged - {c.code for c in codes}
        if unknown:
            raise ConfigError(
                f"{where}: question {qid}: nonsubstantive code(s) {sorted(unknown)} not in codes"
            )
        codes = tuple(Code(c.code, c.no, c.en, c.nonsubstantive or c.code in flagged) for c in codes)
    common = dict(
        instrument=q.get("instrument"),
        breakdown=q.get("breakdown"),
        measure=q.get("measure"),
        required=bool(q.get("required", False)),
    )
    cols: list[Column] = []
    if qtype in ("single", "numeric", "text"):
        cols.append(
            Column(
                name=qid,
                question_id=qid,
                qtype=qtype,
                label_no=q["text_no"],
                label_en=q["text_en"],
                codes=codes,
                routing=q.get("routing"),
                minimum=q.get("min"),
                maximum=q.get("max"),
                **common,
            )
        )
    elif qtype == "multi":
        for opt in q["options"]:
            cols.append(
                Column(
                    name=f"{qid}_{opt['id']}",
                    question_id=qid,
                    qtype="multi",
                    label_no=opt["no"],
                    label_en=opt["en"],
                    routing=q.get("routing"),
                    item_id=opt["id"],
                    exclusive=bool(opt.get("exclusive", False)),
                    **common,
                )
            )
            if "text_column" in opt:
                cols.append(
                    Column(
                        name=opt["text_column"],
                        question_id=qid,
                        qtype="text",
                        label_no=f"{opt['no']} (fritekst)",
                        label_en=f"{opt['en']} (free text)",
                        routing=f"{qid}_{opt['id']} == 1",
                    )
                )
    else:  # grid, scale
        for item in q["items"]:
            name = item["id"] if qtype == "scale" else f"{qid}_{item['id']}"
            item_codes = (
                _resolve_codes(item, value_sets, f"{where}: item {name}")
                if ("values" in item or "codes" in item)
                else codes
            )
            cols.append(
                Column(
                    name=name,
                    question_id=qid,
                    qtype=qtype,
                    label_no=item["no"],
                    label_en=item["en"],
                    codes=item_codes,
                    routing=item.get("routing", q.get("routing")),
                    item_id=item["id"],
                    **common,
                )
            )
    return Question(
        id=qid,
        type=qtype,
        text_no=q["text_no"],
        text_en=q["text_en"],
        columns=tuple(cols),
        reconstructed=bool(q.get("reconstructed", False)),
        source=str(q.get("source", "")),
        routing=q.get("routing"),
        **common,
    )


def routing_names(expr: str) -> set[str]:
    """Column names referenced by a routing expression (identifiers that are not keywords)."""
    return {n for n in _NAME.findall(expr) if n not in _ROUTING_WORDS}


def parse_codebook(data: dict[str, Any], path: str = "<codebook>") -> Codebook:
    """Build a :class:`Codebook` from parsed YAML; raise ``ConfigError`` naming the problem."""
    validate_against(data, "codebook.schema.yaml", path)
    value_sets = {name: _codes(vs["codes"]) for name, vs in data.get("value_sets", {}).items()}
    questions = tuple(_build_question(q, value_sets, path) for q in data["questions"])
    seen: dict[str, str] = {}
    for q in questions:
        if q.id in seen:
            raise ConfigError(f"{path}: duplicated question id {q.id!r}")
        seen[q.id] = q.id
    names: dict[str, str] = {}
    for q in questions:
        for c in q.columns:
            if c.name in names:
                raise ConfigError(
                    f"{path}: canonical column {c.name!r} produced by both {names[c.name]!r} and {q.id!r}"
                )
            names[c.name] = q.id
            if c.qtype in ("single", "grid", "scale") and not c.codes:
                raise ConfigError(f"{path}: column {c.name!r} has no codes (give values: or codes:)")
    for q in questions:
        for c in q.columns:
            if c.routing:
                unknown = routing_names(c.routing) - set(names)
                if unknown:
                    raise ConfigError(
                        f"{path}: routing of {c.name!r} names unknown column(s) {sorted(unknown)}"
                    )
    exp = data["export"]

    def raw(name: str | None) -> str | None:  # raw column names compare as the reader reads them (NFC)
        return None if name is None else unicodedata.normalize("NFC", str(name).strip())

    export = ExportSpec(
        id_column=str(raw(exp["id_column"])),
        submitted_column=raw(exp.get("submitted_column")),
        status_column=raw(exp.get("status_column")),
        complete_values=tuple(str(v) for v in exp.get("complete_values", [])),
        drop_columns=tuple(str(raw(c)) for c in exp.get("drop_columns", [])),
        rename={k: str(raw(v)) for k, v in (exp.get("rename") or {}).items()},
        recode={k: {rk: int(rv) for rk, rv in v.items()} for k, v in (exp.get("recode") or {}).items()},
        sheet=exp.get("sheet"),
        missing_values=tuple(str(v) for v in exp.get("missing_values") or ()),
    )
    for token in export.missing_values:
        if type(code_key(token)) is int or not normalise_label(token):
            raise ConfigError(
                f"{path}: export.missing_values: {token!r} is "
                + ("a number" if normalise_label(token) else "blank")
                + ": a numeric missing code is a code of the question's value set (nonsubstantive: "
                "true), and blank cells are always read as no answer"
            )
    for canonical, table in export.recode.items():
        if canonical not in names:
            raise ConfigError(f"{path}: export.recode names unknown canonical column {canonical!r}")
        split_recode(table, f"{path}: export.recode.{canonical}")
    for canonical in export.rename:
        if canonical not in names:
            raise ConfigError(f"{path}: export.rename names unknown canonical column {canonical!r}")
    return Codebook(
        survey=data["survey"],
        title_no=data["title_no"],
        title_en=data["title_en"],
        export=export,
        questions=questions,
        path=path,
    )


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate the codebook YAML at ``path``."""
    path = Path(path)
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"cannot read codebook {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"codebook {path} is not a mapping")
    return parse_codebook(data, str(path))
