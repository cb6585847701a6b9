# The certification comments move to connectors (the draft's API resource carries them);
# only Django's model state moves: the table stays where it is, under its name.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0005_access_tokens_at_rest"),
        ("certification", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CertificationComment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("user_id", models.CharField(max_length=320)),
                        ("by_certifier", models.BooleanField(default=False)),
                        ("comment", models.TextField()),
                        ("datetime", models.DateTimeField(auto_now_add=True)),
                        (
                            "author",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "draft",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="certification_comments",
                                to="connectors.connectorstaged",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "certification_certificationcomment",
                        "ordering": ["id"],
                        "indexes": [models.Index(fields=["draft", "id"], name="comment_draft")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
