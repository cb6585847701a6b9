"""What changed in a draft between two reviews: its fields, and its repository.

**Fields.** ``draft_snapshot`` keeps what a reviewer saw of a draft (the shared fields,
connect.yaml's configurations among them, and the repository's url, tag and commit) as JSON;
``metadata_changes`` compares two snapshots field by field, in the words of the pages:
lists name the items added and removed, an application's configuration the keys.

**Repository.** ``compare_repositories`` fetches the reviewed commit and the submitted tag
into one temporary bare repository (``repositories.fetch_revisions``: the same hardened,
size- and time-limited git as a pipeline's checkout) and asks git what changed, restricted
to what the submitted connect.yaml deploys (its applications' folders and the local modules
they depend on, ``checks.scope``) and connect.yaml itself: each file added, removed,
modified or renamed (``git diff --numstat -M``), with its unified diff when it is text. Each
file's diff is cut past CONNECTORS_DIFF_MAX_FILE_BYTES and all of them past
CONNECTORS_DIFF_MAX_TOTAL_BYTES, saying so; git never runs past CONNECTORS_DIFF_SECONDS.
The result is plain JSON, stored by the caller.

**Findings.** ``place_findings`` puts a run's report entries (file, line) on the diff lines
they point at.

Everything a repository controls ends up in these structures as text: templates escape it.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .checks.base import Application
from .checks.scope import SPECIFICATION_FILE, build_scope
from .errors import ConnectorSpecificationFileNotValid, GitRepositoryNotReachable
from .models import SHARED_FIELDS, ConnectorStaged
from .repositories import FetchedRevisions, RepositoryRejected, Revision, fetch_revisions

logger = logging.getLogger(__name__)

# --- fields -----------------------------------------------------------------------------------

FIELD_LABELS = {
    "key": "Key",
    "name": "Name",
    "description": "Description",
    "integration_types": "Integration types",
    "creator_name": "Creator name",
    "creator_title": "Creator title",
    "creator_email": "Creator email",
    "creator_company": "Creator company",
    "creator_logo_url": "Creator logo URL",
    "creator_no_of_contributors": "Number of contributors",
    "creator_support_url": "Creator support URL",
    "repository_url": "Repository URL",
    "repository_tag": "Repository tag",
    "repository_commit": "Repository commit",
    "configurations": "Applications and configuration",
    "global_configuration": "Global configuration",
    "api_client": "API client scopes",
    "private": "Private",
    "supported_regions": "Supported regions",
    "documentation_url": "Documentation URL",
}
# Bookkeeping columns that mirror another field.
NOT_SHOWN = frozenset({"integration_mask"})
SNAPSHOT_FIELDS: tuple[str, ...] = (
    *(name for name in SHARED_FIELDS if name not in NOT_SHOWN),
    "repository_commit",
)
_STRING_LISTS = frozenset({"integration_types", "supported_regions"})
_CONFIGURATION_KINDS = (("standardConfiguration", "standard"), ("securedConfiguration", "secured"))


def show_value(value: Any) -> str:
    """A field value as readable text."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return str(value)


def draft_snapshot(draft: ConnectorStaged) -> dict[str, Any]:
    """What a reviewer sees of ``draft``, as JSON (kept in a decision's history event)."""
    return {name: copy.deepcopy(getattr(draft, name)) for name in SNAPSHOT_FIELDS}


@dataclass(frozen=True)
class FieldChange:
    """One changed field (or one application's configuration), old → new."""

    label: str
    before: str = ""  # the old value as text; empty where the items say it all
    after: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # items in both whose details changed, in words


def metadata_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """The fields that differ between two snapshots, in SNAPSHOT_FIELDS order.

    A field missing from either snapshot (written before it was kept) is left out: nobody
    knows what it was.
    """
    changes: list[FieldChange] = []
    for name in SNAPSHOT_FIELDS:
        if name not in before or name not in after or before[name] == after[name]:
            continue
        old, new = before[name], after[name]
        label = FIELD_LABELS.get(name, name)
        if name in _STRING_LISTS:
            changes.append(_list_change(label, _strings(old), _strings(new)))
        elif name == "api_client":
            changes.append(_list_change(label, _scopes(old), _scopes(new)))
        elif name == "configurations":
            changes += _application_changes(old, new)
        elif name == "global_configuration":
            change = _keys_change(label, _dict(old), _dict(new))
            if change is not None:
                changes.append(change)
        elif name == "repository_commit":
            changes.append(FieldChange(label, str(old)[:12] or "—", str(new)[:12] or "—"))
        else:
            changes.append(FieldChange(label, show_value(old), show_value(new)))
    return changes


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scopes(value: Any) -> list[str]:
    return _strings(_dict(value).get("scopes"))


def _list_change(label: str, old: list[str], new: list[str]) -> FieldChange:
    return FieldChange(
        label,
        show_value(old),
        show_value(new),
        added=tuple(item for item in new if item not in old),
        removed=tuple(item for item in old if item not in new),
    )


def _applications(value: Any) -> dict[str, dict[str, Any]]:
    entries = value if isinstance(value, list) else []
    return {
        str(entry.get("applicationName")): entry for entry in entries if isinstance(entry, dict)
    }


def _application_changes(old: Any, new: Any) -> list[FieldChange]:
    """One row for the applications added or removed, one per application whose type or
    configuration keys changed."""
    before, after = _applications(old), _applications(new)
    changes: list[FieldChange] = []
    added = tuple(
        f"{name} ({after[name].get('applicationType')})" for name in after.keys() - before.keys()
    )
    removed = tuple(
        f"{name} ({before[name].get('applicationType')})" for name in before.keys() - after.keys()
    )
    if added or removed:
        changes.append(
            FieldChange("Applications", added=tuple(sorted(added)), removed=tuple(sorted(removed)))
        )
    for name in after:
        if name not in before or before[name] == after[name]:
            continue
        old_type, new_type = before[name].get("applicationType"), after[name].get("applicationType")
        if old_type != new_type:
            changes.append(FieldChange(f"Type of application {name}", str(old_type), str(new_type)))
        change = _keys_change(f"Configuration of application {name}", before[name], after[name])
        if change is not None:
            changes.append(change)
    return changes


def _configuration_keys(configuration: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each configuration key: (standard or secured, its entry)."""
    keys: dict[str, tuple[str, dict[str, Any]]] = {}
    for field, kind in _CONFIGURATION_KINDS:
        entries = configuration.get(field)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                keys[entry["key"]] = (kind, entry)
    return keys


def _keys_change(label: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> FieldChange | None:
    before, after = _configuration_keys(old), _configuration_keys(new)
    added = tuple(f"{key} ({after[key][0]})" for key in after if key not in before)
    removed = tuple(f"{key} ({before[key][0]})" for key in before if key not in after)
    changed: list[str] = []
    for key in after:
        if key in before and before[key] != after[key]:
            changed += _key_differences(key, before[key], after[key])
    if not (added or removed or changed):
        return None
    return FieldChange(label, added=added, removed=removed, changed=tuple(changed))


def _key_differences(
    key: str, old: tuple[str, dict[str, Any]], new: tuple[str, dict[str, Any]]
) -> list[str]:
    (old_kind, old_entry), (new_kind, new_entry) = old, new
    found = []
    if old_kind != new_kind:
        found.append(f"{key}: {old_kind} → {new_kind}")
    for detail in ("description", "default"):
        if old_entry.get(detail) != new_entry.get(detail):
            found.append(
                f"{key}: {detail} “{old_entry.get(detail) or ''}” → “{new_entry.get(detail) or ''}”"
            )
    if bool(old_entry.get("required")) != bool(new_entry.get("required")):
        found.append(f"{key}: {'now required' if new_entry.get('required') else 'now optional'}")
    return found


# --- repository ---------------------------------------------------------------------------------

RESULT_FORMAT = 1
_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "T": "type changed"}
_HUNK = re.compile(rb"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_OUTSIDE_NAMES_KEPT = 50


class ComparisonFailed(Exception):
    """The comparison could not be made (a commit gone, a repository unreachable or over a
    limit); the message says why, in words for the page."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def compare_repositories(*, base: Revision, head: Revision) -> dict[str, Any]:
    """What changed from ``base`` to ``head`` in what the head's connect.yaml deploys.

    Returns JSON (see the module docstring; ``files`` in git's order, each with ``path``,
    ``old_path``, ``status``, ``added``, ``removed``, ``binary``, ``hunks``, ``cut``).
    Raises ComparisonFailed.
    """
    try:
        with fetch_revisions(base, head, seconds=settings.CONNECTORS_DIFF_SECONDS) as fetched:
            return _compare(fetched, base, head)
    except (GitRepositoryNotReachable, RepositoryRejected) as error:
        raise ComparisonFailed(error.message) from error


def _compare(fetched: FetchedRevisions, base: Revision, head: Revision) -> dict[str, Any]:
    folders = _deployed_paths(fetched)
    pathspecs = [] if folders is None else folders
    numstat = _diff(fetched, ["-z", "-M", "--numstat"], pathspecs)
    statuses = _diff(fetched, ["-z", "-M", "--name-status"], pathspecs)
    files = [
        {**entry, "status": status, "hunks": [], "cut": "", "omitted": ""}
        for entry, status in zip(_parse_numstat(numstat), _parse_statuses(statuses), strict=True)
    ]
    inside = {path for entry in files for path in (entry["path"], entry["old_path"]) if path}
    everything = _split_z(_diff(fetched, ["-z", "--name-only"], []))
    outside = [path for path in everything if path not in inside]
    cut = _add_unified_diffs(fetched, files)
    return {
        "format": RESULT_FORMAT,
        "base": {"url": base.url, "tag": base.tag, "commit": fetched.base},
        "head": {"url": head.url, "tag": head.tag, "commit": fetched.head},
        "folders": folders,  # None: connect.yaml could not be read, everything is compared
        "files": files,
        "totals": {
            "files": len(files),
            "added": sum(entry["added"] or 0 for entry in files),
            "removed": sum(entry["removed"] or 0 for entry in files),
        },
        "outside": {"count": len(outside), "paths": outside[:_OUTSIDE_NAMES_KEPT]},
        "cut": cut,
    }


def _diff_command(fetched: FetchedRevisions, options: list[str], paths: list[str]) -> list[str]:
    """``git diff`` from base to head, never through an external diff or text conversion."""
    command = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", *options]
    return [*command, fetched.base, fetched.head, "--", *paths]


def _diff(fetched: FetchedRevisions, options: list[str], paths: list[str]) -> bytes:
    return fetched.output(_diff_command(fetched, options, paths))


def _deployed_paths(fetched: FetchedRevisions) -> list[str] | None:
    """connect.yaml and the folders its applications deploy (with their local modules), at
    the head; None when connect.yaml cannot be read (then everything is compared) or an
    application is the repository's root."""
    from .spec.acceptance import read_specification

    root = fetched.head_tree
    specification = root / SPECIFICATION_FILE
    if not specification.is_file() or specification.is_symlink():
        return None
    try:
        accepted = read_specification(specification.read_bytes())
    except ConnectorSpecificationFileNotValid:
        return None
    applications = [Application(name=n, type=t, path=root / n) for n, t in accepted.applications]
    scope = build_scope(root, applications)
    folders = dict.fromkeys(folder for app in scope.applications for folder in app.folders)
    if "." in folders:
        return None
    return [SPECIFICATION_FILE, *sorted(folders)]


def _split_z(output: bytes) -> list[str]:
    return [part.decode("utf-8", "replace") for part in output.split(b"\0") if part]


def _parse_numstat(output: bytes) -> list[dict[str, Any]]:
    """``--numstat -z``: ``added\\tremoved\\tpath\\0``, or for a rename
    ``added\\tremoved\\t\\0old\\0new\\0``; ``-`` counts for a binary file."""
    parts = output.split(b"\0")
    entries = []
    index = 0
    while index < len(parts) and parts[index]:
        added, removed, path = parts[index].split(b"\t", 2)
        index += 1
        old_path = ""
        if not path:  # a rename or copy: the two paths follow
            old_path, path = parts[index].decode("utf-8", "replace"), parts[index + 1]
            index += 2
        binary = added == b"-"
        entries.append(
            {
                "path": path.decode("utf-8", "replace"),
                "old_path": old_path,
                "binary": binary,
                "added": None if binary else int(added),
                "removed": None if binary else int(removed),
            }
        )
    return entries


def _parse_statuses(output: bytes) -> list[str]:
    """``--name-status -z``: ``X\\0path\\0``, or ``R<score>\\0old\\0new\\0``."""
    parts = output.split(b"\0")
    statuses = []
    index = 0
    while index < len(parts) and parts[index]:
        letter = parts[index][:1].decode("ascii", "replace")
        index += 3 if letter in ("R", "C") else 2
        statuses.append(_STATUS.get(letter, "modified"))
    return statuses


def _add_unified_diffs(fetched: FetchedRevisions, files: list[dict[str, Any]]) -> str:
    """Each text file's hunks, cut to the per-file and total sizes; returns what the total
    limit (or the time limit) left out, in words, or ""."""
    per_file = settings.CONNECTORS_DIFF_MAX_FILE_BYTES
    total = settings.CONNECTORS_DIFF_MAX_TOTAL_BYTES
    used = 0
    left_out = 0
    reason = ""
    for entry in files:
        if entry["binary"]:
            continue
        if reason:
            entry["omitted"] = reason
            left_out += 1
            continue
        limit = min(per_file, total - used)
        paths = [entry["old_path"], entry["path"]] if entry["old_path"] else [entry["path"]]
        command = _diff_command(fetched, ["-M", "-U3"], paths)
        try:
            output = fetched.output_prefix(command, limit + 1)
        except GitRepositoryNotReachable as error:  # the time limit ran out
            reason = f"Not shown: {error.message}"
            entry["omitted"] = reason
            left_out += 1
            continue
        shown = output[:limit]
        if len(output) > limit:
            newline = shown.rfind(b"\n")
            shown = shown[: newline + 1] if newline >= 0 else shown
            entry["cut"] = _cut_message(limit, per_file)
        used += len(shown)
        entry["hunks"] = _parse_hunks(shown)
        if used >= total or (entry["cut"] and limit < per_file):
            reason = (
                f"Not shown: the diffs shown reach the limit of {_size(total)} "
                "(CONNECTORS_DIFF_MAX_TOTAL_BYTES)."
            )
    if not left_out:
        return ""
    return f"{left_out} of {len(files)} files' diffs are not shown. {reason}"


def _cut_message(limit: int, per_file: int) -> str:
    setting = (
        "CONNECTORS_DIFF_MAX_FILE_BYTES" if limit == per_file else "CONNECTORS_DIFF_MAX_TOTAL_BYTES"
    )
    return f"Cut: this file's diff is longer than {_size(limit)} ({setting}); its start is shown."


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count:,} bytes"


def _parse_hunks(diff: bytes) -> list[dict[str, Any]]:
    """A unified diff's hunks: each line with its kind and its old and new line numbers."""
    hunks: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    old = new = 0
    for raw in diff.splitlines():
        match = _HUNK.match(raw)
        if match:
            old, new = int(match[1]), int(match[2])
            lines = []
            hunks.append({"header": raw.decode("utf-8", "replace"), "lines": lines})
            continue
        if not hunks:
            continue  # the file's header (diff --git, index, ---, +++)
        marker, text = raw[:1], raw[1:].decode("utf-8", "replace")
        if marker == b"+":
            lines.append({"kind": "added", "old": None, "new": new, "text": text})
            new += 1
        elif marker == b"-":
            lines.append({"kind": "removed", "old": old, "new": None, "text": text})
            old += 1
        elif marker == b"\\":
            lines.append({"kind": "note", "old": None, "new": None, "text": text.strip()})
        else:
            lines.append({"kind": "context", "old": old, "new": new, "text": text})
            old += 1
            new += 1
    return hunks


# --- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedFinding:
    type: str
    title: str
    message: str
    line: int | None


def place_findings(result: Mapping[str, Any], entries: Iterable[Any]) -> dict[str, Any]:
    """A copy of a comparison whose diff lines carry the findings that point at them.

    ``entries`` are report entries (anything with ``type``, ``title``, ``message``, ``file``
    and ``line``). A finding on a line the diff shows (added or unchanged, in the new file)
    goes on that line; one on another line of a file the diff lists goes in that file's
    ``other_findings``; findings on files the diff does not list are left out.
    """
    placed = copy.deepcopy(dict(result))
    by_file: dict[str, list[PlacedFinding]] = {}
    for entry in entries:
        file = getattr(entry, "file", None)
        if not file:
            continue
        finding = PlacedFinding(
            type=str(getattr(entry, "type", "")),
            title=str(getattr(entry, "title", "")),
            message=str(getattr(entry, "message", "") or ""),
            line=getattr(entry, "line", None),
        )
        by_file.setdefault(file, []).append(finding)
    for file_entry in placed.get("files", []):
        findings = by_file.get(file_entry["path"], [])
        at_lines: dict[int, list[PlacedFinding]] = {}
        for finding in findings:
            if finding.line is not None:
                at_lines.setdefault(finding.line, []).append(finding)
        shown: set[int] = set()
        for hunk in file_entry.get("hunks", []):
            for line in hunk["lines"]:
                number = line.get("new")
                line["findings"] = at_lines.get(number, []) if number is not None else []
                if line["findings"]:
                    shown.add(number)
        file_entry["other_findings"] = [f for f in findings if f.line not in shown]
        file_entry["findings_count"] = len(findings)
    return placed
