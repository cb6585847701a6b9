# The certification comments are connectors' model now (connectors 0006): only the model
# state leaves this app; the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0001_initial"),
        ("connectors", "0006_certification_comment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CertificationComment")],
            database_operations=[],
        ),
    ]
