# Rejection reasons, kept by support staff in the admin, with a first set of them.

from django.db import migrations, models

REASONS = [
    (
        "security-finding-unresolved",
        "Security finding unresolved",
        "A finding of the security checks (code analysis, dependency analysis or secret "
        "scanning) is still open. Fix it, or explain in a comment why it does not apply, and "
        "publish again.",
    ),
    (
        "documentation-missing",
        "Documentation missing",
        "The repository does not explain how to install, configure and use the connector. Add "
        "a README covering every application and configuration value, and set the "
        "documentation URL.",
    ),
    (
        "description-inaccurate",
        "Description inaccurate",
        "The name, description or integration types do not match what the connector does. "
        "Describe what it does, for whom, and what it needs.",
    ),
    (
        "connect-yaml-unclear",
        "connect.yaml configuration unclear",
        "Some configuration values in connect.yaml lack a description a merchant can act on, "
        "or are standard values that should be secured. Describe each value and secure "
        "credentials.",
    ),
    (
        "tests-failing",
        "Tests failing",
        "The connector's tests fail or are missing for a deployed application. Make them pass "
        "and cover the main flows.",
    ),
]


def add_reasons(apps, schema_editor):
    RejectionReason = apps.get_model("certification", "RejectionReason")
    for order, (code, title, text) in enumerate(REASONS, start=1):
        RejectionReason.objects.get_or_create(
            code=code, defaults={"title": title, "text": text, "order": order * 10}
        )


def remove_reasons(apps, schema_editor):
    RejectionReason = apps.get_model("certification", "RejectionReason")
    RejectionReason.objects.filter(code__in=[code for code, _, _ in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0002_comments_in_connectors"),
    ]

    operations = [
        migrations.CreateModel(
            name="RejectionReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="Stable name kept in history.", max_length=64, unique=True
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                (
                    "text",
                    models.TextField(
                        help_text="What the creator reads: what is wrong and what to do."
                    ),
                ),
                (
                    "active",
                    models.BooleanField(default=True, help_text="Offered to certifiers."),
                ),
                ("order", models.PositiveIntegerField(default=0)),
            ],
            options={
                "ordering": ["order", "title"],
            },
        ),
        migrations.RunPython(add_reasons, remove_reasons),
    ]
