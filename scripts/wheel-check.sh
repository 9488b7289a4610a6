#!/usr/bin/env bash
# Builds the PyPI wheel (python/pyproject.toml, maturin) for this machine, installs it in a
# fresh virtual environment and runs the installed `preflight` on the bundled example: what
# `pip install cloud-preflight` and the `language: python` pre-commit hooks would run.
# Skipped, saying so, where python3 cannot make a virtual environment.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! python3 -m venv "$work/build" >/dev/null 2>&1; then
  echo "wheel check skipped: python3 cannot make a virtual environment here"
  exit 0
fi
"$work/build/bin/pip" install --quiet "maturin>=1.5,<2"
(cd "$root/python" && "$work/build/bin/maturin" build --release --quiet --out "$work/wheels")
python3 -m venv "$work/run"
"$work/run/bin/pip" install --quiet --no-index "$work"/wheels/*.whl
"$work/run/bin/preflight" --version
set +e
"$work/run/bin/preflight" validate "$root/examples/plan.yaml" --facts "$root/examples/facts.json" --format compact > "$work/out.txt"
code=$?
set -e
tail -1 "$work/out.txt"
if [ "$code" -ne 1 ] || ! grep -q "5 errors" "$work/out.txt"; then
  echo "the installed wheel did not report the example's five errors (exit $code)" >&2
  exit 1
fi
echo "wheel check passed"
