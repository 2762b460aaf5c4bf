"""Byte-identical outputs: results/ built from the embedded data against the committed hash list.

The list (tests/fixtures/results.sha256) is updated only on purpose; see mhsurvey.hashes.
"""

from __future__ import annotations

from pathlib import Path

from mhsurvey.hashes import compare, format_hashes, parse_hashes, tree_hashes

LIST = Path(__file__).parent / "fixtures" / "results.sha256"


def test_hash_helpers_round_trip(tmp_path):
    tree = tmp_path / "results"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "x.csv").write_bytes(b"abc")
    (tree / "manifest.json").write_text("{}")
    hashes = tree_hashes(tree)
    # sha256("abc"), a known-answer vector (FIPS 180-2, appendix B.1); the manifest is excluded
    assert hashes == {"results/a/x.csv": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
    assert parse_hashes(format_hashes(hashes)) == hashes
    other = dict(hashes, **{"results/b.csv": "0" * 64})
    assert compare(hashes, other) == {"missing": [], "extra": ["results/b.csv"], "changed": []}
    assert compare(other, {"results/a/x.csv": "1" * 64})["changed"] == ["results/a/x.csv"]


def test_results_are_byte_identical_to_the_committed_list(built):
    expected = parse_hashes(LIST.read_text(encoding="utf-8"))
    # unit editions (results/units/) are built on demand by tests/test_units.py in the same directory
    actual = {p: h for p, h in tree_hashes(built / "results").items() if not p.startswith("results/units/")}
    diff = compare(expected, actual)
    assert diff == {"missing": [], "extra": [], "changed": []}, (
        f"results/ differ from {LIST.name}: {diff}. If the change is intended, rebuild "
        "(make report) and run: .venv/bin/python -m mhsurvey.hashes results > tests/fixtures/results.sha256"
    )
