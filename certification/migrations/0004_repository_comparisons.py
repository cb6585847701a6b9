# What changed in a draft's repository since its last review, computed by a task and kept.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0003_rejection_reasons"),
        ("connectors", "0006_certification_comment"),
    ]

    operations = [
        migrations.CreateModel(
            name="RepositoryComparison",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64)),
                ("base_url", models.CharField(max_length=2048)),
                ("base_tag", models.CharField(max_length=255)),
                ("base_commit", models.CharField(blank=True, default="", max_length=64)),
                ("head_url", models.CharField(max_length=2048)),
                ("head_tag", models.CharField(max_length=255)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("running", "Running"),
                            ("ready", "Ready"),
                            ("failed", "Failed"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("result", models.JSONField(blank=True, default=dict)),
                ("message", models.TextField(blank=True, default="")),
                ("requested_at", models.DateTimeField()),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "draft",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="repository_comparisons",
                        to="connectors.connectorstaged",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("draft", "key"), name="comparison_draft_key"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("state__in", ["pending", "running", "ready", "failed"])
                        ),
                        name="comparison_state_valid",
                    ),
                ],
            },
        ),
    ]
