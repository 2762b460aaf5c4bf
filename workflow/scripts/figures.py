"""Rule figures: stage-04 estimates -> results/<survey>/05_figures/ (see workflow/rules/figures.smk)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from mhsurvey.dictionary import write_dictionary  # noqa: E402
from mhsurvey.figures.build import (  # noqa: E402
    DATA_DOCS,
    INDEX_DOCS,
    contact_sheet,
    draw_survey,
    index_frame,
    write_figure,
)
from mhsurvey.figures.catalogue import load_catalogue  # noqa: E402
from mhsurvey.figures.inputs import load_survey_inputs  # noqa: E402
from mhsurvey.io import write_csv  # noqa: E402
from mhsurvey.logs import setup_logging  # noqa: E402

log = setup_logging(snakemake)
survey = snakemake.params.survey  # survey kind (mhsurvey.surveys.survey_kind)
out_dir = Path(snakemake.output.figures)
catalogue = load_catalogue(snakemake.input.catalogue)
inputs = load_survey_inputs(
    survey,
    estimates=snakemake.input.estimates,
    subgroup_tests=snakemake.input.subgroup_tests,
    codebook=snakemake.input.codebook,
    summary=snakemake.input.summary,
    estimates_config=snakemake.input.estimates_config,
    scoring=snakemake.input.scoring,
    style=catalogue["style"],
)
out_dir.mkdir(parents=True, exist_ok=True)
figures = draw_survey(
    catalogue,
    inputs,
    snakemake.input.mplstyle,
    out_rel=str(out_dir),
    on_figure=lambda f: write_figure(f, out_dir),
    lang=snakemake.params.lang,
)
index = index_frame(figures)
write_csv(index, out_dir / "figures.csv")
write_dictionary(INDEX_DOCS, out_dir / "figures.dictionary.csv", index)
write_dictionary(DATA_DOCS, out_dir / "figure_data.dictionary.csv", figures[0].drawn)
title = f"{survey}: {len(figures)} figures" + (
    f" - {inputs.synthetic_label}" if inputs.synthetic_label else ""
)
(out_dir / "contact_sheet.png").write_bytes(
    contact_sheet(figures, title, int(catalogue["style"].get("thumbnail_px", 420)))
)
log.info("%s: drew %d figures in %.1f s", survey, len(figures), sum(f.seconds for f in figures))
