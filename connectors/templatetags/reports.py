"""Template helpers of the checks-style report: run and check states in words, durations,
counts, and links to a finding's line in the repository."""

from __future__ import annotations

from typing import Any

from django import template

from connectors.pages.links import safe_url, source_url

register = template.Library()

RUN_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "succeeded": "Passed",
    "failed": "Failed",
    "interrupted": "Interrupted",
    "superseded": "Superseded",
    "cancelled": "Cancelled",
}
RUN_TONES = {
    "queued": "waiting",
    "running": "busy",
    "succeeded": "good",
    "failed": "bad",
    "interrupted": "bad",
    "superseded": "neutral",
    "cancelled": "neutral",
}
CHECK_LABELS = {
    "passed": "Passed",
    "warning": "Passed with warnings",
    "failed": "Failed",
    "skipped": "Skipped",
    "running": "Running",
    "queued": "Queued",
    "stopped": "Stopped",
}
CHECK_TONES = {
    "passed": "good",
    "warning": "warning",
    "failed": "bad",
    "skipped": "neutral",
    "running": "busy",
    "queued": "waiting",
    "stopped": "neutral",
}


@register.filter
def run_label(run: Any) -> str:
    return RUN_LABELS.get(run.state, run.state)


@register.filter
def run_tone(state: str) -> str:
    return RUN_TONES.get(state, "neutral")


@register.filter
def check_label(state: str) -> str:
    return CHECK_LABELS.get(state, state)


@register.filter
def check_tone(state: str) -> str:
    return CHECK_TONES.get(state, "neutral")


@register.filter
def run_counts(run: Any) -> str:
    """ "2 of 6 checks failed, 1 with warnings" (nothing while no check has ended)."""
    checks = run.checks
    failed = sum(1 for c in checks if c.state == "failed")
    warned = sum(1 for c in checks if c.state == "warning")
    passed = sum(1 for c in checks if c.state == "passed")
    parts = []
    if failed:
        parts.append(f"{failed} of {len(checks)} checks failed")
    if warned:
        parts.append(f"{warned} with warnings")
    if passed and not failed:
        parts.append(f"{passed} of {len(checks)} checks passed")
    return ", ".join(parts)


@register.filter
def seconds(value: float | None) -> str:
    """A duration in words: "0.4 s", "12 s", "3 min 5 s"."""
    if value is None:
        return ""
    if value < 10:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


@register.filter
def source_link(draft: Any, entry: Any) -> str | None:
    """The finding's line in the repository at the draft's tag (None: no known web page)."""
    return source_url(draft.repository_url, draft.repository_tag, entry.file, entry.line)


@register.filter
def safe_link(value: str | None) -> str | None:
    """The URL when it may be a link (http or https), else None: shown as text."""
    return safe_url(value)
