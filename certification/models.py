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
