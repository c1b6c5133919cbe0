"""Redocly's recommended rules pass on the schema (errors zero; redocly.yaml says which rule is off and why)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

REDOCLY = "@redocly/cli@2.77.0"  # pinned: the version tried on this machine's Node.js


def test_contract_lint_redocly_recommended_rules_find_no_error(tmp_path):
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    npx = shutil.which("npx")
    assert npx, "Node.js and npm are needed (.ci/run installs them)"
    config = Path(settings.BASE_DIR) / "redocly.yaml"
    result = subprocess.run(  # noqa: S603 -- fixed arguments, no outside input
        [npx, "--yes", REDOCLY, "lint", str(schema), "--config", str(config), "--format", "stylish"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Your API description is valid" in result.stdout + result.stderr
