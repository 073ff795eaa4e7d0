"""Espace Famille, Absences: what the declarations page shows about medical certificates, and the
page where a parent adds the certificate of a declaration already made. core.services.absences
decides whether a certificate is required and until when it may be sent."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.constants import PARIS
from core.models import AbsenceCertificateRule, AbsenceDeclaration, Activity, Enrolment
from core.services import absences as absence_service
from portail.absence_forms import AbsenceCertificateForm
from portail.views.base import guardian_required


def _today():
    return timezone.now().astimezone(PARIS).date()


def certificate_rules(household):
    """The certificate rules of the activities the household's children are enrolled in, in French."""
    activity_ids = Enrolment.objects.accepted().filter(child__household=household).values("activity_id")
    activities = Activity.objects.filter(pk__in=activity_ids, is_active=True).exclude(
        absence_certificate_rule=AbsenceCertificateRule.NEVER
    )
    return [f"{a.name} : certificat médical demandé {a.absence_certificate_rule_label}." for a in activities]


def page_context(household):
    """The household's declarations, each with where its certificate stands, and the rules."""
    today = _today()
    declarations = (
        AbsenceDeclaration.objects.filter(child__household=household)
        .select_related("child", "reason", "certificate").prefetch_related("days__activity").order_by("-declared_at")[:50]
    )
    rows = [
        {
            "declaration": d,
            "certificate_state": d.certificate_state(today=today),
            "can_add_certificate": d.accepts_certificate(today=today),
        }
        for d in declarations
    ]
    return {
        "declarations": rows,
        "certificate_rules": certificate_rules(household),
        "certificate_days": settings.ABSENCE_CERTIFICATE_DAYS,
        "limit_hours": settings.ABSENCE_DECLARATION_HOURS,
    }


def declared_message(declaration, left_out):
    """The message after a declaration: how many days, and what is still expected."""
    days = declaration.days.count()
    text = (
        f"Absence de {declaration.child.first_name} déclarée ({days} jour{'s' if days > 1 else ''}) : le service va "
        "l'examiner, vous recevrez un email avec sa décision."
    )
    if declaration.certificate_required and declaration.certificate_id is None:
        text += (
            f" Un certificat médical est demandé : ajoutez-le au plus tard le {declaration.certificate_due:%d/%m/%Y}, "
            "sans quoi l'absence ne pourra pas être acceptée."
        )
    elif declaration.certificate_id is not None:
        text += " Certificat médical reçu."
    if left_out:
        text += " Non déclarés : " + " ".join(left_out)
    return text


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def absence_certificate(request, declaration_id):
    """« Ajouter le certificat médical » of one of the household's declarations (another
    household's is a 404), while it is pending and before its due date."""
    declaration = get_object_or_404(
        AbsenceDeclaration.objects.filter(child__household=request.household)
        .select_related("child", "reason").prefetch_related("days__activity"),
        pk=declaration_id,
    )
    form = AbsenceCertificateForm(request.POST, request.FILES) if request.method == "POST" else AbsenceCertificateForm()
    if request.method == "POST" and form.is_valid():
        try:
            absence_service.absence_certificate_add(
                guardian=request.guardian, declaration=declaration, uploaded_file=form.cleaned_data["certificate"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Certificat médical de l'absence de {declaration.child.first_name} envoyé : le service va "
                "examiner la déclaration."
            )
            return redirect(reverse("portail:absences"))
    status = 400 if request.method == "POST" else 200  # a valid POST has redirected
    return render(request, "portail/absence_certificate.html", {
        "form": form, "declaration": declaration, "can_add": declaration.accepts_certificate(today=_today()),
        "tab": "absences",
    }, status=status)
