"""Stage 06: the report (Jinja templates -> one self-contained HTML file -> PDF).

Modules, importing downward only:
    numbers    - the one number-formatting filter (Norwegian decimal comma, thin-space thousands)
    phrasing   - words for shares ("to tredjedeler", "8 av 10") chosen from the value
    results    - read-only access to the results tables of stages 01-05
    narrative  - sentences written from the subgroup tests
    render     - Jinja environment, figure/table numbering, self-contained HTML, PDF
"""
