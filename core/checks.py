"""System checks that guard a production deployment."""

import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


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


@register()
def check_payment_settings(app_configs, **kwargs):
    from core.payfip_simulator.simulator import NOTIFICATION_MODES
    from core.payfip.validation import SAISIES

    errors = []
    if settings.PAYMENT_BACKEND not in {"simulator", "payfip"}:
        errors.append(Error(f"PAYMENT_BACKEND vaut {settings.PAYMENT_BACKEND!r} : simulator ou payfip.", id="core.E003"))
    if settings.PAYFIP_SAISIE not in SAISIES:
        errors.append(Error(f"PAYFIP_SAISIE vaut {settings.PAYFIP_SAISIE!r} : T (test), X (activation) ou W (production).", id="core.E004"))
    if settings.PAYFIP_SIMULATOR_NOTIFICATION not in NOTIFICATION_MODES:
        errors.append(
            Error(
                f"PAYFIP_SIMULATOR_NOTIFICATION vaut {settings.PAYFIP_SIMULATOR_NOTIFICATION!r} : "
                f"{', '.join(sorted(NOTIFICATION_MODES))}.",
                id="core.E005",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_payfip_production_mode(app_configs, **kwargs):
    if settings.PAYMENT_BACKEND == "payfip" and settings.PAYFIP_SAISIE != "W":
        return [
            Warning(
                f"PAYFIP_SAISIE vaut {settings.PAYFIP_SAISIE!r} : les paiements ne sont pas en mode production (W).",
                hint="Le mode X sert à l'activation de la régie, le mode T aux essais.",
                id="core.W001",
            )
        ]
    return []


@register()
def check_retention_settings(app_configs, **kwargs):
    """A departed household's documents must go before the household itself is anonymised."""
    errors = []
    months, years = settings.DOCUMENT_RETENTION_MONTHS, settings.RGPD_RETENTION_YEARS
    if not 1 <= months < years * 12:
        errors.append(Error(
            f"DOCUMENT_RETENTION_MONTHS vaut {months} : entre 1 et {years * 12 - 1} mois, plus court que le délai "
            f"d'anonymisation (RGPD_RETENTION_YEARS = {years} ans).", id="core.E006"))
    if settings.ACCOUNT_REQUEST_RETENTION_DAYS < 1:
        errors.append(Error(
            f"ACCOUNT_REQUEST_RETENTION_DAYS vaut {settings.ACCOUNT_REQUEST_RETENTION_DAYS} : au moins 1 jour.",
            id="core.E007"))
    return errors
