from django.apps import AppConfig
from django.db.models.signals import post_save


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Certification"

    def ready(self) -> None:
        # Registers the addCertificationComment update action with the connectors app.
        from connectors.models import ConnectorStaged

        from . import actions  # noqa: F401
        from .changes import draft_saved

        # A draft entering the queue gets the comparison with its last review requested.
        post_save.connect(draft_saved, sender=ConnectorStaged, dispatch_uid="certification-changes")
