# Report entries name their check; runs record their checks as they go and may be cancelled.
# Existing entries get their check from their title where it names one.

from django.db import migrations, models

# The checks' titles when this migration was written (a copy: migrations do not import code).
CHECK_KEYS = {
    "Connector specification file validation": "specification",
    "Repository structure": "structure",
    "Build": "build",
    "Unit test": "tests",
    "Dependency analysis": "dependencies",
    "Code analysis": "code",
    "Secret scanning": "secrets",
}


def name_the_checks(apps, schema_editor):
    ReportEntry = apps.get_model("connectors", "ReportEntry")
    for name, key in CHECK_KEYS.items():
        titles = [name] + [
            f"{name} check {status}" for status in ("succeeded", "failed", "skipped")
        ]
        ReportEntry.objects.filter(title__in=titles, check_key="").update(check_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0006_certification_comment"),
    ]

    operations = [
        migrations.AddField(
            model_name="pipelinerun",
            name="checks",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="reportentry",
            name="check_key",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="pipelinerun",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                    ("interrupted", "Interrupted"),
                    ("superseded", "Superseded"),
                    ("cancelled", "Cancelled"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="pipelinerun",
            index=models.Index(
                fields=["draft", "report", "-created_at"], name="run_draft_report_newest"
            ),
        ),
        migrations.RunPython(name_the_checks, migrations.RunPython.noop, elidable=True),
    ]
