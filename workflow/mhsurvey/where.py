"""``python -m mhsurvey.where``: after ``make report``, print where the outputs are.

Reads the main config to list the surveys, prints each survey's cleaning counts from
``results/<survey>/01_clean/cleaning_summary.json`` and the paths of the rendered report and of
every stage's results.
"""

from __future__ import annotations

import json
from pathlib import Path

from .config import load_config

REPORT_FILES = (
    "reports/rapport.html",
    "reports/rapport.pdf",
    "reports/report_en.html",
    "reports/report_en.pdf",
)


def summary_lines(root: Path = Path(".")) -> list[str]:
    """Lines describing the built outputs under ``root``."""
    config = load_config(root / "config" / "config.yaml")
    lines = []
    for survey in sorted(config["surveys"]):
        path = root / "results" / survey / "01_clean" / "cleaning_summary.json"
        if path.exists():
            s = json.loads(path.read_text(encoding="utf-8"))
            lines.append(
                f"{survey}: n kept = {s['kept']:,} of {s['raw_rows']:,} raw rows "
                f"(excluded {s['excluded']}: {s['excluded_by_rule']})"
            )
        stages = sorted(p.name for p in (root / "results" / survey).glob("0*") if p.is_dir())
        lines.append(f"  results: results/{survey}/ ({', '.join(stages)})")
    reports = [f for f in REPORT_FILES if (root / f).exists()]
    lines.append("report: " + (", ".join(reports) if reports else "not built yet (run `make report`)"))
    return lines


if __name__ == "__main__":
    print("\n".join(summary_lines()))
