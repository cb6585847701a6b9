from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from . import counts
        from .models import ConnectorStaged

        # Writes renew the cached totals through drafts.record; deletes through this.
        post_delete.connect(counts.on_draft_delete, sender=ConnectorStaged)
