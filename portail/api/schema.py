"""OpenAPI description of the portal API: every operation also documents the refusals any call
can meet (malformed input, not logged in or not a guardian, an id outside the household)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from portail.api.serializers import ErrorSerializer


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Message en français.")


COMMON_REFUSALS = {
    "400": OpenApiResponse(ErrorSerializer, description="Requête mal formée : {champ: [messages]} ou {detail}."),
    "403": OpenApiResponse(DetailSerializer, description="Non connecté, ou compte sans foyer, ou jeton CSRF manquant."),
    "404": OpenApiResponse(DetailSerializer, description="Introuvable dans le foyer du responsable connecté."),
}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in COMMON_REFUSALS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
