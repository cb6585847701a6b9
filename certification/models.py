"""Certification comments: the thread between a creator and the certifiers."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CertificationComment(models.Model):
    draft = models.ForeignKey(
        "connectors.ConnectorStaged",
        on_delete=models.CASCADE,
        related_name="certification_comments",
    )
    # The API's ``userId``: the commenting project's key, or a dashboard user's name.
    user_id = models.CharField(max_length=320)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    by_certifier = models.BooleanField(default=False)
    comment = models.TextField()
    datetime = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["draft", "id"], name="comment_draft")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.comment[:40]}"
