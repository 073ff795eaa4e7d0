"""The layering of docs/architecture.md, checked on the source: which package may import which.

Every import counts, those inside a function too (a lazy import is still a dependency: it is how
Booking.clean once reached into the services)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (files, forbidden module prefixes, why)
RULES = [
    ("core/models", ("core.services",), "a model never imports a service: checks that need queries live in the services"),
    ("core/payfip", ("core.models", "core.services", "core.payfip_simulator"), "the PayFiP client speaks the protocol and knows no table"),
    ("core/payfip_simulator", ("core.models", "core.services"), "the simulator plays DGFiP: it knows its own table, never the domain's"),
    ("portail", ("admin_ext",), "the portal and the admin are independent: both import core only"),
    ("admin_ext", ("portail",), "the portal and the admin are independent: both import core only"),
    ("core", ("portail", "admin_ext"), "core is imported by the portal and the admin, never the other way"),
    ("core/constants.py", ("core", "portail", "admin_ext", "config"), "the shared constants import nothing of the project"),
]


def imported_modules(source, module):
    """Every module `source` imports (relative imports resolved against `module`'s package)."""
    package = module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def _matches(name, prefixes):
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(folder, forbidden, *, exempt=frozenset()):
    found = []
    paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative in exempt or "/migrations/" in relative:
            continue
        module = relative.removesuffix(".py").replace("/", ".")
        names = imported_modules(path.read_text(encoding="utf-8"), module)
        found += sorted({f"{relative} imports {name}" for name in names if _matches(name, forbidden)})
    return found


@pytest.mark.parametrize(("folder", "forbidden", "why"), RULES, ids=[f"{r[0]}-{'-'.join(r[1])}" for r in RULES])
def test_the_layering_holds(folder, forbidden, why):
    assert violations(folder, forbidden) == [], why


def test_the_check_sees_lazy_and_relative_imports():
    source = "def clean(self):\n    from core.services.calendar import service_day_problem\nfrom ..services import billing\n"
    names = imported_modules(source, "core.models.bookings")
    assert _matches("core.services.calendar", ("core.services",)) and "core.services.calendar" in names
    assert "core.services.billing" in names

