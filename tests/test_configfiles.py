"""Every file the main config references is validated at start-up (mhsurvey.configfiles).

A scratch copy of ``config/`` gets one unknown key in one file at a time; ``snakemake -n`` must
stop before any job with the config key, the file and the dotted path of the bad key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mhsurvey.configfiles import items_spec_path, referenced_files, validate_config_files
from mhsurvey.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# file (relative to config/), key path of a mapping inside it, the config key naming the file
BAD_KEYS = [
    ("scoring.yaml", ["instruments", "gad7"], "scoring_config"),
    ("estimates.yaml", ["significance"], "estimates_config"),
    ("codebook/current.yaml", ["export"], "surveys.current.codebook"),
    ("codebook/former.yaml", ["questions", 0], "surveys.former.codebook"),
    ("simulation/current.yaml", ["sample"], "simulation.current"),
    ("simulation/former.yaml", ["polish"], "simulation.former"),
    ("simulation/former_items.yaml", ["population"], "simulation.former (items spec)"),
]


def _config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def _with_bad_key(work: Path, name: str, where: list) -> str:
    """Add ``bogus_key: 1`` to the mapping at ``where`` in ``work/config/<name>``; its dotted path."""
    path = work / "config" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = data
    for step in where:
        node = node[step]
    node["bogus_key"] = 1
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return ".".join(str(s) for s in [*where, "bogus_key"])


def test_every_referenced_file_is_listed():
    files = {(f.key, f.path, f.schema) for f in referenced_files(_config())}
    assert files == {
        ("scoring_config", "config/scoring.yaml", "scoring.schema.yaml"),
        ("estimates_config", "config/estimates.yaml", "estimates.schema.yaml"),
        ("surveys.current.codebook", "config/codebook/current.yaml", "codebook.schema.yaml"),
        ("surveys.former.codebook", "config/codebook/former.yaml", "codebook.schema.yaml"),
        ("simulation.current", "config/simulation/current.yaml", "simulation.schema.yaml"),
        ("simulation.former", "config/simulation/former.yaml", "simulation.schema.yaml"),
        (
            "simulation.current (items spec)",
            "config/simulation/current_items.yaml",
            "simulation_items.schema.yaml",
        ),
        (
            "simulation.former (items spec)",
            "config/simulation/former_items.yaml",
            "simulation_items.schema.yaml",
        ),
        # the further wave's generator (its codebook is config/codebook/current.yaml, listed once)
        (
            "waves.2025.simulation.current",
            "config/simulation/waves/2025/current.yaml",
            "simulation_wave.schema.yaml",
        ),
    }
    assert items_spec_path("config/simulation/former.yaml") == "config/simulation/former_items.yaml"


def test_a_stage_config_key_needs_its_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    config = {**_config(), "nonexistent_config": "config/estimates.yaml"}
    with pytest.raises(
        ConfigError, match=r"nonexistent_config: no schema workflow/schemas/nonexistent.schema.yaml"
    ):
        referenced_files(config)


def test_the_shipped_config_files_are_valid(monkeypatch):
    monkeypatch.chdir(REPO)
    assert len(validate_config_files(_config())) == 9


@pytest.mark.parametrize("name, where, key", BAD_KEYS)
def test_a_bad_key_names_file_and_dotted_path(tmp_path, monkeypatch, name, where, key):
    shutil.copytree(REPO / "config", tmp_path / "config")
    dotted = _with_bad_key(tmp_path, name, where)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        validate_config_files(_config())
    msg = str(err.value)
    assert msg.startswith(f"{key} -> ")
    assert f"config/{name}" in msg
    assert f"  {dotted}: Additional properties are not allowed ('bogus_key' was unexpected)" in msg


def test_the_cache_skips_only_unchanged_files(tmp_path, monkeypatch):
    shutil.copytree(REPO / "config", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache" / "validated.json"
    validate_config_files(_config(), cache=cache)
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 9
    _with_bad_key(tmp_path, "estimates.yaml", ["base"])  # changed content: validated again
    with pytest.raises(ConfigError, match=r"base\.bogus_key"):
        validate_config_files(_config(), cache=cache)


def test_a_missing_file_is_named(tmp_path, monkeypatch):
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "config" / "estimates.yaml").unlink()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"estimates_config: file config/estimates.yaml does not exist"):
        validate_config_files(_config())


@pytest.mark.parametrize("name, where, key", BAD_KEYS)
def test_snakemake_dry_run_stops_at_start_up(tmp_path, name, where, key):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(REPO / "config", work / "config")
    for link in ("Snakefile", "workflow", "data"):
        (work / link).symlink_to(REPO / link)
    dotted = _with_bad_key(work, name, where)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(BIN / "snakemake"), "-n"], cwd=work, capture_output=True, text=True, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert f"{key} -> config/{name} is invalid" in out
    assert f"  {dotted}: Additional properties are not allowed" in out
    assert "Job stats" not in out and not (work / "results").exists()
