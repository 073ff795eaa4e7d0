from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Espace Famille"

    def ready(self):
        from core import checks  # noqa: F401  (registers the system checks)
        from core.services import reference

        reference.connect_signals()
