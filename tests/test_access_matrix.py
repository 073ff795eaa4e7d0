"""Access matrix: every route of the `portail` and `api` namespaces × {anonymous, a guardian of the
household, a guardian of another household, staff without household}. Nobody reads or changes
another household's data, by any id, in any field. A route missing from ROUTES fails the suite."""

import datetime

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from admin_ext import two_factor
from core.models import BasketItem, Booking, CalendarFeed, Guardian, Invoice, ModelWeekDay, Payment, WaitingListEntry
from core.services import invoicing
from core.services.basket import basket_add
from core.services.deadlines import PARIS
from tests import factories
from tests.core.test_invoicing import DECEMBER, DECEMBER_DAYS, book

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)
MONDAY = datetime.date(2026, 12, 7)
TUESDAY = datetime.date(2026, 12, 8)
ROLES = ("anonymous", "other", "staff", "owner")  # the owner last: its checks change its data
FIGURES = {"checks": 0}


pytestmark = pytest.mark.usefixtures("media_root", "frozen_now")


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


def _signed_in_page(name):
    """A page for anyone logged in, staff included: anonymous to the login page, the others served
    nothing of the owner's."""

    def check(ctx, role, client):
        response = client.get(reverse(name))
        if role == "anonymous":
            login_redirect(response)
        else:
            assert response.status_code == 200
        ctx.assert_private(response, role)

    return check


def _public(name, method="get", status=200, **kwargs):
    def check(ctx, role, client):
        response = getattr(client, method)(reverse(name, kwargs=kwargs or None))
        assert response.status_code in (status, 302) if role != "anonymous" else response.status_code == status
        ctx.assert_private(response, role)
        ctx.owner_data_intact()

    return check


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


def leisure(ctx, role, client):
    from tests.core.test_leisure import enrol, make_alsh

    if not hasattr(ctx, "alsh"):
        ctx.alsh = make_alsh(ctx.town)
        enrol(ctx.town, ctx.junior, ctx.alsh.morning)
    url = reverse("portail:leisure")
    response = client.get(url)
    expect(ctx, role, response)
    if role == "owner":
        assert "hiver 2027" in ctx.text(response)
    # Another household's child, or a window none of its children is enrolled for: refused.
    response = client.post(url, {"window": ctx.alsh.window.pk, "unit": ctx.alsh.morning.pk, "children": [ctx.junior.pk]})
    if role == "owner":
        assert response.status_code == 302
    else:
        expect(ctx, role, response)
        if role == "other":
            assert response.status_code == 404
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


def document_file(ctx, role, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.services.documents import document_upload

    if not hasattr(ctx, "document"):
        kind = factories.DocumentTypeFactory(name="Attestation CAF", code="caf")
        ctx.document = document_upload(household=ctx.family.household, document_type=kind, uploaded_by=ctx.family.parent,
                                       uploaded_file=SimpleUploadedFile("caf-Junior.pdf", b"%PDF-1.4\n%%EOF\n"))
    response = client.get(reverse("portail:document_file", args=[ctx.document.pk]))
    if role == "owner":
        assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        return
    if role == "other":
        assert response.status_code == 404
    expect(ctx, role, response)


def _campaign(ctx):
    if not hasattr(ctx, "campaign"):
        ctx.campaign = factories.enrolment_campaign(
            ctx.town, opens_at=datetime.datetime(2026, 11, 1, tzinfo=PARIS), closes_at=datetime.datetime(2026, 12, 31, tzinfo=PARIS))
    return ctx.campaign


def enrolment_start(ctx, role, client):
    from core.models import EnrolmentRequest

    campaign = _campaign(ctx)
    response = client.post(reverse("portail:enrolment_start"), {"campaign": campaign.pk, "child": ctx.junior.pk})
    if role == "owner":
        assert response.status_code == 302 and EnrolmentRequest.objects.filter(child=ctx.junior).exists()
        return
    if role == "other":
        assert response.status_code == 404
    expect(ctx, role, response)
    assert not EnrolmentRequest.objects.filter(child=ctx.junior).exists()


def enrolment_request(ctx, role, client):
    from core.services.enrolment_requests import request_start

    if not hasattr(ctx, "enrolment_request"):
        ctx.enrolment_request = request_start(campaign=_campaign(ctx), child=ctx.junior, guardian=ctx.family.parent)
    url = reverse("portail:enrolment_request", args=[ctx.enrolment_request.pk])
    shown = client.get(url)
    changed = client.post(url, {"allergies": "Pirate", "enregistrer": ""})
    if role == "owner":
        assert shown.status_code == 200 and "Junior" in ctx.text(shown)
        assert changed.status_code == 302
        return
    for response in (shown, changed):
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)
    ctx.enrolment_request.refresh_from_db()
    assert ctx.enrolment_request.allergies != "Pirate"
def _pdf_text(response):
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def attestations(ctx, role, client):
    """The page, then a payment attestation covering the owner's payment: each household gets its own."""
    url = reverse("portail:attestations")
    response = client.get(url)
    expect(ctx, role, response)
    if role == "owner":
        assert "Attestations fiscales" in ctx.text(response)
    period = {"kind": "paiements", "start": "2026-11-01", "end": "2026-11-30"}
    response = client.get(url, period)
    if role in ("owner", "other"):
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert (ctx.archived.number in _pdf_text(response)) == (role == "owner")
    else:
        expect(ctx, role, response)


def tax_certificate(ctx, role, client):
    """Last year's certificate for one's own household only; this year's is not there yet."""
    response = client.get(reverse("portail:tax_certificate", args=[2025]))
    if role in ("owner", "other"):
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert "Junior" not in _pdf_text(response) or role == "owner"
    else:
        expect(ctx, role, response)
    response = client.get(reverse("portail:tax_certificate", args=[2026]))
    if role in ("owner", "other"):
        assert response.status_code == 404
    else:
        expect(ctx, role, response)


def payment_return(ctx, role, client):
    response = client.get(reverse("portail:payment_return", args=[ctx.payment.uuid]))
    if role == "owner":
        assert response.status_code == 200 and ctx.archived.number in ctx.text(response)
    else:
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)


def calendar_feed_manage(ctx, role, client):
    """Each guardian manages their own feed only: another household's POST makes or stops its own."""
    from core.services.calendar_feed import calendar_feed_create

    owner_feed, _ = calendar_feed_create(guardian=ctx.family.parent)
    url = reverse("portail:calendar_feed_manage")
    for action in ("creer", "desactiver"):
        response = client.post(url, {"action": action, "guardian": ctx.family.parent.pk})
        if role == "owner":
            assert response.status_code in (200, 302)
        elif role == "other":
            assert response.status_code in (200, 302)
            ctx.assert_private(response)
        else:
            expect(ctx, role, response)
    if role != "owner":
        assert CalendarFeed.objects.filter(pk=owner_feed.pk, token_hash=owner_feed.token_hash).exists()


def calendar_feed(ctx, role, client):
    """The token is the only key: a forged or another guardian's revoked token is a 404 for
    everyone; the owner's token serves the owner's days, to a calendar app without a session."""
    from core.services.calendar_feed import calendar_feed_create

    _, other_token = calendar_feed_create(guardian=ctx.other.parent)
    _, token = calendar_feed_create(guardian=ctx.family.parent)
    for forged in ("forged-token", other_token[:-1] + ("A" if other_token[-1] != "A" else "B"), token.upper()):
        response = client.get(reverse("portail:calendar_feed", args=[forged]))
        assert response.status_code == 404
        ctx.assert_private(response, role)
    other_feed = client.get(reverse("portail:calendar_feed", args=[other_token]))
    assert other_feed.status_code == 200
    ctx.assert_private(other_feed)  # another household's address shows nothing of the owner's
    if role == "owner":
        factories.BookingFactory(child=ctx.junior, activity=ctx.activity, date=MONDAY)
        response = client.get(reverse("portail:calendar_feed", args=[token]))
        assert response.status_code == 200 and "Junior" in ctx.text(response)


def message_thread(ctx, role, client):
    """The owner's thread: read and answered by the owner only; another household gets a 404."""
    from core.models import Message
    from core.services.messages import conversation_start

    conversation = conversation_start(guardian=ctx.family.parent, subject="factures", title="Question Junior",
                                      body="Junior mange sans porc")
    url = reverse("portail:message_thread", args=[conversation.pk])
    for response in (client.get(url), client.post(url, {"body": "Intrus"})):
        if role == "owner":
            assert response.status_code in (200, 302)
        else:
            if role == "other":
                assert response.status_code == 404
            expect(ctx, role, response)
    if role != "owner":
        assert not Message.objects.filter(body="Intrus").exists()


def message_attachment(ctx, role, client):
    """A file of the owner's message: served to the owner only, by any id; another household gets a 404."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.services.messages import conversation_start

    if not hasattr(ctx, "attachment"):
        conversation = conversation_start(guardian=ctx.family.parent, subject="autre", title="Certificat Junior",
                                          body="Ci-joint", files=[SimpleUploadedFile("certificat-Junior.pdf", b"%PDF-1.4\n%%EOF\n")])
        ctx.attachment = conversation.messages.get().attachments.get()
    url = reverse("portail:message_attachment", args=[ctx.attachment.pk])
    for response in (client.get(url), client.get(url + "?telecharger")):
        if role == "owner":
            assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
            assert b"".join(response.streaming_content).startswith(b"%PDF")
            continue
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)


def message_new(ctx, role, client):
    from core.models import Conversation

    url = reverse("portail:message_new")
    expect(ctx, role, client.get(url))
    response = client.post(url, {"subject": "autre", "title": "Nouveau", "body": "Bonjour",
                                 "household": ctx.family.household.pk})
    if role == "owner":
        assert response.status_code == 302
    else:
        if role == "other":
            assert not Conversation.objects.filter(household=ctx.family.household, title="Nouveau").exists()
        else:
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


def _api_invoice(name):
    """An invoice of the owner by id: the owner gets it; anyone else a 404 (or the login refusal)."""
    def check(ctx, role, client):
        for invoice in (ctx.invoice, ctx.archived):
            response = client.get(reverse(name, kwargs={"invoice_id": invoice.pk}))
            if role == "owner":
                assert response.status_code == 200
                content = response.content if name == "api:invoice-pdf" else ctx.text(response).encode()
                assert content.startswith(b"%PDF") if name == "api:invoice-pdf" else invoice.number.encode() in content
            else:
                if role == "other":
                    assert response.status_code == 404
                expect(ctx, role, response, page=False)

    return check


def api_invoices(ctx, role, client):
    for state, invoice in (("open", ctx.invoice), ("archived", ctx.archived)):
        response = client.get(reverse("api:invoices"), {"state": state})
        expect(ctx, role, response, page=False)
        if role == "owner":
            assert invoice.number in ctx.text(response)


def api_payments(ctx, role, client):
    """Starting a payment: the other household's invoice is a 404; the owner meets the page's rules."""
    invoice = ctx.archived if role == "owner" else ctx.invoice
    response = api_post(client, "api:payments", {"invoice_ids": [invoice.pk]})
    if role == "owner":
        assert response.status_code == 400 and "n'est plus à payer" in ctx.text(response)
    else:
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response, page=False)
    assert not Payment.objects.exclude(pk=ctx.payment.pk).exists()


def api_payment(ctx, role, client):
    response = client.get(reverse("api:payment", kwargs={"payment_uuid": ctx.payment.uuid}))
    if role == "owner":
        assert response.status_code == 200 and ctx.archived.number in ctx.text(response)
    else:
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response, page=False)


def api_tax_certificate(ctx, role, client):
    response = client.get(reverse("api:tax-certificate", kwargs={"year": 2025}))
    if role in ("owner", "other"):
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    else:
        expect(ctx, role, response, page=False)


def api_attestation(ctx, role, client):
    response = client.get(reverse("api:attestation"), {"kind": "paiements", "start": "2026-11-01", "end": "2026-11-30"})
    if role in ("owner", "other"):
        assert response.status_code == 200
        assert (ctx.archived.number in _pdf_text(response)) == (role == "owner")
    else:
        expect(ctx, role, response, page=False)


def _api_action(name, owner_effect):
    def check(ctx, role, client):
        response = api_post(client, name)
        if role == "owner":
            assert response.status_code in (200, 204)
            owner_effect(ctx)
        else:
            expect(ctx, role, response, page=False)

    return check


MANDATE_IBAN = "FR1420041010050500013M02606"


def _mandate(ctx):
    """The owner household's direct debit mandate (its RUM and full IBAN must never leak)."""
    if getattr(ctx, "mandate", None) is None:
        from core.services.mandates import mandate_request

        regie = ctx.town.regie
        regie.sepa_creditor_id, regie.sepa_creditor_iban = "FR12ZZZ123456", "FR7630006000011234567890189"
        regie.save()
        ctx.mandate = mandate_request(guardian=ctx.family.parent, regie=regie, holder_name="Jean TEST", iban=MANDATE_IBAN)
        ctx.markers += [ctx.mandate.rum, MANDATE_IBAN]
    return ctx.mandate


def _mandate_intact(ctx):
    from core.models import Mandate

    mandate = Mandate.objects.get(pk=ctx.mandate.pk)
    assert (mandate.status, mandate.iban, mandate.holder_name) == (Mandate.Status.PENDING, MANDATE_IBAN, "Jean TEST")


def direct_debit(ctx, role, client):
    mandate = _mandate(ctx)
    response = client.get(reverse("portail:direct_debit"))
    expect(ctx, role, response)
    if role == "owner":
        text = ctx.text(response)
        assert mandate.rum in text and mandate.iban_masked in text
        assert MANDATE_IBAN not in text  # masked, even to its owner


def mandate_create(ctx, role, client):
    _mandate(ctx)
    response = client.post(
        reverse("portail:mandate_create"), {"regie": ctx.town.regie.pk, "holder_name": "Pirate", "iban": "DE89370400440532013000"}
    )
    if role == "owner":
        assert response.status_code == 400  # one live mandate per régie: change the existing one
    else:
        expect(ctx, role, response, owner=302)
        if role == "other":
            assert response.status_code == 302  # a mandate of their own household
    _mandate_intact(ctx)


def _mandate_post(name, data, owner_effect):
    def check(ctx, role, client):
        mandate = _mandate(ctx)
        response = client.post(reverse(name, args=[mandate.pk]), data(mandate.pk))
        if role == "owner":
            assert response.status_code == 302
            owner_effect(ctx)
            return
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)
        _mandate_intact(ctx)

    return check


def _amended(ctx):
    from core.models import Mandate

    assert Mandate.objects.get(pk=ctx.mandate.pk).iban == "DE89370400440532013000"


def _revoked(ctx):
    from core.models import Mandate

    assert Mandate.objects.get(pk=ctx.mandate.pk).status == Mandate.Status.REVOKED


def mandate_pdf(ctx, role, client):
    mandate = _mandate(ctx)
    response = client.get(reverse("portail:mandate_pdf", args=[mandate.pk]))
    if role == "owner":
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    else:
        if role == "other":
            assert response.status_code == 404
        expect(ctx, role, response)
def _full_tuesday(ctx):
    """The activity's only place of Tuesday 8 December is the other household's."""
    ctx.activity.capacity = 1
    ctx.activity.save()
    if not Booking.objects.filter(child=ctx.other.children[0], date=TUESDAY).exists():
        factories.BookingFactory(child=ctx.other.children[0], activity=ctx.activity, date=TUESDAY)


def waiting_list_join(ctx, role, client):
    _full_tuesday(ctx)
    url = reverse("portail:waiting_list_join")
    response = client.post(url, {"day": f"{ctx.junior.pk}:{ctx.activity.pk}:{TUESDAY.isoformat()}"})
    joined = WaitingListEntry.objects.filter(child=ctx.junior, date=TUESDAY, status="waiting")
    if role == "owner":
        assert response.status_code == 302 and joined.exists()
        return
    expect(ctx, role, response)
    if role == "other":
        assert response.status_code == 404
    assert not joined.exists()


def waiting_list_leave(ctx, role, client):
    _full_tuesday(ctx)
    entry, _ = WaitingListEntry.objects.get_or_create(
        child=ctx.junior, activity=ctx.activity, date=TUESDAY, status="waiting", defaults={"position": 1, "joined_at": NOW}
    )
    response = client.post(reverse("portail:waiting_list_leave", kwargs={"entry_id": entry.pk}))
    entry.refresh_from_db()
    if role == "owner":
        assert response.status_code == 302 and entry.status == "left"
        return
    expect(ctx, role, response)
    if role == "other":
        assert response.status_code == 404
    assert entry.status == "waiting"


def model_week(ctx, role, client):
    url = reverse("portail:model_week")
    page = client.get(url)
    expect(ctx, role, page)
    field = f"semaine-{ctx.junior.pk}-{ctx.activity.pk}"
    saved = client.post(url, {"action": "save", field: ["0"]})
    applied = client.post(url, {
        "action": "apply", "children": [ctx.junior.pk], "start": "2026-12-07", "end": "2026-12-13",
    })
    if role == "owner":
        assert "Junior" in ctx.text(page) and saved.status_code == 302 and applied.status_code == 302
        assert ModelWeekDay.objects.filter(child=ctx.junior).exists()
        return
    for response in (saved, applied):
        expect(ctx, role, response, owner=302)
    assert not ModelWeekDay.objects.exists()
    assert BasketItem.objects.filter(child=ctx.junior).count() == 1  # only the owner's own item


def absences(ctx, role, client):
    from core.models import AbsenceDeclaration, AbsenceReason

    url = reverse("portail:absences")
    page = client.get(url)
    expect(ctx, role, page)
    reason = AbsenceReason.objects.get_or_create(label="Maladie")[0]
    response = client.post(url, {"child": ctx.junior.pk, "start": "2026-12-01", "end": "2026-12-04", "reason": reason.pk})
    declared = AbsenceDeclaration.objects.filter(child=ctx.junior)
    if role == "owner":  # the days are still cancellable on the frozen day: refused, in French
        assert "Déclarer une absence" in ctx.text(page) and "encore annulable" in ctx.text(response)
        return
    expect(ctx, role, response, owner=302)
    if role == "other":
        assert response.status_code == 400 and "Choisissez un enfant de votre foyer" in ctx.text(response)
    assert not declared.exists()


def absence_certificate(ctx, role, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import AbsenceDeclaration, AbsenceReason
    from tests.core.test_documents import PNG

    if not hasattr(ctx, "declaration"):
        ctx.declaration = AbsenceDeclaration.objects.create(
            child=ctx.junior, start=datetime.date(2026, 11, 19), end=datetime.date(2026, 11, 19),
            reason=AbsenceReason.objects.get_or_create(label="Maladie")[0], declared_at=NOW, declared_by=ctx.family.user,
            certificate_required=True, certificate_due=datetime.date(2026, 11, 27),
        )
    url = reverse("portail:absence_certificate", args=[ctx.declaration.pk])
    page = client.get(url)
    response = client.post(url, {"certificate": SimpleUploadedFile("certificat.png", PNG)})
    ctx.declaration.refresh_from_db()
    if role == "owner":
        assert page.status_code == 200 and "Junior" in ctx.text(page) and "Envoyer le certificat" in ctx.text(page)
        assert response.status_code == 302 and ctx.declaration.certificate.household == ctx.family.household
        return
    for answer in (page, response):
        if role == "other":
            assert answer.status_code == 404
        expect(ctx, role, answer)
    assert ctx.declaration.certificate is None


def _cleared(ctx):
    assert not BasketItem.objects.filter(pk=ctx.item.pk).exists()


def _validated(ctx):
    assert Booking.objects.filter(child=ctx.junior, date=MONDAY).exists()


ROUTES = {
    "portail:home": _signed_in_page("portail:home"),
    "portail:reservations": _page("portail:reservations", ("Junior", "Lise")),
    "portail:enrolments": _page("portail:enrolments", ("Junior", "Lise")),
    "portail:enrolment_start": enrolment_start,
    "portail:enrolment_request": enrolment_request,
    "portail:period": period,
    "portail:leisure": leisure,
    "portail:model_week": model_week,
    "portail:absences": absences,
    "portail:absence_certificate": absence_certificate,
    "portail:basket_change": basket_change,
    "portail:basket_clear": _basket_action("portail:basket_clear", _cleared),
    "portail:basket_validate": _basket_action("portail:basket_validate", _validated),
    "portail:waiting_list_join": waiting_list_join,
    "portail:waiting_list_leave": waiting_list_leave,
    "portail:household": _page("portail:household", ("Junior", "Lise", "parent@example.org")),
    "portail:contact_edit": contact_edit,
    "portail:calendar_feed_manage": calendar_feed_manage,
    "portail:calendar_feed": calendar_feed,
    "portail:messages": _page("portail:messages", ()),
    "portail:message_new": message_new,
    "portail:message_thread": message_thread,
    "portail:message_attachment": message_attachment,
    "portail:invoices": None,  # set below: needs the invoice number
    "portail:archived_invoices": None,
    "portail:invoice_basket_change": invoice_basket_change,
    "portail:pay": pay,
    "portail:invoice_pdf": invoice_pdf,
    "portail:document_file": document_file,
    "portail:attestations": attestations,
    "portail:tax_certificate": tax_certificate,
    "portail:direct_debit": direct_debit,
    "portail:mandate_create": mandate_create,
    "portail:mandate_change": _mandate_post(
        "portail:mandate_change",
        lambda pk: {f"m{pk}-holder_name": "Jean TEST", f"m{pk}-iban": "DE89370400440532013000"},
        _amended,
    ),
    "portail:mandate_cancel": _mandate_post("portail:mandate_cancel", lambda pk: {"motif": "pirate"}, _revoked),
    "portail:mandate_pdf": mandate_pdf,
    "portail:payment_notification": payment_notification,
    "portail:payment_return": payment_return,
    "portail:login": _public("portail:login"),
    "portail:logout": logout,
    "portail:activate": activate,
    "portail:password_reset": _public("portail:password_reset"),
    "portail:password_reset_done": _public("portail:password_reset_done"),
    "portail:family_account_request": _public("portail:family_account_request"),
    "portail:family_account_request_done": _public("portail:family_account_request_done"),
    "portail:password_reset_confirm": password_reset_confirm,
    "portail:password_change": _signed_in_page("portail:password_change"),
    "portail:accessibility": _public("portail:accessibility"),
    "portail:legal_notice": _public("portail:legal_notice"),
    "portail:privacy": _public("portail:privacy"),
    "portail:sitemap": _public("portail:sitemap"),
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
    "api:household": _api_read("api:household", must_show="parent@example.org"),
    "api:invoices": api_invoices,
    "api:invoice": _api_invoice("api:invoice"),
    "api:invoice-pdf": _api_invoice("api:invoice-pdf"),
    "api:payments": api_payments,
    "api:payment": api_payment,
    "api:tax-certificates": _api_read("api:tax-certificates", must_show="2025"),
    "api:tax-certificate": api_tax_certificate,
    "api:attestation": api_attestation,
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
