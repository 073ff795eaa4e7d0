"""System checks that guard a production deployment."""

import os

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_production_secrets(app_configs, **kwargs):
    errors = []
    if not os.environ.get("SECRET_KEY"):
        errors.append(
            Error(
                "SECRET_KEY n'est pas défini dans l'environnement : la clé de développement est utilisée.",
                id="core.E001",
            )
        )
    if settings.PAYMENT_BACKEND == "simulator" and not settings.DEBUG:
        errors.append(
            Error(
                "Le simulateur PayFiP ne peut pas servir en production : définir PAYMENT_BACKEND=payfip.",
                id="core.E002",
            )
        )
    return errors
