#!/usr/bin/env bash
# Set up and run the platform with demo data on the embedded default (SQLite, tasks in-process).
SKIP_BROWSER_INSTALL=1 source "$(dirname "$0")/env.sh"
python manage.py migrate --noinput -v0
python manage.py seed_demo
echo "Open http://127.0.0.1:${PORT:-8000}/  (admin: admin / admin-demo-2026; provider, researcher, blacklisted, payer: password demo-2026)"
exec python manage.py runserver "0.0.0.0:${PORT:-8000}"
