from django.apps import AppConfig


class PayfipSimulatorConfig(AppConfig):
    name = "core.payfip_simulator"
    label = "payfip_simulator"
    verbose_name = "Simulateur PayFiP"
    default_auto_field = "django.db.models.BigAutoField"
