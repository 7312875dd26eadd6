#!/usr/bin/env bash
# Browser tests drive Debian's headless Chromium (no browser download): install it if missing,
# with fonts-noto-cjk so that the Chinese pages are readable in the screenshots the tests save.
set -euo pipefail
# fc-list's output is read whole before grep looks at it: in a pipe under pipefail, `grep -q`
# exits at the first match and fc-list dies of SIGPIPE (exit 141), which read as "no fonts".
have_fonts() {
    local fonts
    fonts="$(fc-list 2>/dev/null || true)"
    grep -qi "noto.*cjk" <<<"$fonts"
}
if [ -x /usr/bin/chromium ] && have_fonts; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    if [ -x /usr/bin/chromium ]; then
        echo "note: fonts-noto-cjk is missing; screenshots will show boxes for Chinese text" >&2
        exit 0
    fi
    echo "Chromium is missing: run 'sudo apt-get install -y chromium fonts-noto-cjk' (needed by the browser tests)" >&2
    exit 1
fi
echo "==> installing Debian's chromium and fonts-noto-cjk for the browser tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
