"""Reproduction audit of the published numbers and errata of the study (rule ``audit``).

Modules (import downward only): ``published`` (the table of printed numbers) ->
``crosswalk`` (published id -> pipeline output or reason, config/crosswalk.yaml) ->
``regenerate`` (the regenerated value and its margin of error) -> ``reproduction``
(reports/reproduction.csv and the summary) ; ``errata`` (generic consistency checks of the
published table). Method and file formats: docs/audit.md.
"""
