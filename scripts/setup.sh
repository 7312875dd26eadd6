#!/usr/bin/env bash
# Install everything sxplan needs into ./.venv and ./node_modules; idempotent. What is already
# installed at the pinned versions is not installed again (scripts/installed.py compares), so a
# re-run on a set-up machine takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating virtualenv .venv"
    "$PYTHON" -m venv .venv
fi
if .venv/bin/python scripts/installed.py python 2>/dev/null; then
    echo "==> Python packages (requirements.txt) already installed"
else
    echo "==> installing Python packages (requirements.txt)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi

if [ -f package.json ]; then
    if [ -f package-lock.json ] && .venv/bin/python scripts/installed.py npm 2>/dev/null; then
        echo "==> front-end packages (package-lock.json) already installed"
    else
        echo "==> installing front-end packages from the npm registry"
        if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    fi
    if [ -f scripts/vendor_assets.py ]; then .venv/bin/python scripts/vendor_assets.py; fi
fi

# Evaluation reports: WeasyPrint lays out the PDF with pango, charts and PDF use the Noto CJK fonts
# (found with fontconfig's fc-match), and the tests read PDFs with poppler's pdftotext/pdftoppm.
report_packages=()
# Outputs are read whole before grep looks at them (grep -q in a pipe under pipefail: SIGPIPE).
libraries="$(ldconfig -p 2>/dev/null || true)"
grep -q "libpangoft2-1.0.so.0" <<<"$libraries" || report_packages+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v fc-match >/dev/null || report_packages+=(fontconfig)
fonts="$(fc-list 2>/dev/null || true)"
grep -qi "noto.*cjk" <<<"$fonts" || report_packages+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || report_packages+=(poppler-utils)
if [ "${#report_packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "==> installing Debian packages for evaluation reports: ${report_packages[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${report_packages[@]}" >/dev/null
    else
        echo "note: evaluation reports need: sudo apt-get install -y ${report_packages[*]}" >&2
    fi
fi

# The project's corrections of Django's Chinese (locale/): compiled with gettext's msgfmt.
if ! command -v msgfmt >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "==> installing gettext (msgfmt) for the translations"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
    else
        echo "note: the admin's Chinese corrections need: sudo apt-get install -y gettext" >&2
    fi
fi
if command -v msgfmt >/dev/null; then
    for po in locale/*/LC_MESSAGES/*.po; do
        mo="${po%.po}.mo"
        [ "$mo" -nt "$po" ] || msgfmt --check-format -o "$mo" "$po"
    done
fi
