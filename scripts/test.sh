#!/usr/bin/env bash
# Run the test suite. DATABASE_URL picks the database (default SQLite); extra arguments go to pytest.
source "$(dirname "$0")/env.sh"
exec python -m pytest "$@"
