"""« Accueil de loisirs »: the registration windows of the household's units, when they open for
this family, the weeks of each period, and a whole period put in the basket in one go."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.services import basket as basket_service
from core.services.leisure import family_windows
from portail.leisure_forms import LeisurePeriodForm
from portail.views.base import guardian_required
from portail.views.reservations import _period_done


@guardian_required("espace-famille")
@require_http_methods(["GET", "POST"])
def leisure(request):
    now = timezone.now()
    windows = family_windows(guardian=request.guardian, now=now)
    posted = None
    if request.method == "POST":
        posted = next((w for w in windows if str(w.window.pk) == request.POST.get("window")), None)
        if posted is None:
            raise Http404("Cette période n'est pas proposée à votre foyer.")
    rows = []
    for row in windows:
        data = request.POST if row is posted else None
        form = LeisurePeriodForm(data, household=request.household, window=row.window)
        if row is posted and form.is_valid():
            children = list(form.cleaned_data["children"])
            try:
                result = basket_service.basket_add_period(
                    guardian=request.guardian, children=children, activity=form.cleaned_data["unit"],
                    start=row.window.start_date, end=row.window.end_date, weekdays=row.window.weekdays, now=now,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _period_done(request, result, children, row.window.start_date, title=f"« {row.window.label} »")
        rows.append((row, form))
    status = 400 if posted is not None else 200
    return render(request, "portail/leisure.html", {"rows": rows, "tab": "leisure"}, status=status)
