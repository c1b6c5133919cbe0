# Sourced by the other scripts: a virtualenv in .venv with the project and its test tools installed,
# re-installed only when pyproject.toml changes, and compiled translations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]" 2> >(grep -v "^WARNING: Location" >&2)
  rm -f .venv/.installed-* && touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# Statement PDFs embed WenQuanYi Micro Hei (billing/exports.py); the demo and the tests need it too.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ "$(id -u)" = "0" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei) >/dev/null 2>&1 \
    || echo "warning: could not install fonts-wqy-microhei; PDF exports will fail (set PDF_FONT)" >&2
fi
# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ "${SKIP_BROWSER_INSTALL:-}" != "1" ] && { ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wqy; } && [ "$(id -u)" = "0" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/dev/null 2>&1 \
    || echo "warning: could not install chromium; browser tests will fail" >&2
fi
# The sign-on tests run a real OpenLDAP server (tests/identity/servers.py): Debian's slapd.
if [ "${SKIP_SLAPD_INSTALL:-}" != "1" ] && [ ! -x /usr/sbin/slapd ] && [ "$(id -u)" = "0" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slapd ldap-utils) >/dev/null 2>&1 \
    || echo "warning: could not install slapd; the LDAP sign-on tests will fail" >&2
fi
if [ -z "$(find . -path ./.venv -prune -o -name '*.po' -print -quit)" ]; then
  :  # no catalogues yet
elif command -v msgfmt >/dev/null 2>&1; then
  python manage.py compilemessages --ignore=.venv -v0
else
  echo "warning: GNU gettext (msgfmt) is missing: pages stay in English (apt-get install gettext)" >&2
fi
