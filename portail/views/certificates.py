"""« Factures et paiements » › « Attestations »: the yearly tax certificate for childcare and the
attestation of payment or attendance for a period, as PDFs. All figures come from
core.services.certificates, always for the logged-in guardian's household."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.services import certificates
from core.services.certificates import CertificateError
from portail.forms import AttestationForm
from portail.views.base import guardian_required


def _pdf(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _tax_years(household, today):
    years = []
    for year in range(today.year - 1, today.year - 1 - certificates.TAX_CERTIFICATE_YEARS_SHOWN, -1):
        certificate = certificates.tax_certificate_compute(household=household, year=year, today=today)
        years.append({"year": year, "total": certificate.total, "children": certificate.children})
    return years


@require_GET
@guardian_required("factures")
def attestations(request):
    """The page: tax certificates of the last years, and the form for a period's attestation.
    The form is sent here too (GET); a valid one answers with the PDF."""
    today = timezone.localdate()
    form = AttestationForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            pdf = certificates.attestation_pdf(
                household=request.household, kind=data["kind"], start=data["start"], end=data["end"], today=today
            )
        except CertificateError as error:
            form.add_error("end", str(error))
        else:
            return _pdf(pdf, f"attestation-{data['kind']}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.pdf")
    return render(
        request,
        "portail/attestations.html",
        {"tab": "attestations", "form": form, "tax_years": _tax_years(request.household, today)},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
@guardian_required("factures")
def tax_certificate(request, year):
    """The household's tax certificate of `year`, from 1 January of the year after."""
    today = timezone.localdate()
    try:
        pdf = certificates.tax_certificate_pdf(household=request.household, year=year, today=today)
    except CertificateError as error:
        raise Http404(str(error)) from error
    return _pdf(pdf, f"attestation-fiscale-{year}.pdf")
