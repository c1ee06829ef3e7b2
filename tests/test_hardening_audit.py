"""`make audit`: bandit is clean with the project's configuration, and the pip-audit wrapper
passes only a clean report or an unreachable vulnerability service, never a finding."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("pip_audit_script", ROOT / "scripts" / "pip_audit.py")
assert spec and spec.loader
pip_audit_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pip_audit_script)
verdict = pip_audit_script.verdict


def report(*deps: dict) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


DJANGO = {"name": "django", "version": "5.2.19", "vulns": []}
PILLOW = {"name": "pillow", "version": "13.0.0", "vulns": []}


def test_clean_report_passes():
    code, message = verdict(0, report(DJANGO, PILLOW), "")
    assert code == 0 and "2 pinned packages, no known vulnerabilities" in message


def test_a_vulnerability_fails_whatever_else():
    vulnerable = PILLOW | {"vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["13.0.1"], "aliases": []}]}
    code, message = verdict(1, report(DJANGO, vulnerable), "")
    assert code == 1 and "pillow 13.0.0: PYSEC-2099-1 (fixed in 13.0.1)" in message


def test_accepted_vulnerability_passes_only_when_listed(monkeypatch):
    vulnerable = PILLOW | {"vulns": [{"id": "PYSEC-2099-1", "fix_versions": [], "aliases": []}]}
    monkeypatch.setattr(pip_audit_script, "ACCEPTED", {"PYSEC-2099-1": "decoder not used"})
    assert verdict(0, report(DJANGO, vulnerable), "")[0] == 0


def test_unreachable_service_passes_saying_nothing_was_audited():
    traceback = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev'): Max retries exceeded"
    code, message = verdict(1, "", traceback)
    assert code == 0 and "NOT AUDITED" in message
    skipped = [d | {"skip_reason": "Dependency not found on PyPI"} for d in (DJANGO, PILLOW)]
    code, message = verdict(0, report(*skipped), "")
    assert code == 0 and "NOT AUDITED" in message


def test_partly_skipped_or_crashed_audit_fails():
    skipped = PILLOW | {"skip_reason": "Dependency not found on PyPI"}
    assert verdict(0, report(DJANGO, skipped), "")[0] == 1
    assert verdict(1, "", "Traceback: KeyError 'vulns'")[0] == 1


def test_bandit_is_clean_with_the_project_configuration():
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "bandit"), "-r", "governance", "grids", "cases", "geo", "-c", "pyproject.toml",
         "-q", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    findings = json.loads(result.stdout)["results"]
    assert findings == [] and result.returncode == 0, findings
