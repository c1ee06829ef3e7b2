"""The README's "Tests and how to see each thing" table names test and bench files; a file
moved or renamed without the table following would leave readers a dead path."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A path starts at a word boundary that is not inside another path ("docs/tests/..." is not one).
NAMED = re.compile(r"(?<![\w/.-])(?:tests|bench)/[\w./-]*[\w/]")


def named_paths(text: str) -> list[str]:
    return sorted(set(NAMED.findall(text)))


def missing(paths: list[str]) -> list[str]:
    return [path for path in paths if not (ROOT / path).exists()]


def test_every_tests_and_bench_path_in_the_readme_exists() -> None:
    paths = named_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    # The table names dozens of files; finding only a few would mean the pattern stopped matching.
    assert len(paths) > 40, paths
    assert missing(paths) == []


def test_a_path_that_is_gone_is_reported() -> None:
    text = "| the thin flow | `tests/web/test_case_flow.py`, `tests/cases/test_api.py`, see bench/intake.py. |"
    assert named_paths(text) == ["bench/intake.py", "tests/cases/test_api.py", "tests/web/test_case_flow.py"]
    assert missing(named_paths(text)) == ["tests/web/test_case_flow.py"]
