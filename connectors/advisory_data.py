"""Importing OSV advisory data into the database, ahead of the runs that read it.

A source is the URL or path of an OSV export zip (OSV publishes one per ecosystem,
``<ecosystem>/all.zip``: one ``<ID>.json`` record per file) or a folder of OSV JSON files
(any depth), for air-gapped installs. Records are read one at a time and written in batches:

- only npm and Maven packages are kept (records naming neither are ignored);
- a record not newer (``modified``) than the stored one is left alone, so a daily sync of
  the same export mostly reads;
- a withdrawn record is dropped, and deleted if it was stored;
- ``MAL-`` records (known-malicious packages) are kept like the others.

Every sync of a source leaves an ``AdvisorySync`` row: when, what changed, the newest
``modified`` it saw (how old the data is) or the one-line error that stopped it.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .checks.advisories import (
    ECOSYSTEMS,
    Advisory,
    advisory_sources,
    osv_ecosystem,
    source_label,
)
from .models import AdvisorySync, OsvAdvisory, OsvAdvisoryPackage

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_RECORD_BYTES = 4 * 1024 * 1024  # the largest real records are a few hundred KiB
DOWNLOAD_TIMEOUT_SECONDS = 60.0  # for each network read, not the whole download
COPY_CHUNK_BYTES = 1024 * 1024
MAX_NAME_LENGTH = OsvAdvisoryPackage._meta.get_field("name").max_length or 512
MAX_ID_LENGTH = OsvAdvisory._meta.get_field("id").max_length or 128
COUNTS = ("added", "updated", "unchanged", "removed", "withdrawn", "ignored", "invalid")
_FRACTION = re.compile(r"(\.\d{6})\d+")


class AdvisorySyncError(Exception):
    """A source could not be read: an unreachable URL, a broken zip, a missing folder."""


@dataclass
class SyncResult:
    source: str
    counts: Counter[str] = field(default_factory=Counter)
    newest_modified: datetime | None = None
    error: str = ""  # empty when the sync succeeded

    def __str__(self) -> str:
        if self.error:
            return self.error
        c = self.counts
        newest = f"{self.newest_modified:%Y-%m-%dT%H:%M:%SZ}" if self.newest_modified else "none"
        return (
            f"{self.source}: {c['added']} added, {c['updated']} updated, "
            f"{c['unchanged']} unchanged, {c['removed']} removed; skipped {c['withdrawn']} "
            f"withdrawn, {c['ignored']} of other ecosystems, {c['invalid']} unreadable; "
            f"newest record modified {newest}"
        )


def sync_configured_sources() -> list[SyncResult]:
    """Sync every source ``CONNECTORS_ADVISORY_SOURCE`` lists, and log how each went."""
    results = sync_advisories(advisory_sources(settings.CONNECTORS_ADVISORY_SOURCE))
    for result in results:
        logger.log(logging.WARNING if result.error else logging.INFO, "Advisory sync: %s", result)
    return results


def sync_advisories(
    sources: Iterable[str], *, timeout: float = DOWNLOAD_TIMEOUT_SECONDS
) -> list[SyncResult]:
    """Import each source in turn; one that fails does not stop the others.

    Writes the advisory tables in batches (each batch in its own transaction) and one
    ``AdvisorySync`` row per source. A failed source keeps what it had already imported:
    every stored record is whole, and its log row carries the error, so the data's age
    does not advance.
    """
    return [_sync_source(source_label(source), timeout=timeout) for source in sources]


def _sync_source(source: str, *, timeout: float) -> SyncResult:
    log = AdvisorySync.objects.create(source=source, started_at=timezone.now())
    importer = _Importer()
    error = ""
    try:
        for name, raw in _records(source, timeout=timeout):
            importer.add(name, raw)
        importer.flush()
    except AdvisorySyncError as exc:
        error = _one_line(str(exc))
    except Exception as exc:
        error = _one_line(f"{source}: the sync stopped: {type(exc).__name__}: {exc}")
        raise
    finally:
        AdvisorySync.objects.filter(id=log.id).update(
            finished_at=timezone.now(),
            counts={name: importer.counts[name] for name in COUNTS},
            newest_modified=importer.newest,
            error=error,
        )
    return SyncResult(source, importer.counts, importer.newest, error)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- reading a source ------------------------------------------------------------------------

Record = tuple[str, bytes | None]  # (name inside the source, contents; None if unreadable)


def _records(source: str, *, timeout: float) -> Iterator[Record]:
    if "://" in source:
        yield from _download_records(source, timeout=timeout)
        return
    path = Path(source)
    if path.is_dir():
        yield from _folder_records(path)
    elif path.is_file():
        with path.open("rb") as file:
            yield from _zip_records(source, file)
    else:
        raise AdvisorySyncError(f"{source}: no such file or folder")


def _download_records(url: str, *, timeout: float) -> Iterator[Record]:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise AdvisorySyncError(f"{url}: not an http(s) URL")
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        raise AdvisorySyncError(f"{url}: advisory data must be downloaded over https")
    request = urllib.request.Request(url, headers={"User-Agent": "connector-workbench"})
    # Downloaded to a temporary file (removed when closed): a zip is read from its end.
    with tempfile.TemporaryFile() as file:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                shutil.copyfileobj(response, file, COPY_CHUNK_BYTES)
        except urllib.error.HTTPError as exc:
            raise AdvisorySyncError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise AdvisorySyncError(f"{url}: cannot be reached ({exc.reason})") from exc
        except (http.client.HTTPException, OSError) as exc:
            raise AdvisorySyncError(f"{url}: the download failed ({exc})") from exc
        file.seek(0)
        yield from _zip_records(url, file)


def _zip_records(source: str, file: IO[bytes]) -> Iterator[Record]:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AdvisorySyncError(f"{source}: not a readable zip file ({exc})") from exc
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_RECORD_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise AdvisorySyncError(f"{source}: broken zip at {info.filename} ({exc})") from exc
            yield info.filename, data if len(data) <= MAX_RECORD_BYTES else None


def _folder_records(folder: Path) -> Iterator[Record]:
    for path in sorted(folder.rglob("*.json")):
        if not path.is_file():
            continue
        try:
            too_big = path.stat().st_size > MAX_RECORD_BYTES
            yield str(path), None if too_big else path.read_bytes()
        except OSError:
            yield str(path), None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- writing ---------------------------------------------------------------------------------


class _Importer:
    """Collects records into batches and writes each batch with a few bulk statements."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.newest: datetime | None = None
        # id -> (modified, what to store, or None: it must not be stored)
        self.pending: dict[str, tuple[datetime, OsvAdvisory | None]] = {}

    def add(self, name: str, raw: bytes | None) -> None:
        record = _parse(raw)
        if record is None:
            self.counts["invalid"] += 1
            logger.warning("Skipping unreadable advisory record %s", name)
            return
        advisory_id, modified = record["id"], record["modified"]
        if self.newest is None or modified > self.newest:
            self.newest = modified
        keep = None
        if record.get("withdrawn"):
            self.counts["withdrawn"] += 1
        elif (row := _row(record, modified)).affected:
            keep = row
        else:
            self.counts["ignored"] += 1
        earlier = self.pending.get(advisory_id)
        if earlier is None or earlier[0] <= modified:
            self.pending[advisory_id] = (modified, keep)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        stored = dict(
            OsvAdvisory.objects.filter(id__in=list(self.pending)).values_list("id", "modified")
        )
        rows: list[OsvAdvisory] = []
        packages: list[OsvAdvisoryPackage] = []
        replaced: list[str] = []
        removed: list[str] = []
        for advisory_id, (modified, row) in self.pending.items():
            known = stored.get(advisory_id)
            if row is None:
                if known is not None:
                    removed.append(advisory_id)
                continue
            if known is not None and known >= modified:
                self.counts["unchanged"] += 1
                continue
            self.counts["updated" if known is not None else "added"] += 1
            if known is not None:
                replaced.append(advisory_id)
            rows.append(row)
            packages += [
                OsvAdvisoryPackage(advisory_id=advisory_id, ecosystem=ecosystem, name=name)
                for ecosystem, name in sorted(_package_names(row))
            ]
        with transaction.atomic():
            if removed:
                deleted = OsvAdvisory.objects.filter(id__in=removed).delete()[1]
                self.counts["removed"] += deleted.get(OsvAdvisory._meta.label, 0)
            if replaced:
                OsvAdvisoryPackage.objects.filter(advisory_id__in=replaced).delete()
            OsvAdvisory.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["id"],
                update_fields=[
                    "aliases",
                    "summary",
                    "severity",
                    "severity_known",
                    "modified",
                    "published",
                    "affected",
                ],
            )
            OsvAdvisoryPackage.objects.bulk_create(packages, ignore_conflicts=True)
        self.pending.clear()


def _row(record: dict[str, Any], modified: datetime) -> OsvAdvisory:
    """The row to store; its ``affected`` keeps only the npm and Maven entries."""
    advisory = Advisory.from_osv(record)
    affected = [
        entry
        for entry in advisory.affected
        if osv_ecosystem(str((entry.get("package") or {}).get("ecosystem", ""))) in ECOSYSTEMS
    ]
    return OsvAdvisory(
        id=advisory.id,
        aliases=list(advisory.aliases),
        summary=advisory.summary,
        severity=advisory.severity,
        severity_known=advisory.severity_known,
        modified=modified,
        published=_timestamp(record.get("published")),
        affected=affected,
    )


def _package_names(row: OsvAdvisory) -> set[tuple[str, str]]:
    packages = Advisory.from_row(row).packages()
    return {(ecosystem, name) for ecosystem, name in packages if len(name) <= MAX_NAME_LENGTH}


def _parse(raw: bytes | None) -> dict[str, Any] | None:
    """The record with ``modified`` parsed, or None if it is not a usable OSV record."""
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    advisory_id = record.get("id")
    modified = _timestamp(record.get("modified"))
    if not isinstance(advisory_id, str) or not 0 < len(advisory_id) <= MAX_ID_LENGTH:
        return None
    if modified is None:
        return None
    return {**record, "modified": modified}


def _timestamp(value: Any) -> datetime | None:
    """An OSV (RFC 3339) timestamp; nanoseconds are cut to what ``datetime`` holds."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
