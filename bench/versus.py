"""Runs one benchmark on an earlier commit and on this tree, interleaved, and prints the ratio.

A refactor promises "no slower than before"; this holds it to that in one run on one
machine: base, head, base, head … (`--rounds`), each checkout running its own copy of the
bench (so each imports its own modules), with the same arguments. The base is checked out
with `git worktree add --detach` into a temporary folder that shares this tree's .venv, and
removed at the end whatever happens.

    .venv/bin/python bench/versus.py --base acf2b72 [--rounds 2] intake -- --clients 8 --seconds 20
    .venv/bin/python bench/versus.py --base acf2b72 supervisor_map -- --repeat 3

From each run's output it reads the numbers that bench names (below), then prints the median
per checkout and head ÷ base. Lower is better for times and CPU, higher for rates.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent

# name → (regex over the bench's output, with one float group; True if higher is better)
METRICS: dict[str, dict[str, tuple[str, bool]]] = {
    "intake": {
        "API reports/s": (r"^API \(.*?→ ([\d,.]+) reports/s", True),
        "API p95 ms": (r"^API \(.*?p95 ([\d.]+) ms", False),
        "gunicorn CPU ms/report": (r"^API \(.*\n\s+CPU per report: gunicorn ([\d.]+) ms", False),
        "PostgreSQL CPU ms/report (API)": (r"^API \(.*\n\s+CPU per report: gunicorn [\d.]+ ms, PostgreSQL ([\d.]+) ms",
                                           False),
        "raw reports/s": (r"^raw \(.*?→ ([\d,.]+) reports/s", True),
        "API ÷ raw %": (r"^ratio: .*?= ([\d.]+)%", True),
    },
    "supervisor_map": {
        "baseline (old map) s": (r"^\s+baseline: .*?: ([\d.]+) s", False),
        "city overview s": (r"^\s+city overview .*?: ([\d.]+) s", False),
        "district drill-down s": (r"^\s+district drill-down .*?: ([\d.]+) s", False),
        "community s": (r"^\s+community .*?: ([\d.]+) s", False),
        "full-city cell layer s": (r"^\s+full-city cell layer .*?: ([\d.]+) s", False),
    },
}


def run(checkout: Path, bench: str, args: list[str]) -> str:
    command = [str(ROOT / ".venv" / "bin" / "python"), f"bench/{bench}.py", *args]
    print(f"$ (in {checkout}) {' '.join(command[1:])}", flush=True)
    result = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=False)
    print(result.stdout, result.stderr[-2000:] if result.returncode else "", sep="", flush=True)
    if result.returncode:
        raise SystemExit(f"the bench failed in {checkout} (exit {result.returncode})")
    return result.stdout


def read(output: str, bench: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, (pattern, _higher) in METRICS[bench].items():
        match = re.search(pattern, output, flags=re.M)
        if match:
            found[name] = float(match.group(1).replace(",", ""))
    return found


def prepare(base: str, folder: Path) -> Path:
    checkout = folder / "base"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(checkout), base], cwd=ROOT, check=True)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    # What `make setup` does besides installing: compiled catalogues and collected static files.
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "compilemessages", "-v", "0", "--ignore=.venv"], cwd=checkout,
                   check=True, capture_output=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=checkout, check=True)
    return checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=1, help="base, head pairs (interleaved)")
    parser.add_argument("bench", choices=sorted(METRICS))
    parser.add_argument("args", nargs=argparse.REMAINDER, help="after --: the bench's own arguments")
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    if not 1 <= options.rounds <= 5:
        parser.error("1 ≤ --rounds ≤ 5")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    results: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
    with TemporaryDirectory(prefix="bench-versus-") as tmp:
        checkout = prepare(options.base, Path(tmp))
        try:
            for _round in range(options.rounds):
                results["base"].append(read(run(checkout, options.bench, args), options.bench))
                results["head"].append(read(run(ROOT, options.bench, args), options.bench))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=False)
    print(f"{options.bench}: base {options.base} vs head {head}, median of {options.rounds} interleaved round(s)")
    for name, (_pattern, higher) in METRICS[options.bench].items():
        base = [r[name] for r in results["base"] if name in r]
        new = [r[name] for r in results["head"] if name in r]
        if not base or not new:
            print(f"  {name}: not in the output")
            continue
        b, h = statistics.median(base), statistics.median(new)
        ratio = h / b if b else float("nan")
        better = (ratio >= 1) if higher else (ratio <= 1)
        print(f"  {name}: base {b:g}, head {h:g}, head ÷ base {ratio:.2f} ({'no worse' if better else 'worse'})")


if __name__ == "__main__":
    sys.exit(main())
