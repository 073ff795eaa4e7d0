from django.core.management import call_command

from tests.browser.conftest import admin_login, screenshot


def test_the_admin_runs_under_its_content_security_policy(page, transactional_db):
    """unfold's Alpine.js needs the admin's looser policy: no CSP violation, modals closed."""
    call_command("load_demo", verbosity=0)
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    admin_login(page, "admin@example.org", next_url="/admin/core/household/")
    page.goto("/admin/core/guardian/")
    screenshot(page, "admin-guardians-csp")
    assert violations == []
