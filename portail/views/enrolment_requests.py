"""Mes inscriptions: each child's enrolment request during an open campaign. Thin: every rule is in
core.services.enrolment_requests and core.services.documents."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.models import EnrolmentRequest
from core.services import enrolment_requests as er
from core.services.documents import DocumentError
from portail.forms import EnrolmentRequestForm
from portail.views.base import guardian_required


def household_requests(household):
    """The household's requests, every query scoped to it."""
    return EnrolmentRequest.objects.filter(child__household=household).select_related(
        "campaign__school_year", "child__school", "child__household")


def open_campaign_rows(household, now):
    """For each open campaign, each child with its request (None before it is started)."""
    children = list(household.children.select_related("school").order_by("first_name"))
    rows = []
    for campaign in er.campaigns_open(now=now):
        requests = {r.child_id: r for r in household_requests(household).filter(campaign=campaign)}
        rows.append({"campaign": campaign, "children": [(child, requests.get(child.pk)) for child in children]})
    return rows


@require_POST
@guardian_required("espace-famille")
def enrolment_start(request):
    """« Remplir le dossier »: the child's draft for an open campaign (pre-filled on re-enrolment)."""
    now = timezone.now()
    child = get_object_or_404(request.household.children, pk=request.POST.get("child") or 0)
    campaign = get_object_or_404(er.campaigns_open(now=now), pk=request.POST.get("campaign") or 0)
    try:
        enrolment_request = er.request_start(campaign=campaign, child=child, guardian=request.guardian, now=now)
    except er.EnrolmentRequestError as error:
        messages.error(request, str(error))
        return redirect("portail:enrolments")
    return redirect("portail:enrolment_request", request_id=enrolment_request.pk)


@guardian_required("espace-famille")
def enrolment_request(request, request_id):
    """The request's page: saved as a draft (nothing lost), documents uploaded, then sent."""
    enrolment_request = get_object_or_404(household_requests(request.household), pk=request_id)
    now = timezone.now()
    offered = er.services_offered(campaign=enrolment_request.campaign, child=enrolment_request.child)
    asked_everywhere = {kind.pk: kind for service in offered
                        for kind in [*service.required_documents.all(), *service.optional_documents.all()]}
    asked = er.documents_asked(enrolment_request=enrolment_request)
    asked_ids = {entry["type"].pk for entry in asked}
    # Every document an offered service may ask, so that a parent can choose and send in one go.
    entries = asked + [{"type": kind, "required": False, "document": None, "other_service": True}
                       for pk, kind in asked_everywhere.items() if pk not in asked_ids]
    editable = enrolment_request.is_editable and (
        enrolment_request.status != EnrolmentRequest.Status.DRAFT or enrolment_request.campaign.is_open(now))
    form = EnrolmentRequestForm(request.POST or None, request.FILES or None, enrolment_request=enrolment_request,
                                offered=offered, asked_documents=entries)
    if request.method == "POST" and editable and form.is_valid():
        try:
            er.request_save(enrolment_request=enrolment_request, guardian=request.guardian, services=form.services(),
                            health=form.health(), now=now)
        except er.EnrolmentRequestError as error:
            form.add_error(None, str(error))
        else:
            for kind, field_name, uploaded in form.uploads():
                try:
                    er.request_add_document(enrolment_request=enrolment_request, guardian=request.guardian,
                                            document_type=kind, uploaded_file=uploaded, now=now)
                except (DocumentError, er.EnrolmentRequestError) as error:
                    form.add_error(field_name, f"{error} Vos autres réponses sont enregistrées.")
            if not form.errors and "envoyer" in request.POST:
                try:
                    er.request_submit(enrolment_request=enrolment_request, guardian=request.guardian, now=now)
                except er.EnrolmentRequestError as error:
                    form.add_error(None, f"{error} Vos réponses sont enregistrées en brouillon.")
                else:
                    messages.success(request, f"Le dossier de {enrolment_request.child.first_name} est envoyé à la mairie. "
                                              "Vous recevrez un email à chaque étape.")
                    return redirect("portail:enrolments")
            if not form.errors:
                messages.success(request, "Brouillon enregistré : vous pouvez revenir le compléter plus tard.")
                return redirect("portail:enrolment_request", request_id=enrolment_request.pk)
    status = 200 if not form.errors else 422
    enrolment_request.refresh_from_db()
    return render(request, "portail/enrolment_request.html", {
        "enrolment_request": enrolment_request, "form": form, "editable": editable, "tab": "enrolments",
        "asked": er.documents_asked(enrolment_request=enrolment_request),
        "missing": er.missing_documents(enrolment_request=enrolment_request),
    }, status=status if request.method == "POST" else 200)
