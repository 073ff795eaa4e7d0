"""The API's money part: the household, its invoices (list, detail, PDF), online payment (start,
status) and certificates. Thin views over the same services as the portal pages; every query
starts from the logged-in guardian's household, another household's ids answer 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.response import Response

from core.models import Household, Invoice, Payment
from core.services import certificates
from core.services.certificates import CertificateError
from core.services.payments import InvoiceNotFound, PaymentError, payment_check, payment_start
from portail.api import money_serializers as m
from portail.api.views import ERRORS, GuardianAPIView


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for application/pdf; the PDF bytes pass through untouched."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


PDF_RESPONSE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Le document PDF.")}


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PdfAPIView(GuardianAPIView):
    renderer_classes = [renderers.JSONRenderer, PDFRenderer]


class HouseholdView(GuardianAPIView):
    @extend_schema(summary="Mon foyer : adresse, responsables et enfants", responses=m.HouseholdSerializer)
    def get(self, request):
        household = Household.objects.prefetch_related("guardians", "children").get(pk=self.guardian.household_id)
        return Response(m.HouseholdSerializer(household).data)


class HouseholdInvoicesMixin:
    def invoices(self):
        return Invoice.objects.for_household(self.guardian.household).with_balance().select_related("regie")

    def household_invoice(self, invoice_id):
        return get_object_or_404(self.invoices(), pk=invoice_id)


class InvoicesView(HouseholdInvoicesMixin, GuardianAPIView):
    @extend_schema(summary="Mes factures (en cours, archivées ou toutes)", parameters=[m.InvoiceListQuerySerializer],
                   responses=m.InvoiceSerializer(many=True))
    def get(self, request):
        query = m.InvoiceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        invoices = self.invoices()
        state = query.validated_data["state"]
        if state == "open":
            invoices = invoices.open()
        elif state == "archived":
            invoices = invoices.archived()
        return Response(m.InvoiceSerializer(invoices, many=True).data)


class InvoiceView(HouseholdInvoicesMixin, GuardianAPIView):
    @extend_schema(summary="Une facture et ses lignes", responses=m.InvoiceDetailSerializer)
    def get(self, request, invoice_id):
        invoice = self.household_invoice(invoice_id)
        invoice.lines_list = invoice.lines.select_related("child", "activity")
        return Response(m.InvoiceDetailSerializer(invoice).data)


class InvoicePdfView(HouseholdInvoicesMixin, PdfAPIView):
    @extend_schema(summary="Le PDF d'une facture", responses=PDF_RESPONSE)
    def get(self, request, invoice_id):
        invoice = self.household_invoice(invoice_id)
        if not invoice.pdf:
            raise Http404("PDF pas encore disponible.")
        with invoice.pdf.open("rb") as handle:
            return pdf_response(handle.read(), f"facture-{invoice.number}.pdf")


def _payment_data(payment):
    return m.PaymentSerializer(payment).data


class PaymentsView(GuardianAPIView):
    @extend_schema(
        summary="Payer des factures en ligne : renvoie l'adresse de la page PayFiP",
        description="Mêmes règles et mêmes verrous que le bouton « Payer » du portail (factures du foyer, à payer, "
        "d'une même régie, 1 € au moins, aucune tentative en cours).",
        request=m.PaymentStartSerializer,
        responses={201: m.PaymentStartedSerializer, **ERRORS},
    )
    def post(self, request):
        data = m.PaymentStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            payment = payment_start(guardian=self.guardian, invoice_ids=data.validated_data["invoice_ids"])
        except InvoiceNotFound as error:
            raise Http404(str(error)) from error
        except PaymentError as error:
            return Response({"detail": str(error), "code": "payment_refused"}, status=status.HTTP_400_BAD_REQUEST)
        url = payment.payment_url
        payment = Payment.objects.prefetch_related("allocations__invoice").get(pk=payment.pk)
        return Response({**_payment_data(payment), "payment_url": url}, status=status.HTTP_201_CREATED)


class PaymentView(GuardianAPIView):
    @extend_schema(summary="L'état d'un paiement en ligne (PayFiP interrogé s'il est encore en cours)",
                   responses=m.PaymentSerializer)
    def get(self, request, payment_uuid):
        payments = Payment.objects.for_household(self.guardian.household).filter(method=Payment.Method.ONLINE)
        payment = get_object_or_404(payments, uuid=payment_uuid)
        if payment.is_in_flight:
            try:
                payment_check(payment_id=payment.pk, source="api")
            except Exception:  # as the return page: the answer stands, the reconciliation job catches up
                pass
        payment = payments.prefetch_related("allocations__invoice").get(pk=payment.pk)
        return Response(_payment_data(payment))


class TaxCertificatesView(GuardianAPIView):
    @extend_schema(summary="Attestations fiscales disponibles (frais de garde) et leurs montants",
                   responses=m.TaxYearSerializer(many=True))
    def get(self, request):
        today = timezone.localdate()
        years = []
        for year in range(today.year - 1, today.year - 1 - certificates.TAX_CERTIFICATE_YEARS_SHOWN, -1):
            certificate = certificates.tax_certificate_compute(household=self.guardian.household, year=year, today=today)
            years.append({"year": year, "total": certificate.total})
        return Response(m.TaxYearSerializer(years, many=True).data)


class TaxCertificatePdfView(PdfAPIView):
    @extend_schema(summary="L'attestation fiscale d'une année (PDF), à partir du 1er janvier suivant",
                   responses=PDF_RESPONSE)
    def get(self, request, year):
        try:
            pdf = certificates.tax_certificate_pdf(household=self.guardian.household, year=year, today=timezone.localdate())
        except CertificateError as error:
            raise Http404(str(error)) from error
        return pdf_response(pdf, f"attestation-fiscale-{year}.pdf")


class AttestationPdfView(PdfAPIView):
    @extend_schema(summary="Attestation de paiement ou de présence sur une période (PDF)",
                   parameters=[m.AttestationQuerySerializer], responses={**PDF_RESPONSE, **ERRORS})
    def get(self, request):
        query = m.AttestationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        try:
            pdf = certificates.attestation_pdf(
                household=self.guardian.household, kind=values["kind"], start=values["start"], end=values["end"],
                today=timezone.localdate(),
            )
        except CertificateError as error:
            return Response({"detail": str(error), "code": "invalid_period"}, status=status.HTTP_400_BAD_REQUEST)
        return pdf_response(pdf, f"attestation-{values['kind']}.pdf")
