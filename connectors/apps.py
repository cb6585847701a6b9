from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import counts
        from .models import ConnectorStaged

        post_save.connect(counts.on_draft_change, sender=ConnectorStaged)
        post_delete.connect(counts.on_draft_change, sender=ConnectorStaged)
