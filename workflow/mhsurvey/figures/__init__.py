"""Stage 05: every figure of the study, drawn from the stage-04 estimates (docs/figures.md).

Modules, importing downward only:

- :mod:`.catalogue`  load and validate ``config/figures.yaml`` (JSON Schema), expand per survey
- :mod:`.select`     catalogue selectors -> one tidy frame per figure (pure; stops on missing rows)
- :mod:`.style`      palette, label formatting (``mhsurvey.rounding``), wrapping, synthetic mark
- :mod:`.kinds`      the registry of chart kinds: pure functions (tidy frame, spec) -> Figure
- :mod:`.alt`        alt text written from the drawn numbers
- :mod:`.build`      draw a survey's catalogue, save SVG/PNG/data deterministically, the index
"""
