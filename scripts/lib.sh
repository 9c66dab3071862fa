# Shared by the scripts in this folder (sourced, never run): repo root, tool paths, helpers.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
BUN_VERSION="1.4.4"
UV_VERSION="0.13.8"  # the Python package installer scripts/install uses (pip if it fails)
BUN_DIR="$ROOT/.tools/bun"

# Reflex must use our project-local bun and never reach for the internet on its own.
export PATH="$BUN_DIR/node_modules/.bin:$VENV/bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_CHECK_LATEST_VERSION=false

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PKG...: install the Debian packages that are missing; one `apt-get update` per run.
apt_install() {
    local missing=() pkg sudo=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null || die "missing system packages (install them): ${missing[*]}"
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing system packages, run as root: ${missing[*]}"
        sudo=(sudo)
    fi
    say "Installing system packages: ${missing[*]}"
    if [[ -z ${_APT_UPDATED:-} ]]; then
        "${sudo[@]}" apt-get update -qq
        _APT_UPDATED=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Reflex probes several npm registries to pick one; the npm client already knows ours.
use_npm_registry() {
    if [[ -z ${NPM_CONFIG_REGISTRY:-} ]] && command -v npm >/dev/null; then
        NPM_CONFIG_REGISTRY="$(npm config get registry)"
        export NPM_CONFIG_REGISTRY
    fi
}

# cli_step TITLE ARGS...: run `python -m decode_data ARGS`; any failure stops the script.
# Skipped with a note only while this checkout has no command line at all (decode_data/__main__.py).
cli_step() {
    local title="$1"; shift
    if [[ ! -f $ROOT/decode_data/__main__.py ]]; then
        say "$title: skipped, \`python -m decode_data\` does not exist in this checkout yet"
        return 0
    fi
    say "$title"
    "$PY" -m decode_data "$@"
}
