"""The structure docs/architecture.md describes, held by the suite: modules by noun, one owner per rule.

These read the source (as the layering contract does with import-linter), so a new module that grows
several jobs, or a view that writes out "who manages a unit" again, fails here with the place named.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "sharing_platform", "instruments", "identity", "notifications", "credit", "bookings", "billing",
    "analytics", "partners", "demo",
]  # fmt: skip
MAX_LINES = 600
# Where "who manages a unit" and "who is a platform admin" are defined, and the places allowed to read
# `is_staff` itself (account serializers showing the flag, the accounts that create demo admins).
RULE_OWNERS = {"instruments/models.py", "instruments/permissions.py", "sharing_platform/api/permissions.py"}
IS_STAFF_READERS = RULE_OWNERS | {
    "sharing_platform/accounts/api.py",
    "instruments/demo_data.py",
    "instruments/demo_accounts.py",
}


def application_modules() -> list[Path]:
    modules = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            modules.append(path)
    return modules


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_scan_sees_the_apps():
    names = {relative(path) for path in application_modules()}
    assert "bookings/services/__init__.py" in names
    assert "credit/services/__init__.py" in names
    assert len(names) > 200


def test_no_application_module_is_over_600_lines():
    too_long = {
        relative(path): n
        for path in application_modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these by noun (docs/architecture.md): {too_long}"


MANAGING_ROLES = re.compile(r"role__in\s*=\s*\[\s*Membership\.Role\.MANAGER\s*,\s*Membership\.Role\.ADMIN")


def test_who_manages_a_unit_is_written_once():
    """`Membership.objects.managing(user)` (and `Unit.objects.managed_by`) own the definition."""
    written_out = [
        relative(path)
        for path in application_modules()
        if relative(path) not in RULE_OWNERS and MANAGING_ROLES.search(path.read_text(encoding="utf-8"))
    ]
    assert written_out == []


def _is_staff_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "is_staff"]


def test_platform_admin_is_asked_of_the_permission_modules():
    """`instruments.permissions.is_platform_admin` (or an app's permissions.py) answers it, not each caller."""
    readers = {
        relative(path): lines
        for path in application_modules()
        if relative(path) not in IS_STAFF_READERS
        and not relative(path).endswith("permissions.py")
        and (lines := _is_staff_reads(path))
    }
    assert readers == {}


@pytest.mark.parametrize("package", ["bookings.services", "credit.services", "analytics.selectors"])
def test_split_packages_still_answer_their_old_imports(package):
    """Callers write `from bookings import services`; the package's __init__ is the app's surface."""
    import importlib

    module = importlib.import_module(package)
    public = [name for name in getattr(module, "__all__", dir(module)) if not name.startswith("_")]
    assert public, f"{package} exports nothing"


def _untyped_public_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    untyped = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        if node.returns is None or any(a.annotation is None for a in arguments if a.arg not in {"self", "cls"}):
            untyped.append(f"{node.name}:{node.lineno}")
    return untyped


def test_every_service_and_selector_signature_is_typed():
    """The write and read surfaces are what other apps call: their signatures say what they take and give."""
    surfaces = [path for path in application_modules() if {"services", "selectors"} & {path.stem, path.parent.name}]
    assert len(surfaces) > 30
    untyped = {relative(path): names for path in surfaces if (names := _untyped_public_functions(path))}
    assert untyped == {}
