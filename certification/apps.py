from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Certification"

    def ready(self) -> None:
        # Registers the addCertificationComment update action with the connectors app.
        from . import actions  # noqa: F401
