"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a live server.

Without Chromium these tests are skipped, unless REQUIRE_BROWSER=1 (as in CI), where a missing
browser is a failure. Screenshots land in test-artifacts/screenshots/.
"""

import os
import re
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
HOME = re.compile(r"^https?://[^/]+/$")
PARENT_EMAIL = "parent@example.org"  # tests/conftest.py's family

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


def fill_login(page, email=PARENT_EMAIL, password=None):
    """Fill in and send the portal's login form (the page must show it)."""
    from tests.factories import DEFAULT_PASSWORD

    page.get_by_label(re.compile(r"^Adresse email")).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def log_in(page, email=PARENT_EMAIL):
    """Log into the portal with the factories' password and land on the home page."""
    page.goto("/connexion/")
    fill_login(page, email)
    page.wait_for_url(HOME)


def code_for_key(manual_key):
    """The code an authenticator app shows now for the manual key of the setup page."""
    import time
    from base64 import b32decode

    from django_otp.oath import TOTP

    generator = TOTP(b32decode(manual_key.replace(" ", "")))
    generator.time = time.time()
    return f"{generator.token():06d}"


def admin_login(page, email, password="espacefamille", next_url="/admin/", *, shots=None):
    """Log into the admin as a person would, second factor included: the code of the app they
    set up (tests/factories.TOTPDeviceFactory), or, at a first login, the setup page (scan the
    key, confirm a code, note the recovery codes). `shots` names the setup screenshots."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import totp_code

    page.goto(f"/admin/login/?next={next_url}")
    page.get_by_label("Adresse email").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    if "/admin/securite/double-authentification/" in page.url:
        if shots:
            screenshot(page, f"{shots}-setup")
        page.get_by_label("Code à 6 chiffres affiché par l'application").fill(code_for_key(page.locator("#manual-key").inner_text()))
        page.get_by_role("button", name="Activer la double authentification").click()
        page.locator("#recovery-codes").wait_for()
        if shots:
            screenshot(page, f"{shots}-recovery-codes")
        page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    elif "/admin/securite/verification/" in page.url:
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        if shots:
            screenshot(page, f"{shots}-verify")
        page.get_by_label("Code de l'application ou code de secours").fill(totp_code(device))
        page.get_by_role("button", name="Vérifier").click()
    page.wait_for_url(f"**{next_url}")
    return page
