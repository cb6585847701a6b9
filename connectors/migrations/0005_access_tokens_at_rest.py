"""Access tokens issued before tokens were stored as their checksum only: blank them too.

Lookups use ``token_checksum`` (SHA-256 of the token), which every row already has.
"""

from django.conf import settings
from django.db import migrations


def forget_plain_tokens(apps, schema_editor):
    app_label, model_name = settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL.split(".")
    access_token = apps.get_model(app_label, model_name)
    access_token.objects.exclude(token="").exclude(token_checksum="").update(token="")


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0004_step_logs"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(forget_plain_tokens, migrations.RunPython.noop)]
