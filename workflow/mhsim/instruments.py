"""The eight instruments: targets from the config, item generation, polishing.

For one survey: draw the latent model (:mod:`.latent`) for every respondent, assign item codes by
rank with exact published counts, mark the configured "Ønsker ikke svare" answers, then polish
each scale with the swap search (:mod:`.polish`) so that Cronbach's alpha, the headline class
shares and the subgroup shares of the report hold in the finite sample (``docs/methods.md`` §4.3).
WSAS is polished first because the PHQ-9 and ITQ rules need its impairment flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mhsurvey.codebook import Codebook
from mhsurvey.errors import ConfigError
from mhsurvey.reliability import cronbach_alpha

from .latent import LatentDraws, SurveyModel, assign_items, item_latents, scale_factor
from .polish import ShareTarget, polish
from .rules import Rule
from .targets import Published, resolve_value, source_label

NONSUBSTANTIVE_CODE = 99  # "Ønsker ikke svare" on every instrument item (docs/architecture.md)
SCALES = ("dass_stress", "sss8", "cfq", "gad7", "phq9", "itq_ptsd", "itq_dso", "wsas")


@dataclass(frozen=True)
class ItemSpec:
    """Target distribution of one item: published (``shares``) or an assumed shifted ``base``."""

    name: str
    codes: tuple[int, ...]
    shares: tuple[float, ...]
    sources: tuple[str, ...]
    assumed: str = ""


@dataclass(frozen=True)
class ClassTarget:
    """Published share (percent) of one class of the report rule."""

    cls: int
    value: float
    source: str


@dataclass(frozen=True)
class SubgroupTarget:
    """Published share of class ``cls`` among respondents whose ``var`` is one of ``codes``."""

    var: str
    codes: tuple[int, ...]
    cls: int
    value: float
    source: str


@dataclass(frozen=True)
class ItemCheck:
    """Published share of ``codes`` on each of ``items`` (a range ``low-high`` or one number)."""

    items: tuple[str, ...]
    codes: tuple[int, ...]
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class ScaleTargets:
    """Everything the config says about one instrument."""

    name: str
    alpha: float
    alpha_source: str
    alpha_assumed: bool
    gamma: float
    calibrate_gamma: bool
    items: tuple[ItemSpec, ...]
    classes: tuple[ClassTarget, ...]
    subgroups: tuple[SubgroupTarget, ...] = ()
    item_checks: tuple[ItemCheck, ...] = ()
    nonsubstantive_respondents: int = 0
    nonsubstantive_items: Mapping[str, int] = field(default_factory=dict)

    @property
    def item_names(self) -> list[str]:
        """Item columns in order."""
        return [i.name for i in self.items]

    @property
    def assumed_marginals(self) -> bool:
        """True when the item distributions are assumed (shifted former-employee figures)."""
        return any(i.assumed for i in self.items)


def _item_spec(name: str, spec: Mapping[str, Any], published: Published) -> ItemSpec:
    entries = spec.get("shares") or spec.get("base")
    if entries is None:
        raise ConfigError(f"instrument item {name}: give shares: (published) or base: + assumed:")
    if "base" in spec and not str(spec.get("assumed", "")).strip():
        raise ConfigError(f"instrument item {name}: base: distributions must say why (assumed: <reason>)")
    codes = tuple(int(e["code"]) for e in entries)
    shares = tuple(resolve_value(e, published, f"item {name} code {e['code']}") for e in entries)
    return ItemSpec(
        name, codes, shares, tuple(source_label(e) for e in entries), str(spec.get("assumed", ""))
    )


def scale_targets(
    name: str, spec: Mapping[str, Any], published: Published, codebook: Codebook
) -> ScaleTargets:
    """Resolve the ``instruments.<name>`` block of the simulation config against the published rows.

    The item columns must be exactly the codebook's items of the instrument, in order, and every
    code a substantive code of the codebook.
    """
    items = tuple(_item_spec(k, v, published) for k, v in spec["items"].items())
    cb_items = codebook.instrument_items(name)
    if [i.name for i in items] != cb_items:
        raise ConfigError(
            f"instruments.{name}: items {[i.name for i in items]} differ from the codebook's {cb_items}"
        )
    for it in items:
        col = codebook.column(it.name)
        substantive = sorted(col.valid_codes() - col.nonsubstantive_codes())
        if sorted(it.codes) != substantive:
            raise ConfigError(
                f"instruments.{name}.{it.name}: codes {list(it.codes)} differ from the codebook's {substantive}"
            )
    alpha_spec = spec["alpha"]
    classes = tuple(
        ClassTarget(int(c["class"]), resolve_value(c, published, f"{name} class"), source_label(c))
        for c in spec.get("classes", [])
    )
    subgroups = tuple(
        SubgroupTarget(
            str(s["var"]),
            tuple(int(c) for c in s["codes"]),
            int(s["class"]),
            resolve_value(s, published, f"{name} subgroup"),
            source_label(s),
        )
        for s in spec.get("subgroups", [])
    )
    checks = []
    for c in spec.get("item_checks", []):
        lo, hi = published.pct_range(c["source"]) if "source" in c else (float(c["value"]),) * 2
        checks.append(
            ItemCheck(tuple(c["items"]), tuple(int(x) for x in c["codes"]), lo, hi, source_label(c))
        )
    ns = spec.get("nonsubstantive", {})
    gamma_spec = spec["gamma"]
    return ScaleTargets(
        name=name,
        alpha=resolve_value(alpha_spec, published, f"{name} alpha"),
        alpha_source=source_label(alpha_spec),
        alpha_assumed="assumed" in alpha_spec,
        gamma=resolve_value(gamma_spec, published, f"{name} gamma"),
        calibrate_gamma=bool(spec.get("calibrate_gamma", False)),
        items=items,
        classes=classes,
        subgroups=subgroups,
        item_checks=tuple(checks),
        nonsubstantive_respondents=int(ns.get("respondents", 0)),
        nonsubstantive_items={k: int(v) for k, v in ns.get("items", {}).items()},
    )


def all_scale_targets(
    cfg: Mapping[str, Any], published: Published, codebook: Codebook
) -> dict[str, ScaleTargets]:
    """:func:`scale_targets` for every configured instrument (config order)."""
    return {name: scale_targets(name, spec, published, codebook) for name, spec in cfg["instruments"].items()}


def polish_order(names: Sequence[str]) -> list[str]:
    """WSAS first (its impairment flag feeds PHQ-9 and ITQ), then the config order."""
    return [n for n in names if n == "wsas"] + [n for n in names if n != "wsas"]


def nonsubstantive_mask(
    n_items: int, rows: np.ndarray, respondents: int, per_item: Mapping[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Cells answered "Ønsker ikke svare": ``respondents`` rows with 1-2 random items each, plus
    exactly ``per_item[i]`` extra rows on item ``i`` (sensitive items). Shape ``(len(rows), k)``
    over the rows given (indices into the sample)."""
    mask = np.zeros((len(rows), n_items), dtype=bool)
    if respondents:
        who = rng.choice(len(rows), size=respondents, replace=False)
        for r in who:
            k = 1 + int(rng.random() < 0.3)
            mask[r, rng.choice(n_items, size=k, replace=False)] = True
    for i, count in sorted(per_item.items()):
        free = np.flatnonzero(~mask[:, i])
        mask[rng.choice(free, size=count, replace=False), i] = True
    return mask


def _moe(p_pct: float, n: int, z: float) -> float:
    p = min(max(p_pct / 100.0, 0.005), 0.995)
    return 100.0 * z * np.sqrt(p * (1 - p) / max(n, 1))


def share_targets(
    st: ScaleTargets, rule: Rule, background: pd.DataFrame, rows: np.ndarray, pol: Mapping[str, Any], z: float
) -> list[ShareTarget]:
    """Polishing targets of one scale over the polish ``rows``: headline shares and subgroups.

    Binary rules use only the case class (the other is its complement). Subgroup objective scale
    = ``subgroup_moe_fraction`` x the 95 % margin of error of the published share at the subgroup size.
    """
    out: list[ShareTarget] = []
    seen = set()
    for c in st.classes:
        if rule.n_classes == 2 and c.cls != 1:
            continue
        if c.cls in seen:
            continue
        seen.add(c.cls)
        out.append(
            ShareTarget(
                f"class{c.cls}", (c.cls,), c.value, float(pol["total_tol"]), float(pol["total_accept"])
            )
        )
    frac = float(pol["subgroup_moe_fraction"])
    for s in st.subgroups:
        if rule.n_classes == 2 and s.cls != 1:
            continue
        col = background[s.var].to_numpy(dtype=float, na_value=np.nan)[rows]
        group = np.isin(col, [float(c) for c in s.codes])
        if group.sum() < 2:
            continue
        scale = frac * _moe(s.value, int(group.sum()), z)
        out.append(ShareTarget(f"{s.var}{list(s.codes)}", (s.cls,), s.value, scale, scale, group))
    return out


@dataclass
class InstrumentResult:
    """Item codes of every instrument (columns = item ids, NaN = not answered / 99 applied later)."""

    items: pd.DataFrame
    nonsubstantive: pd.DataFrame  # bool, same shape: cells answered "Ønsker ikke svare"
    report: dict[str, Any]


def generate_instruments(
    model: SurveyModel,
    targets: Mapping[str, ScaleTargets],
    rules: Mapping[str, Rule],
    impairment: Rule,
    background: pd.DataFrame,
    draws: LatentDraws,
    parts: Sequence[np.ndarray],
    target_rows: np.ndarray,
    pol: Mapping[str, Any],
    z: float,
    rng_missing: np.random.Generator,
    rng_polish: np.random.Generator,
) -> InstrumentResult:
    """Generate and polish all instruments for the respondents in ``background``.

    ``parts`` are the disjoint row groups whose item counts are matched separately (analysed
    respondents; out-of-target respondents; break-offs). The configured "Ønsker ikke svare"
    answers go to analysed respondents (``target_rows``), so their numbers hold after cleaning;
    polishing works on the analysed respondents with complete answers on the scale.
    """
    n = len(background)
    codes: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    analysed = np.flatnonzero(target_rows)
    for name, scale in model.scales.items():
        st = targets[name]
        per_item = {st.item_names.index(k): v for k, v in st.nonsubstantive_items.items()}
        missing[name] = np.zeros((n, len(scale.items)), dtype=bool)
        missing[name][analysed] = nonsubstantive_mask(
            len(scale.items), analysed, st.nonsubstantive_respondents, per_item, rng_missing
        )
        z_lat = item_latents(scale, scale_factor(scale, draws, background), draws)
        codes[name] = assign_items(scale, z_lat, parts, missing[name])
    report: dict[str, Any] = {}
    impaired = np.full(n, -1)
    for name in polish_order(list(model.scales)):
        st, rule = targets[name], rules[name]
        x = codes[name]
        imp = impaired if rule.impairment else None
        ok = target_rows & ~np.isnan(x).any(axis=1)
        if imp is not None:
            ok &= imp >= 0
        rows = np.flatnonzero(ok)
        tg = share_targets(st, rule, background, rows, pol, z)
        res = polish(
            x[rows],
            rule,
            tg,
            st.alpha,
            float(pol["alpha_tol"]),
            float(pol["alpha_accept"]),
            rng_polish,
            None if imp is None else imp[rows],
            batch=int(pol["batch"]),
            max_batches=int(pol["max_batches"]),
            patience=int(pol["patience"]),
        )
        x[rows] = res.x
        report[name] = {
            "swaps": res.steps,
            "batches": res.batches,
            "objective_before": round(res.objective_before, 4),
            "objective_after": round(res.objective_after, 4),
            "alpha": round(cronbach_alpha(x[rows]), 4),
        }
        if name == "wsas":
            impaired = impairment.classify(x)
    cols = {}
    ns = {}
    for name, scale in model.scales.items():
        for i, item in enumerate(scale.items):
            cols[item] = codes[name][:, i]
            ns[item] = missing[name][:, i]
    return InstrumentResult(pd.DataFrame(cols), pd.DataFrame(ns), report)
