"""Certification's own table: the rejection reasons support staff keep in the admin.

A draft's comments are ``connectors.models.CertificationComment`` (part of the draft's API
resource); a rejection's chosen reasons become one such comment.
"""

from __future__ import annotations

from django.db import models


class RejectionReason(models.Model):
    """A reason a certifier can pick when rejecting: its title and text go into the comment."""

    code = models.SlugField(max_length=64, unique=True, help_text="Stable name kept in history.")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="What the creator reads: what is wrong and what to do.")
    active = models.BooleanField(default=True, help_text="Offered to certifiers.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class RepositoryComparison(models.Model):
    """What changed in a draft's repository since a certifier's last decision on it.

    Computed by a Celery task (``certification.compare_repositories``): fetching two commits
    and diffing them takes seconds to minutes, too long for a page to wait on. One row per
    round: ``key`` stands for the reviewed commit and the submitted repository, so a new tag
    gets a new row and the page never shows a stale comparison. ``result`` is
    ``connectors.diffs.compare_repositories``'s JSON.
    """

    class State(models.TextChoices):
        PENDING = "pending"  # requested; its task is sent or about to be
        RUNNING = "running"  # a worker has claimed it
        READY = "ready"
        FAILED = "failed"  # ``message`` says why

    draft = models.ForeignKey(
        "connectors.ConnectorStaged",
        on_delete=models.CASCADE,
        related_name="repository_comparisons",
    )
    key = models.CharField(max_length=64)
    base_url = models.CharField(max_length=2048)
    base_tag = models.CharField(max_length=255)
    base_commit = models.CharField(max_length=64, blank=True, default="")
    head_url = models.CharField(max_length=2048)
    head_tag = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    result = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, default="")
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["draft", "key"], name="comparison_draft_key"),
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "running", "ready", "failed"]),
                name="comparison_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.base_tag} → {self.head_tag} ({self.state})"
