#!/usr/bin/env bash
# Installs what is missing, idempotently: Debian packages, the virtualenv, compiled
# translations and collected static files. Safe to run on every `make run` / `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  postgresql-15 postgresql-15-postgis-3 postgresql-client-15
  gdal-bin libgdal-dev libproj-dev binutils libgeos-c1v5
  redis-server redis-tools gettext
  python3 python3-venv python3-dev
  chromium fonts-noto-cjk
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # A temporary policy-rc.d keeps the packages from starting services of their own (a
  # Debian cluster with peer/scram auth on 5432): scripts/services.sh decides which
  # PostgreSQL and Redis to use, and starts its own where nothing answers.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d; own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$own_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY=$candidate; break
    fi
  done
fi
[ -n "$PY" ] || { echo "Python 3.11 is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing requirements.txt"
  # This machine's pip config names local mirrors that may be absent; their warnings are noise.
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
  echo "$want" > "$stamp"
fi

# Translations are compiled here, not committed: the .po files are the source.
.venv/bin/python manage.py compilemessages -v 0 --ignore=.venv >/dev/null
.venv/bin/python manage.py collectstatic --noinput -v 0
