#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs lint, types and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  need=()
  command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  # the web UI's browser tests drive Debian's chromium with Playwright (no browser download)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # sagemaker-training (installed into the image environments) builds a small C extension
  command -v cc >/dev/null 2>&1 || need+=(gcc)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
python -m pip install -q -e '.[test]'
# checkov pins an old boto3, so it lives in its own virtual environment.
if [ ! -x .venv-checkov/bin/checkov ]; then
  python -m venv .venv-checkov && .venv-checkov/bin/pip install -q checkov
fi
export SAGESTEP_CHECKOV="$PWD/.venv-checkov/bin/checkov"
# The ASL validator the compile tests run (from the npm registry, into an ignored local dir).
if [ ! -x .cache/npm/node_modules/.bin/asl-validator ]; then
  npm install --prefix .cache/npm --no-audit --no-fund asl-validator@4 >/dev/null
fi
# A skipped test fails the run under CI (tests/conftest.py): a fresh clone runs everything.
export CI="${CI:-true}"
ruff check src tests
mypy
python -m pytest -q -n 2 "$@"
