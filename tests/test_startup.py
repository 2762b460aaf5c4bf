"""The workflow's start-up cache (mhsurvey.startup): a value is reused only while every input of
its derivation is unchanged, and a changed input derives it again (with its error)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mhsurvey.codebook import load_codebook
from mhsurvey.config import validate_config
from mhsurvey.errors import ConfigError
from mhsurvey.report.editions import report_editions
from mhsurvey.startup import canonical, fingerprint, remembered
from mhsurvey.units import configured_units, resolve_units

REPO = Path(__file__).resolve().parents[1]


class Counter:
    """A derivation that counts its calls and returns the current content of a file."""

    def __init__(self, path: Path) -> None:
        self.path, self.calls = path, 0

    def __call__(self) -> dict:
        self.calls += 1
        return {"text": self.path.read_text(encoding="utf-8"), "pair": (1, 2)}


def test_canonical_json_sorts_keys_and_tells_key_types_apart():
    assert canonical({"b": 1, "a": (1, 2)}) == '{"a": [1, 2], "b": 1}'
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})
    assert canonical({1: "x"}) == '{"<int>1": "x"}'
    assert canonical({1: "x"}) != canonical({"1": "x"})


def test_fingerprint_depends_on_name_key_files_and_code(tmp_path):
    f, c = tmp_path / "f.yaml", tmp_path / "code.py"
    f.write_text("a: 1\n", encoding="utf-8")
    c.write_text("x = 1\n", encoding="utf-8")
    base = fingerprint("n", {"k": 1}, [f], [c])
    assert base == fingerprint("n", {"k": 1}, [f], [c])
    assert len(base) == 64 and int(base, 16) >= 0
    assert fingerprint("m", {"k": 1}, [f], [c]) != base
    assert fingerprint("n", {"k": 2}, [f], [c]) != base
    assert fingerprint("n", {"k": 1}, [c], [f]) != base  # a file's role is part of it
    f.write_text("a: 2\n", encoding="utf-8")
    assert fingerprint("n", {"k": 1}, [f], [c]) != base
    f.write_text("a: 1\n", encoding="utf-8")
    c.write_text("x = 2\n", encoding="utf-8")
    assert fingerprint("n", {"k": 1}, [f], [c]) != base
    c.write_text("x = 1\n", encoding="utf-8")
    assert fingerprint("n", {"k": 1}, [f], [c]) == base
    assert fingerprint("n", {"k": 1}, [f, tmp_path / "gone"], [c]) != base  # missing: no error


def test_remembered_reuses_until_an_input_changes(tmp_path):
    f, cache = tmp_path / "in.txt", tmp_path / "sub" / "startup.json"
    f.write_text("one", encoding="utf-8")
    derive = Counter(f)
    first = remembered(cache, "v", derive, key={"k": 1}, files=[f])
    assert first == {"text": "one", "pair": [1, 2]}  # plain JSON data, cached or not
    assert remembered(cache, "v", derive, key={"k": 1}, files=[f]) == first
    assert derive.calls == 1
    stored = json.loads(cache.read_text(encoding="utf-8"))
    assert stored["v"]["value"] == first
    assert stored["v"]["fingerprint"] == fingerprint("v", {"k": 1}, [f], [])
    assert remembered(cache, "v", derive, key={"k": 2}, files=[f]) == first and derive.calls == 2
    f.write_text("two", encoding="utf-8")
    assert remembered(cache, "v", derive, key={"k": 2}, files=[f])["text"] == "two"
    assert derive.calls == 3
    assert remembered(None, "v", derive, key={"k": 2}, files=[f])["text"] == "two"  # no cache
    assert derive.calls == 4


def test_a_broken_or_unwritable_cache_costs_only_the_speed_up(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("one", encoding="utf-8")
    cache = tmp_path / "startup.json"
    cache.write_text("{not json", encoding="utf-8")
    derive = Counter(f)
    assert remembered(cache, "v", derive, files=[f])["text"] == "one"
    assert json.loads(cache.read_text(encoding="utf-8"))["v"]["value"]["text"] == "one"
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    assert remembered(blocked / "startup.json", "v", derive, files=[f])["text"] == "one"
    assert derive.calls == 2


def test_a_failing_derivation_is_not_stored(tmp_path):
    cache = tmp_path / "startup.json"

    def fail():
        raise ConfigError("bad")

    with pytest.raises(ConfigError, match="bad"):
        remembered(cache, "v", fail)
    assert not cache.exists()


def _units_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))["units"]


def test_cached_units_equal_the_resolved_units_and_follow_a_codebook_edit(tmp_path):
    for kind in ("current", "former"):
        shutil.copy(REPO / "config" / "codebook" / f"{kind}.yaml", tmp_path / f"{kind}.yaml")
    paths = {k: str(tmp_path / f"{k}.yaml") for k in ("current", "former")}
    cache = tmp_path / "startup.json"
    expected = resolve_units(_units_config(), {k: load_codebook(p) for k, p in paths.items()})
    assert list(configured_units(_units_config(), paths, cache=cache).values()) == expected
    assert list(configured_units(_units_config(), paths, cache=cache).values()) == expected  # from cache
    assert list(configured_units(_units_config(), paths).values()) == expected
    first = expected[0]
    cb = Path(paths["current"])
    text = cb.read_text(encoding="utf-8")
    assert text.count(first.label_no) >= 1
    cb.write_text(text.replace(first.label_no, "Omdøpt enhet"), encoding="utf-8")
    renamed = configured_units(_units_config(), paths, cache=cache)
    assert renamed[first.id].label_no == "Omdøpt enhet"
    assert configured_units(None, paths, cache=cache) == {}


def test_a_cached_valid_config_does_not_hide_an_invalid_one(tmp_path):
    cache = tmp_path / "startup.json"
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    validate_config(config, cache=cache)
    assert "config" in json.loads(cache.read_text(encoding="utf-8"))
    validate_config(config, cache=cache)
    bad = {**config, "bogus_key": 1}
    with pytest.raises(ConfigError, match="bogus_key"):
        validate_config(bad, cache=cache)
    with pytest.raises(ConfigError, match="bogus_key"):
        validate_config(bad, cache=cache)  # a failure is never remembered


def test_cached_editions_follow_the_report_config(tmp_path):
    shutil.copy(REPO / "config" / "report.yaml", tmp_path / "report.yaml")
    path, cache = tmp_path / "report.yaml", tmp_path / "startup.json"
    assert report_editions(path, cache=cache) == {"rapport": "no", "report_en": "en"}
    assert report_editions(path, default_only=True, cache=cache) == report_editions(path, default_only=True)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["editions"]["en"]["default"] = False
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert report_editions(path, default_only=True, cache=cache) == {"rapport": "no"}
    assert report_editions(path, cache=cache) == {"rapport": "no", "report_en": "en"}
