"""Files on shared storage: with a bucket as the default storage (a real S3 HTTP server, moto),
invoice PDFs are written to the bucket by the run, read back from it for the email and the
downloads, and never touch the web node's disk. Downloads stay scoped as on the filesystem."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from core.models import CreditNote, Invoice
from core.services import invoicing
from tests import factories

DECEMBER_DAYS = [datetime.date(2026, 12, d) for d in (7, 8, 10, 11)]
ISSUE_NOW = datetime.datetime(2027, 1, 5, 9, 30, tzinfo=datetime.UTC)


pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def issued(s3_bucket, family, other_family, town, django_capture_on_commit_callbacks, mailoutbox):
    """December issued for TEST (4 meals), its PDF and email delivered by the run; AUTRE has an
    invoice with a PDF in the same bucket."""
    factories.flat_tariff(town.repas_maternelle)
    factories.book(family.children[0], town.repas_maternelle, DECEMBER_DAYS)
    with django_capture_on_commit_callbacks(execute=True):
        run = invoicing.invoice_run_create(regie=town.regie, month=datetime.date(2026, 12, 1))
    with django_capture_on_commit_callbacks(execute=True):
        invoicing.invoice_run_issue(run_id=run.pk, now=ISSUE_NOW)
    theirs = factories.InvoiceFactory(
        regie=town.regie, household=other_family.household, number="RS2027-99999", total=Decimal("3.70")
    )
    name = default_storage.save(f"factures/RS/2027/{theirs.number}.pdf", ContentFile(b"%PDF-1.4 facture AUTRE"))
    Invoice.objects.filter(pk=theirs.pk).update(pdf=name)
    return {"ours": Invoice.objects.for_household(family.household).get(), "theirs": Invoice.objects.get(pk=theirs.pk)}


def test_the_run_writes_each_invoice_pdf_to_the_bucket_and_nothing_on_disk(issued, s3_bucket, settings):
    ours, theirs = issued["ours"], issued["theirs"]
    keys = s3_bucket.keys()
    assert sorted(keys) == sorted([ours.pdf.name, theirs.pdf.name])
    assert ours.pdf.name == f"factures/RS/2027/{ours.number}.pdf"
    assert s3_bucket.read(ours.pdf.name).startswith(b"%PDF")
    assert not settings.MEDIA_ROOT.exists()


def test_the_parent_downloads_the_pdf_from_the_bucket_and_no_other_household(issued, s3_bucket, client, family, other_family):
    ours, theirs = issued["ours"], issued["theirs"]
    client.force_login(family.user)
    response = client.get(reverse("portail:invoice_pdf", args=[ours.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF") and body == s3_bucket.read(ours.pdf.name)
    assert f'filename="facture-{ours.number}.pdf"' in response["Content-Disposition"]
    # The bucket's address never reaches the browser.
    assert s3_bucket.name not in str(response.headers)
    assert client.get(reverse("portail:invoice_pdf", args=[theirs.pk])).status_code == 404


def test_the_invoice_email_attaches_the_pdf_read_from_the_bucket(issued, s3_bucket, mailoutbox, family):
    ours = issued["ours"]
    (message,) = [m for m in mailoutbox if family.parent.email in m.to]
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"facture-{ours.number}.pdf", "application/pdf")
    assert content == s3_bucket.read(ours.pdf.name)


def test_staff_download_invoice_and_credit_note_pdfs_from_the_bucket(issued, s3_bucket, client, regisseur, gestionnaire,
                                                                    django_capture_on_commit_callbacks):
    ours = issued["ours"]
    with django_capture_on_commit_callbacks(execute=True):
        note = invoicing.credit_note_create(invoice_id=ours.pk, reason="Sortie scolaire", now=ISSUE_NOW)
    note = CreditNote.objects.get(pk=note.pk)
    assert note.pdf.name in s3_bucket.keys()
    client.force_login(regisseur)
    for url, key in ((reverse("admin:core_invoice_pdf", args=[ours.pk]), ours.pdf.name),
                     (reverse("admin:core_creditnote_pdf", args=[note.pk]), note.pdf.name)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == s3_bucket.read(key)
    client.force_login(gestionnaire)  # no invoice permission
    assert client.get(reverse("admin:core_invoice_pdf", args=[ours.pk])).status_code == 403


def test_a_second_writer_of_the_same_document_never_replaces_the_stored_pdf(issued, s3_bucket):
    """What keeps _store_once right on a bucket: a concurrent duplicate gets its own key."""
    ours = issued["ours"]
    original = s3_bucket.read(ours.pdf.name)
    duplicate = default_storage.save(ours.pdf.name, ContentFile(b"%PDF-1.7 duplicate"))
    assert duplicate != ours.pdf.name
    default_storage.delete(duplicate)
    assert s3_bucket.read(ours.pdf.name) == original and duplicate not in s3_bucket.keys()
