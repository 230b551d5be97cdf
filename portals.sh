#!/usr/bin/env bash
# One entry point for a fresh machine (Python 3.11, pip, Debian):
#
#   ./portals.sh build [portals build options]   build the site into _site/
#   ./portals.sh test  [pytest options]          run the whole test suite
#   ./portals.sh serve [portals serve options]   preview the site, rebuilt as content/ changes
#   ./portals.sh COMMAND [...]                   any other `portals` command
#
# Each command first makes sure that the virtual environment (.venv, or
# $PORTALS_VENV) holds the project and its dependencies, including fse, which
# has to be built from its source distribution (tools/build_fse_wheel.py).
# The environment is reused as long as pyproject.toml and the fse build script
# are unchanged; the fse wheel is kept in .cache/wheelhouse (or
# $PORTALS_WHEELHOUSE), so it is built once per machine or CI cache.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${PORTALS_VENV:-$ROOT/.venv}"
WHEELHOUSE="${PORTALS_WHEELHOUSE:-$ROOT/.cache/wheelhouse}"
PYTHON="${PYTHON:-python3}"

say() { printf '==> %s\n' "$*" >&2; }

ensure_env() {
    local extras="$1"   # "" for building, "test" for the test suite
    local want
    want="$(cat "$ROOT/pyproject.toml" "$ROOT/tools/build_fse_wheel.py" | sha256sum | cut -d' ' -f1)"
    # The test environment is a superset of the build environment.
    for stamp in "$VENV/.installed-test" "$VENV/.installed-$extras"; do
        if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
            return
        fi
    done
    if [[ ! -x "$VENV/bin/python" ]]; then
        say "creating virtual environment $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    local pip=("$VENV/bin/python" -m pip --quiet --disable-pip-version-check)
    say "installing build tools for fse"
    "${pip[@]}" install "setuptools>=68" wheel "cython>=3" "numpy>=1.26"
    "$VENV/bin/python" "$ROOT/tools/build_fse_wheel.py" "$WHEELHOUSE"
    say "installing the project${extras:+ with its $extras extras}"
    "${pip[@]}" install --find-links "$WHEELHOUSE" -e "$ROOT${extras:+[$extras]}"
    echo "$want" > "$VENV/.installed-$extras"
}

ensure_chromium() {
    if command -v chromium >/dev/null 2>&1; then
        return
    fi
    say "installing Debian's chromium for the browser tests"
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
}

command="${1:-}"
shift || true
case "$command" in
    build)
        ensure_env ""
        exec "$VENV/bin/portals" build "$@"
        ;;
    serve)
        ensure_env ""
        exec "$VENV/bin/portals" serve "$@"
        ;;
    test)
        ensure_env test
        ensure_chromium
        cd "$ROOT"
        # on every core (pytest-xdist); `-n 0` runs in one process
        exec "$VENV/bin/python" -m pytest -n auto "$@"
        ;;
    ""|-h|--help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
    *)
        ensure_env ""
        exec "$VENV/bin/portals" "$command" "$@"
        ;;
esac
