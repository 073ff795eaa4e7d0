"""Access matrix: every route of the `portail` and `api` namespaces × {anonymous, a guardian of the
household, a guardian of another household, staff without household}. Nobody reads or changes
another household's data, by any id, in any field. A route missing from ROUTES fails the suite."""

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from admin_ext import two_factor
from core.models import BasketItem, Booking, Guardian, Invoice, Payment
from core.services import invoicing
from core.services.basket import basket_add
from core.services.deadlines import PARIS
from tests import factories
from tests.core.test_invoicing import DECEMBER, DECEMBER_DAYS, book

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
MONDAY = datetime.date(2026, 12, 7)
ROLES = ("anonymous", "other", "staff", "owner")  # the owner last: its checks change its data
FIGURES = {"checks": 0}


@pytest.fixture(autouse=True)
def _frozen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


class Ctx:
    """The owner household's data, every role's client, and what must never leak."""

    def __init__(self, family, other_family, staff_agent, town, captured):
        self.family, self.other, self.town, self.staff = family, other_family, town, staff_agent
        self.junior, self.lise = family.children
        self.activity = town.repas_maternelle
        self.item = basket_add(guardian=family.parent, child=self.junior, activity=self.activity, day=MONDAY, action="book")
        self.invoice, self.archived = self._issue_invoices(captured)
        self.payment = self._paid(self.archived)
        self.clients = {"anonymous": Client()}
        for role, user in (("owner", family.user), ("other", other_family.user), ("staff", staff_agent)):
            self.clients[role] = Client()
            self.clients[role].force_login(user)
        self.markers = ["Junior", "Lise", family.parent.email, self.invoice.number, self.archived.number, str(self.payment.uuid)]

    def _issue_invoices(self, captured):
        """Two real invoices through the invoicing services (November and December runs)."""
        factories.QuotientFamilialFactory(household=self.family.household, value=1350)
        bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
        factories.TariffFactory(activity=self.activity, bracket=bracket, unit_price="3.70")
        book(self.junior, self.activity, [datetime.date(2026, 11, 2), *DECEMBER_DAYS[:3]])
        issued = []
        for month in (datetime.date(2026, 11, 1), DECEMBER):
            with captured(execute=True):
                run = invoicing.invoice_run_create(regie=self.town.regie, month=month)
            with captured(execute=True):
                invoicing.invoice_run_issue(run_id=run.pk, now=NOW)
            issued.append(Invoice.objects.get(run=run, household=self.family.household))
        assert all(invoice.pdf for invoice in issued)
        return issued[1], issued[0]

    def _paid(self, invoice):
        guardian = self.family.parent
        payment = Payment.objects.create(
            household=invoice.household, regie=invoice.regie, guardian=guardian, payer_email=guardian.email,
            method="online", status="paid", amount=invoice.total, refdet=invoice.number, idop="op-matrix",
            numauto="654321", created_at=timezone.now(), transaction_at=timezone.now(),
        )
        payment.allocations.create(invoice=invoice, amount=invoice.total)
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
        return payment

    def text(self, response):
        if hasattr(response, "streaming_content"):
            return b"".join(response.streaming_content).decode("latin-1")
        return response.content.decode()

    def assert_private(self, response, role="other"):
        if role == "owner":
            return
        text = self.text(response)
        leaked = [marker for marker in self.markers if marker in text]
        assert not leaked, f"{response.status_code}: {leaked}"

    def owner_data_intact(self):
        assert BasketItem.objects.filter(pk=self.item.pk).exists()
        assert not Booking.objects.filter(child=self.junior, date=MONDAY).exists()
        assert Invoice.objects.get(pk=self.invoice.pk).status == Invoice.Status.UNPAID
        parent = Guardian.objects.get(pk=self.family.parent.pk)
        assert (parent.email, parent.phone_mobile) == (self.family.parent.email, self.family.parent.phone_mobile)


def login_redirect(response):
    assert response.status_code == 302 and response.url.startswith(resolve_url(settings.LOGIN_URL)), response


def expect(ctx, role, response, owner=200, page=True):
    """The common shape: anonymous to the login page (or 401/403 on the API), staff refused, the
    owner served, the other household served nothing of the owner's."""
    if role == "anonymous":
        if page:
            login_redirect(response)
        else:
            assert response.status_code in (401, 403)
    elif role == "staff":
        assert response.status_code == 403
    elif role == "owner":
        assert response.status_code == owner, response
    if role != "owner":
        ctx.assert_private(response)
        ctx.owner_data_intact()


def api_post(client, name, data=None, **kwargs):
    return client.post(reverse(name, kwargs=kwargs), data or {}, content_type="application/json")


# --- One check per route: (ctx, role, client) -------------------------------------------------------


def _page(name, must_show=("Junior",)):
    def check(ctx, role, client):
        response = client.get(reverse(name))
        expect(ctx, role, response)
        if role == "owner":
            text = ctx.text(response)
            assert all(m in text for m in must_show), must_show

    return check


def _public(name, method="get", status=200, **kwargs):
    def check(ctx, role, client):
        response = getattr(client, method)(reverse(name, kwargs=kwargs or None))
        assert response.status_code in (status, 302) if role != "anonymous" else response.status_code == status
        ctx.assert_private(response, role)
        ctx.owner_data_intact()

    return check


def home(ctx, role, client):
    response = client.get(reverse("portail:home"))
    if role == "anonymous":
        login_redirect(response)
    else:
        assert response.status_code == 200
    if role != "owner":
        ctx.assert_private(response)


def basket_change(ctx, role, client):
    url = reverse("portail:basket_change")
    book_junior = client.post(url, {"change": f"book:{ctx.junior.pk}:{ctx.activity.pk}:2026-12-08"})
    remove_item = client.post(url, {"change": f"remove:{ctx.item.pk}"})
    if role == "owner":
        assert book_junior.status_code == 302 and remove_item.status_code == 302
        assert BasketItem.objects.filter(child=ctx.junior, date="2026-12-08").exists()
        assert not BasketItem.objects.filter(pk=ctx.item.pk).exists()
        return
    for response in (book_junior, remove_item):
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)
    assert not BasketItem.objects.filter(child=ctx.junior, date="2026-12-08").exists()


def _basket_action(name, owner_effect):
    def check(ctx, role, client):
        response = client.post(reverse(name), {"date": "2026-12-07"})
        if role == "owner":
            assert response.status_code == 302
            owner_effect(ctx)
        else:
            expect(ctx, role, response)

    return check


def period(ctx, role, client):
    url = reverse("portail:period")
    expect(ctx, role, client.get(url))
    own = ctx.other.children[0].pk if role == "other" else None
    for children in ([ctx.junior.pk], [ctx.junior.pk, own] if own else [ctx.lise.pk]):
        response = client.post(url, {"children": children, "activity": ctx.activity.pk, "start": "2026-12-14",
                                     "end": "2026-12-18", "weekdays": [0, 1]})
        if role == "owner":
            assert response.status_code in (302, 400)  # booked, or a refused form
        else:
            expect(ctx, role, response)
            if role == "other":
                assert response.status_code == 400 and "errorlist" in ctx.text(response)  # a refused form
    assert not BasketItem.objects.exclude(basket__guardian=ctx.family.parent).exists()


def contact_edit(ctx, role, client):
    url = reverse("portail:contact_edit")
    expect(ctx, role, client.get(url))
    response = client.post(url, {"phone_mobile": "0611111111", "address": "1 rue pirate", "guardian": ctx.family.parent.pk,
                                 "pk": ctx.family.parent.pk, "id": ctx.family.parent.pk})
    if role == "owner":
        assert response.status_code in (200, 302)
    else:
        expect(ctx, role, response)


def invoice_basket_change(ctx, role, client):
    url = reverse("portail:invoice_basket_change")
    for invoice in (ctx.invoice, ctx.archived):
        response = client.post(url, {"invoice": invoice.pk, "action": "ajouter"})
        if role == "owner":
            assert response.status_code == 302
        elif role == "other":
            assert response.status_code == 404
        expect(ctx, role, response, owner=302)
    if role == "owner":
        assert client.session["invoice_basket"] == [ctx.invoice.pk]


def pay(ctx, role, client):
    if role in ("other", "staff"):
        session = client.session
        session["invoice_basket"] = [ctx.invoice.pk]  # forged: another household's invoice
        session.save()
    response = client.post(reverse("portail:pay"))
    if role == "owner":
        assert response.status_code == 302 and response.url == reverse("portail:invoices")  # empty basket
    elif role == "other":
        assert response.status_code == 404
    expect(ctx, role, response, owner=302)
    assert not Payment.objects.exclude(pk=ctx.payment.pk).exists()


def invoice_pdf(ctx, role, client):
    for invoice in (ctx.invoice, ctx.archived):
        response = client.get(reverse("portail:invoice_pdf", args=[invoice.pk]))
        if role == "owner":
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF")
        else:
            if role == "other":
                assert response.status_code == 404
            expect(ctx, role, response)


def payment_return(ctx, role, client):
    response = client.get(reverse("portail:payment_return", args=[ctx.payment.uuid]))
    if role == "owner":
        assert response.status_code == 200 and ctx.archived.number in ctx.text(response)
    else:
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)


def payment_notification(ctx, role, client):
    response = client.post(reverse("portail:payment_notification", args=[ctx.payment.uuid]), {"idop": "forged"})
    assert response.status_code == 200 and response.content == b"OK"
    assert Payment.objects.get(pk=ctx.payment.pk).status == "paid"
    ctx.owner_data_intact()


def logout(ctx, role, client):
    response = client.post(reverse("portail:logout"))
    assert response.status_code == 302
    ctx.assert_private(response, role)


def activate(ctx, role, client):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(ctx.family.user.pk))
    response = client.get(reverse("portail:activate", args=[uid, "forged-token"]))
    assert response.status_code in (200, 302, 400)
    ctx.assert_private(response, role)
    ctx.owner_data_intact()


def password_reset_confirm(ctx, role, client):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(ctx.family.user.pk))
    response = client.post(reverse("portail:password_reset_confirm", args=[uid, "forged-token"]),
                           {"new_password1": "Pirate-2026-xyz", "new_password2": "Pirate-2026-xyz"}, follow=True)
    assert response.status_code in (200, 400)
    ctx.assert_private(response, role)
    ctx.family.user.refresh_from_db()
    assert not ctx.family.user.check_password("Pirate-2026-xyz")


def password_change(ctx, role, client):
    response = client.get(reverse("portail:password_change"))
    if role == "anonymous":
        login_redirect(response)
    else:
        assert response.status_code == 200
        ctx.assert_private(response, role)


def email_change(ctx, role, client):
    expect(ctx, role, client.get(reverse("portail:email_change")), page=True)


def email_change_confirm(ctx, role, client):
    response = client.post(reverse("portail:email_change_confirm", args=["forged-token"]))
    assert response.status_code == 400
    ctx.assert_private(response, role)
    ctx.owner_data_intact()


# --- Staff two-factor pages (admin_ext.two_factor, under /admin/) --------------------------------------


def _staff_two_factor(name):
    """Nobody but staff reaches them (parents and anonymous go to the admin's login); a staff
    member past the second factor sees the setup page or is sent on from the verification; one
    past the password only is held there."""

    def check(ctx, role, client):
        url = reverse(name)
        for response in (client.get(url), client.post(url, {"code": "123456", "next": "/admin/"})):
            if role == "staff":
                if name == "staff_2fa_setup":
                    assert response.status_code == 200 and "Double authentification" in ctx.text(response)
                else:
                    assert response.status_code == 302 and response.url == reverse("admin:index")
            else:
                assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), response
            ctx.assert_private(response, role)
        if role == "staff":
            unverified = Client()
            unverified.force_login(ctx.staff, otp_verified=False)
            response = unverified.get(reverse("admin:index"))
            assert response.status_code == 302 and response.url.startswith(reverse("staff_2fa_verify"))
            assert unverified.get(url).status_code in (200, 302)
            assert unverified.get(reverse("admin:index")).status_code == 302

    return check


# --- API ----------------------------------------------------------------------------------------------


def _api_read(name, must_show="Junior"):
    def check(ctx, role, client):
        response = client.get(reverse(name), {"date": "2026-12-07"} if name == "api:week" else {})
        expect(ctx, role, response, page=False)
        if role == "owner":
            assert must_show in ctx.text(response)

    return check


def api_basket_items(ctx, role, client):
    data = {"child_id": ctx.junior.pk, "activity_id": ctx.activity.pk, "date": "2026-12-08", "action": "book"}
    response = api_post(client, "api:basket-items", data)
    if role == "owner":
        assert response.status_code == 201
        return
    if role == "other":
        assert response.status_code == 404
    expect(ctx, role, response, page=False)
    assert not BasketItem.objects.filter(child=ctx.junior, date="2026-12-08").exists()


def api_basket_item(ctx, role, client):
    response = client.delete(reverse("api:basket-item", kwargs={"item_id": ctx.item.pk}))
    if role == "owner":
        assert response.status_code == 204 and not BasketItem.objects.filter(pk=ctx.item.pk).exists()
        return
    if role == "other":
        assert response.status_code == 404
    expect(ctx, role, response, page=False)


def api_basket_period(ctx, role, client):
    for child_ids in ([ctx.junior.pk], [ctx.other.children[0].pk, ctx.junior.pk]):
        data = {"child_ids": child_ids, "activity_id": ctx.activity.pk, "start": "2026-12-14", "end": "2026-12-18",
                "weekdays": [0, 1]}
        response = api_post(client, "api:basket-period", data)
        if role == "owner":
            assert response.status_code in (200, 404)  # the second list names another household's child
            continue
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response, page=False)
    assert not BasketItem.objects.exclude(basket__guardian=ctx.family.parent).exists()


def _api_action(name, owner_effect):
    def check(ctx, role, client):
        response = api_post(client, name)
        if role == "owner":
            assert response.status_code in (200, 204)
            owner_effect(ctx)
        else:
            expect(ctx, role, response, page=False)

    return check


def _cleared(ctx):
    assert not BasketItem.objects.filter(pk=ctx.item.pk).exists()


def _validated(ctx):
    assert Booking.objects.filter(child=ctx.junior, date=MONDAY).exists()


ROUTES = {
    "portail:home": home,
    "portail:reservations": _page("portail:reservations", ("Junior", "Lise")),
    "portail:enrolments": _page("portail:enrolments", ("Junior", "Lise")),
    "portail:period": period,
    "portail:basket_change": basket_change,
    "portail:basket_clear": _basket_action("portail:basket_clear", _cleared),
    "portail:basket_validate": _basket_action("portail:basket_validate", _validated),
    "portail:household": _page("portail:household", ("Junior", "Lise", "parent@example.org")),
    "portail:contact_edit": contact_edit,
    "portail:invoices": None,  # set below: needs the invoice number
    "portail:archived_invoices": None,
    "portail:invoice_basket_change": invoice_basket_change,
    "portail:pay": pay,
    "portail:invoice_pdf": invoice_pdf,
    "portail:payment_notification": payment_notification,
    "portail:payment_return": payment_return,
    "portail:login": _public("portail:login"),
    "portail:logout": logout,
    "portail:activate": activate,
    "portail:password_reset": _public("portail:password_reset"),
    "portail:password_reset_done": _public("portail:password_reset_done"),
    "portail:password_reset_confirm": password_reset_confirm,
    "portail:password_change": password_change,
    "portail:email_change": email_change,
    "portail:email_change_confirm": email_change_confirm,
    "staff_2fa_setup": _staff_two_factor("staff_2fa_setup"),
    "staff_2fa_verify": _staff_two_factor("staff_2fa_verify"),
    "api:children": _api_read("api:children"),
    "api:week": _api_read("api:week"),
    "api:basket": _api_read("api:basket"),
    "api:basket-items": api_basket_items,
    "api:basket-item": api_basket_item,
    "api:basket-period": api_basket_period,
    "api:basket-clear": _api_action("api:basket-clear", _cleared),
    "api:basket-validate": _api_action("api:basket-validate", _validated),
}


def _invoice_list(name, attr):
    def check(ctx, role, client):
        response = client.get(reverse(name))
        expect(ctx, role, response)
        if role == "owner":
            assert getattr(ctx, attr).number in ctx.text(response)

    return check


ROUTES["portail:invoices"] = _invoice_list("portail:invoices", "invoice")
ROUTES["portail:archived_invoices"] = _invoice_list("portail:archived_invoices", "archived")


def declared_routes():
    resolver = get_resolver()
    names = set()
    for namespace in ("portail", "api"):
        _, sub = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{p.name}" for p in sub.url_patterns if getattr(p, "name", None)}
        assert all(getattr(p, "name", None) for p in sub.url_patterns), f"an unnamed route in {namespace}"
    # The staff pages served outside the admin site's own URLs.
    names |= {p.name for p in two_factor.urlpatterns}
    return names


def test_every_route_is_in_the_matrix():
    assert declared_routes() == set(ROUTES), "add the new route to tests/test_access_matrix.py ROUTES"


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_access(route, family, other_family, staff_agent, town, django_capture_on_commit_callbacks):
    """One household's data, then each role in turn (the refused ones first, leaving it intact)."""
    ctx = Ctx(family, other_family, staff_agent, town, django_capture_on_commit_callbacks)
    for role in ROLES:
        try:
            ROUTES[route](ctx, role, ctx.clients[role])
        except AssertionError as error:
            raise AssertionError(f"{route} as {role}: {error}") from error
        FIGURES["checks"] += 1
