"""A household's documents, served only to its own guardians."""

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from core.models import HouseholdDocument
from core.services.documents import document_file_response
from portail.views.base import guardian_required


@require_GET
@guardian_required("foyer")
def document_file(request, document_id):
    """Voir un document: one of the household's own, whatever id is asked (another's is a 404)."""
    document = get_object_or_404(HouseholdDocument.objects.for_household(request.household), pk=document_id)
    return document_file_response(document, download="telecharger" in request.GET)
