"""Reading YAML: one loader for every config file, codebook and schema (a leaf module).

``safe_load`` uses libyaml's C parser (``yaml.CSafeLoader``) when PyYAML was built with it and
the pure-Python ``yaml.SafeLoader`` otherwise. Both implement the same safe YAML 1.1 subset
(plain data: mappings, sequences, strings, numbers, booleans, null); the C parser is about ten
times faster, which matters at Snakemake start-up, where every config file and codebook is read.
"""

from __future__ import annotations

from typing import Any

import yaml

#: The loader class used by :func:`safe_load`.
LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: What a malformed document raises (re-exported so callers need not import yaml).
YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    """Parse one YAML document of plain data (``yaml.load(text, Loader=LOADER)``)."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - LOADER is a safe loader
