"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a live server.

Without Chromium these tests are skipped, unless REQUIRE_BROWSER=1 (as in CI), where a missing
browser is a failure. Screenshots land in test-artifacts/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Assertions wait for the page (a busy CI machine answers slower than a laptop).
try:
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
except ImportError:  # pragma: no cover - playwright is a test dependency
    pass

# Playwright's sync API keeps an event loop in the test thread; Django's ORM calls made by the
# test itself are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium introuvable ({CHROMIUM}) : apt-get install -y --no-install-recommends chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def screenshot(page, name):
    """Save a full-page screenshot as a test artefact (look at them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_serious_axe_violations(page):
    """axe-core on the current page: no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}]
    assert not serious, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in serious
    )
