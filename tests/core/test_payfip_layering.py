"""core.payfip is the PayFiP protocol client alone: it knows no table. The simulator is its own app
(core.payfip_simulator) and reads nothing of the domain (no Regie, no payment)."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"


def _imports(package):
    found = {}
    for path in sorted((CORE / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found.setdefault(path.relative_to(CORE).as_posix(), set()).update(names)
    return found


def _offending(package, forbidden):
    return {
        path: sorted(name for name in names if any(name == f or name.startswith(f + ".") for f in forbidden))
        for path, names in _imports(package).items()
        if any(name == f or name.startswith(f + ".") for name in names for f in forbidden)
    }


def test_the_payfip_client_imports_no_model_and_no_simulator():
    assert _offending("payfip", ["core.models", "django.db", "core.payfip_simulator", "core.services"]) == {}


@pytest.mark.parametrize("package", ["payfip_simulator"])
def test_the_simulator_reads_nothing_of_the_domain(package):
    assert _offending(package, ["core.models", "core.services", "portail", "admin_ext"]) == {}
