"""Entry points of the ``simulate*`` rules: load inputs, calibrate, generate + export, check."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mhsurvey.clean import CleaningSettings, clean_survey, settings_from_config
from mhsurvey.codebook import load_codebook
from mhsurvey.config import load_yaml_validated
from mhsurvey.errors import ConfigError
from mhsurvey.scoring import load_scoring_rules, score_responses

from .calibrate import calibrate_model
from .checks import as_table, chapter2_rows, composition_rows, instrument_rows, summarise
from .export import build_export, count_quirks, read_export_cells, write_export
from .generate import GENERATOR_VERSION, SimulationInputs, generate_survey, sample_sizes
from .instruments import all_scale_targets
from .items import item_calibration
from .latent import SurveyModel
from .rules import rules_from_scoring
from .targets import load_published

log = logging.getLogger(__name__)

SCHEMA = "simulation.schema.yaml"
ITEMS_SCHEMA = "simulation_items.schema.yaml"  # chapter-2 spec (mhsim.items)


def load_simulation_config(path: str | Path) -> dict[str, Any]:
    """Read ``config/simulation/<survey>.yaml`` and validate it against the simulation schema."""
    return load_yaml_validated(path, SCHEMA)


def load_inputs(
    sim_config: str | Path,
    codebook: str | Path,
    scoring: str | Path,
    published: Sequence[str | Path],
    model: str | Path | None = None,
    items_spec: str | Path | None = None,
) -> SimulationInputs:
    """Parse and validate everything the generator needs (the model may be absent before calibration)."""
    cfg = load_simulation_config(sim_config)
    cb = load_codebook(codebook)
    if cb.survey != cfg["survey"]:
        raise ConfigError(f"{sim_config}: survey {cfg['survey']!r} but codebook {codebook} is {cb.survey!r}")
    scoring_rules = load_scoring_rules(scoring)
    scale_items = {name: cb.instrument_items(name) for name in cfg["instruments"]}
    rules, impairment = rules_from_scoring(scoring_rules, scale_items)
    surv_model = SurveyModel(cfg["survey"], {})
    if model is not None:
        surv_model = SurveyModel.from_json(json.loads(Path(model).read_text(encoding="utf-8")))
    spec = None
    if items_spec is not None and Path(items_spec).exists():
        spec = load_yaml_validated(items_spec, ITEMS_SCHEMA)
    return SimulationInputs(
        cfg, load_published(published), cb, rules, impairment, surv_model, spec, scoring_rules
    )


def calibrate(inp: SimulationInputs) -> SurveyModel:
    """Solve the model of one survey (slow)."""
    return calibrate_model(inp.cfg, inp.published, inp.codebook, inp.rules, inp.impairment, GENERATOR_VERSION)


def generate_export(
    inp: SimulationInputs, seed: int | None = None, n_respondents: int | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The raw export frame and its quirk counts (seed from the config unless given; ``n_respondents``:
    another survey size, groups scaled proportionally, see :func:`mhsim.generate.sample_sizes`)."""
    s = int(inp.cfg["seed"] if seed is None else seed)
    gen = generate_survey(inp, s, n_respondents)
    frame, counts = build_export(gen, inp.cfg, inp.codebook, s)
    counts["generator"] = gen.report
    return frame, counts


def write(
    inp: SimulationInputs, path: str | Path, seed: int | None = None, n_respondents: int | None = None
) -> dict[str, Any]:
    """Generate and write the export (``n_respondents``: another survey size); return the quirk counts."""
    frame, counts = generate_export(inp, seed, n_respondents)
    write_export(frame, path, inp.cfg["export"]["delimiter"])
    return counts


def cleaning_settings(cleaning: Mapping[str, Any], survey_cfg: Mapping[str, Any]) -> CleaningSettings:
    """Cleaning settings from the main config blocks ``cleaning`` and ``surveys.<survey>``."""
    return settings_from_config({"cleaning": cleaning, "surveys": {"s": survey_cfg}}, "s")


def calibration(
    inp: SimulationInputs, export_path: str | Path, settings: CleaningSettings
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clean and score the export with the pipeline's own stages; build the calibration table."""
    result = clean_survey(export_path, inp.codebook, settings)
    responses = result.responses
    scoring_rules = inp.scoring
    if scoring_rules is None:
        raise ConfigError("the calibration table needs the scoring rules (config/scoring.yaml)")
    scores = score_responses(responses, inp.codebook, scoring_rules)
    n_target = sample_sizes(inp.cfg, inp.published)[0]
    targets = all_scale_targets(inp.cfg, inp.published, inp.codebook)
    rows = composition_rows(responses, inp.cfg, inp.published, inp.codebook, n_target)
    rows += instrument_rows(responses, scores, targets, inp.cfg, inp.published, inp.codebook, scoring_rules)
    if inp.items_spec is not None:
        rows += chapter2_rows(
            item_calibration(
                responses, inp.items_spec, _conditions(scores, scoring_rules), published=inp.published
            )
        )
    table = as_table(rows)
    summary = summarise(table, float(inp.cfg["checks"]["subgroup_min_share"]))
    summary["cleaning"] = {k: result.summary[k] for k in ("raw_rows", "kept", "excluded", "excluded_by_rule")}
    return table, summary


def _conditions(scores: pd.DataFrame, scoring_rules: Mapping[str, Any]) -> pd.DataFrame:
    """Diagnostic-group membership (bool) per condition label, from the scores' ``condition_*`` columns."""
    cols = scoring_rules["derived"]["conditions"]["columns"]
    out = {}
    for name, spec in cols.items():
        if name in scores.columns:
            out[spec["label_no"]] = scores[name].fillna(0).astype(int).to_numpy() == 1
    return pd.DataFrame(out)


def quirk_summary(export_path: str | Path, inp: SimulationInputs) -> dict[str, Any]:
    """Quirks measured on a written export (for ``synthetic.json``)."""
    frame = read_export_cells(export_path, inp.cfg["export"]["delimiter"])
    s = inp.cfg["sample"]
    return count_quirks(frame, inp.codebook, s["target_column"], int(s["outside_code"]))
