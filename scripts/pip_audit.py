"""`make audit`, second half: pip-audit over requirements.txt.

requirements.txt is `pip freeze` output, every package pinned, so pip-audit runs with
--no-deps --disable-pip: it installs and resolves nothing, it only asks a vulnerability
service about each pinned release. Any known vulnerability fails, unless its id is in
ACCEPTED with the reason (and in docs/security-findings.md).

The one thing tolerated is a vulnerability service that cannot be reached: intranet build
machines have no internet. Then this says loudly that nothing was audited and exits 0, or
2 with AUDIT_REQUIRE_SERVICE=1 (for a machine that must audit). A service that answers for
some packages but not others is not that, and fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Vulnerability id -> why it does not apply to wangge. Keep docs/security-findings.md in step.
ACCEPTED: dict[str, str] = {}

NETWORK_SIGNS = (
    "ConnectionError", "NameResolutionError", "Temporary failure in name resolution", "Max retries exceeded",
    "Network is unreachable", "Connection refused", "timed out", "ConnectTimeout", "ProxyError",
)


def verdict(returncode: int, stdout: str, stderr: str) -> tuple[int, str]:
    """(exit code, message) for one pip-audit run with -f json."""
    try:
        report = json.loads(stdout)
    except ValueError:
        if any(sign in stderr for sign in NETWORK_SIGNS):
            return 0, "pip-audit: NOT AUDITED, no vulnerability service could be reached (network)."
        return returncode or 1, f"pip-audit failed:\n{stderr[-3000:]}"
    deps = report.get("dependencies", [])
    found = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions', [])) or 'no release yet'})"
        for d in deps for v in d.get("vulns", []) if v["id"] not in ACCEPTED
    ]
    if found:
        return 1, "pip-audit: known vulnerabilities:\n  " + "\n  ".join(found)
    skipped = [f"{d['name']} {d.get('version', '')}: {d['skip_reason']}" for d in deps if d.get("skip_reason")]
    if deps and len(skipped) == len(deps):
        return 0, (f"pip-audit: NOT AUDITED, the vulnerability service answered for none of the {len(deps)} "
                   "pinned packages (offline, or a package mirror without per-release data).")
    if skipped:
        return 1, "pip-audit: some packages could not be audited:\n  " + "\n  ".join(skipped)
    if returncode:
        return returncode, f"pip-audit exited {returncode}:\n{stderr[-3000:]}"
    return 0, f"pip-audit: {len(deps)} pinned packages, no known vulnerabilities."


def main() -> int:
    command = [str(Path(sys.executable).parent / "pip-audit"), "-r", str(ROOT / "requirements.txt"), "--no-deps",
               "--disable-pip", "--progress-spinner", "off", "-f", "json"]
    for vuln_id in ACCEPTED:
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    code, message = verdict(result.returncode, result.stdout, result.stderr)
    print(message)
    if code == 0 and message.startswith("pip-audit: NOT AUDITED") and os.environ.get("AUDIT_REQUIRE_SERVICE") == "1":
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
