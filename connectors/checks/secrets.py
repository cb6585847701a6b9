"""Secret scanning: credentials committed anywhere in the repository.

detect-secrets with its standard plugins, plus one for commercetools API client secrets. The
pattern plugins (private keys, cloud and registry tokens, credentials in URLs) look at every
text file; the high-entropy and keyword plugins only at configuration-like files outside tests
and installed packages (and at environment files anywhere but installed packages), where a
random-looking value is a credential far more often than in code. Lockfiles get the pattern
plugins only: their integrity hashes are random by design.

The hosted service scans for no secrets, so this check has to be right when it speaks:

- Only a secret in what an application deploys (``connectors.checks.scope``, and connect.yaml,
  whose defaults every deployment gets) fails the run. One in tests, fixtures, example
  environment files, documentation, installed packages or a folder no application deploys
  is a Warning naming its file and line, and so is an expired token.
- Values written to be replaced (``your-api-key``, ``<token>``, ``${SECRET}``), sequential or
  repeated characters, low-entropy words and values from vendors' documentation are not
  reported; a JSON Web Token's expiry is read and shown.
- A line marked with detect-secrets' ``pragma: allowlist secret`` is not a finding, but it is
  listed as an Information entry, so a certifier sees what the creator silenced.
- The scan is bounded: files over a size limit are not read, only the start of each very long
  line is scanned and long runs of blanks are cut (they make detect-secrets' expressions
  quadratic), and a time budget stops the scan with a Warning saying how much was left.

A finding names the kind of secret and where it is, never the secret itself.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
import re
import string
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from detect_secrets.core import scan
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.settings import get_plugins, transient_settings
from detect_secrets.transformers import get_transformed_file
from detect_secrets.util.code_snippet import CodeSnippet, get_code_snippet
from django.conf import settings

from connectors.checks.base import CheckContext, CheckOutcome, EntryType, Finding
from connectors.checks.scope import (
    MERCHANT_CENTER_TYPES,
    AnalysisScope,
    Located,
    Placement,
    analysis_scope,
    is_test_path,
    placement_inside_application,
)

DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
DEFAULT_SCAN_SECONDS = 60
# Only the first LINE_SCAN_CHARS characters of a line are scanned. Credentials are short and
# sit near the name they are assigned to; the lines longer than this are minified code and
# embedded data, where detect-secrets' expressions cost time that grows with the square of
# the length of a run of spaces (a 20,000-space line took a second, 40,000 four; see also
# BLANK_RUN_CHARS).
LINE_SCAN_CHARS = 4096
# Longer runs of blanks are cut to this before scanning: secrets hold none, and the time some
# of detect-secrets' expressions take grows with the square of a run's length.
BLANK_RUN_CHARS = 64
_LONG_BLANK = re.compile(r"[^\S\n]{" + str(BLANK_RUN_CHARS + 1) + ",}")
# Larger files are scanned line by line as they are, not as detect-secrets' transformers read
# them: its YAML reading (quoting plain values for the entropy plugins) runs PyYAML's pure
# Python parser, seven seconds a megabyte. connect.yaml itself may not be larger than this.
TRANSFORM_MAX_CHARS = 256 * 1024
BINARY_SNIFF_BYTES = 8192
NAMED_FILES = 5  # files named in an entry about several files; the rest are counted
JWT = "JSON Web Token"
PRIVATE_KEY = "Private Key"
# Environment files that test runners load, beside the example ones scope.py knows.

# Plugins of detect-secrets that match a recognisable format: run on every text file.
PATTERN_PLUGINS = (
    "AWSKeyDetector",
    "ArtifactoryDetector",
    "AzureStorageKeyDetector",
    "BasicAuthDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "GitLabTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
    "CommercetoolsClientSecretDetector",
)
# Plugins that judge by randomness or by a variable's name: configuration-like files only.
CONFIGURATION_PLUGINS = ("Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector")
GENERIC_KINDS = frozenset(
    {"Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword"}
)

FILTERS = (
    # Not detect-secrets' is_line_allowlisted: it drops silenced lines without a trace, and a
    # certifier has to see them. _is_silenced reads the same comments.
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
    "connectors.checks.secrets.is_checksum_field",
    "connectors.checks.secrets.is_inside_an_identifier",
    # Not detect-secrets' is_lock_file: it would skip lockfiles whole, and a registry token
    # in a resolved URL is a real leak. Lockfiles are scanned without entropy plugins instead.
)

LOCKFILES = frozenset(
    {
        "package-lock.json",
        ".package-lock.json",  # npm's copy inside node_modules
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "composer.lock",
        "Gemfile.lock",
        "Cargo.lock",
        "poetry.lock",
        "Pipfile.lock",
        "go.sum",
        "gradle.lockfile",
    }
)
CONFIGURATION_SUFFIXES = frozenset(
    {".env", ".json", ".yaml", ".yml", ".properties", ".ini", ".cfg", ".conf", ".toml"}
)
CONFIGURATION_NAMES = frozenset(
    {".npmrc", ".yarnrc", ".yarnrc.yml", ".env", "settings.xml", "credentials", "Procfile"}
)
BINARY_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".tiff", ".pdf", ".zip",
        ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".war", ".class", ".so", ".dll",
        ".exe", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav",
        ".ogg", ".avi", ".mov", ".wasm", ".node", ".pyc", ".bin", ".dat", ".db", ".sqlite",
    }
)  # fmt: skip

# --- values that are not secrets ----------------------------------------------------------------

# Words that mark a value as one to be replaced, anywhere in it.
PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "changeme",
    "change-me",
    "change_me",
    "changeit",
    "your",
    "xxxx",
    "dummy",
    "sample",
    "redacted",
    "fake",
    "<",
    "${",
    "{{",
)
# Words that values written by hand are made of: "priv_key", "mysecretpassword",
# "secret-1234567890-abcdef..." (with runs and trailing digits, see _is_made_up).
STAND_IN_WORDS = frozenset(
    {
        "admin", "api", "apikey", "app", "auth", "bar", "baz", "client", "default", "demo",
        "dev", "foo", "hello", "id", "key", "letmein", "local", "mock", "my", "none", "null",
        "pass", "passwd", "password", "priv", "private", "pub", "public", "pwd", "qux", "root",
        "secret", "super", "test", "testing", "the", "token", "undefined", "user", "value",
        "world",
    }
)  # fmt: skip
# Values that vendors print in their documentation, usable nowhere.
DOCUMENTATION_VALUES = frozenset(
    {
        # AWS's example access key id and secret access key.
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
)
# The payload of jwt.io's example token (further claims vary between versions of the page).
DOCUMENTATION_JWT_CLAIMS = {"sub": "1234567890", "name": "John Doe"}
# Characters in the order people type them without thinking: alphabets and keyboard rows.
RUNS = (
    string.digits,
    "1234567890",
    string.ascii_lowercase,
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)
LOW_ENTROPY_BITS = 2.5  # per character; generated secrets have 4 and more


def is_dummy_value(secret: str) -> bool:
    """Whether ``secret`` is a value no one could use: a placeholder, a run, a documented one."""
    if secret in DOCUMENTATION_VALUES:
        return True
    lowered = secret.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    if len(set(secret)) <= 4 or _entropy(secret) < LOW_ENTROPY_BITS:
        return True
    return _is_made_up(re.sub(r"[^a-z0-9]", "", lowered))


# Words and spaces: a label or a sentence ("Secret Key", "Enter the API secret key."), such as
# translation files hold under names with "secret" or "password" in them. Only a value found
# by its name or its randomness is judged so; a recognised format is not prose.
_PROSE = re.compile(r"[A-Za-z][A-Za-z'.,:;!?()-]*(?: [A-Za-z'.,:;!?()-]+)+")
MADE_UP_MAX_LENGTH = 128  # longer values are data, not something typed in


def _is_made_up(value: str) -> bool:
    """Whether ``value`` (lower-case letters and digits) is nothing but stand-in words and runs.

    A run is three or more characters typed in order or repeated: ``1234567890abcdef`` is the
    digits row then the alphabet, ``qwerty123`` a keyboard row then digits, ``aaaa1111`` two
    repeats; digits may also end the value (``password2024``). A generated secret is made of
    none of these.
    """
    if not value or len(value) > MADE_UP_MAX_LENGTH:
        return False
    reachable = [False] * (len(value) + 1)
    reachable[0] = True
    for start in range(len(value)):
        if not reachable[start]:
            continue
        if value[start:].isdigit():
            return True
        for length in range(3, _run_length(value, start) + 1):
            reachable[start + length] = True
        for word in STAND_IN_WORDS:
            if value.startswith(word, start):
                reachable[start + len(word)] = True
    return reachable[-1]


def _run_length(value: str, start: int) -> int:
    """The length of the longest run starting at ``start``."""
    repeated = start + 1
    while repeated < len(value) and value[repeated] == value[start]:
        repeated += 1
    longest = repeated - start
    for run in RUNS:
        for sequence in (run, run[::-1]):
            end = start + 1
            while end < len(value) and value[start : end + 1] in sequence:
                end += 1
            longest = max(longest, end - start)
    return longest


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


@dataclass(frozen=True)
class TokenExpiry:
    words: str  # "expired on 2021-03-04", "expires on 2031-03-04" or "no expiry"
    expired: bool


def jwt_expiry(token: str, now: datetime) -> TokenExpiry | None:
    """Read a JSON Web Token's ``exp`` claim without verifying it; None if it cannot be read."""
    claims = _jwt_claims(token)
    if claims is None:
        return None
    expires = claims.get("exp")
    if expires is None:
        return TokenExpiry("no expiry", expired=False)
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    try:
        moment = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    day = moment.date().isoformat()
    if moment <= now:
        return TokenExpiry(f"expired on {day}", expired=True)
    return TokenExpiry(f"expires on {day}", expired=False)


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _is_documentation_jwt(token: str) -> bool:
    claims = _jwt_claims(token)
    return claims is not None and all(
        claims.get(name) == value for name, value in DOCUMENTATION_JWT_CLAIMS.items()
    )


# --- detect-secrets filters and the commercetools plugin ------------------------------------------

# Fields that hold checksums and commit ids, random by nature: "integrity", "gitHead", ...
_CHECKSUM_FIELD = re.compile(
    r"""^\s*["']?(?:integrity|checksum|shasum|gitHead|commit|sha1|sha256|sha512)["']?\s*[:=]""",
    re.IGNORECASE,
)


def is_checksum_field(line: str) -> bool:
    """A detect-secrets filter: lines that set a checksum or commit id field."""
    return bool(_CHECKSUM_FIELD.match(line))


def is_inside_an_identifier(secret: str, line: str, plugin: object = None) -> bool:
    """A detect-secrets filter: a prefixed token that is really the tail of a longer name.

    GitHub's pattern has no start boundary, so a name such as ``laughs_and_...`` reads as a
    ``ghs_`` token; a real token never follows a letter, digit or underscore.
    """
    if getattr(plugin, "secret_type", None) != "GitHub Token":
        return False
    index = line.find(secret)
    return index > 0 and (line[index - 1].isalnum() or line[index - 1] == "_")


class CommercetoolsClientSecretDetector(RegexBasedDetector):
    """commercetools API client secrets: 32 characters after a client-secret name.

    A Merchant Center API client is shown as CTP_CLIENT_ID / CTP_CLIENT_SECRET (and
    clientId / clientSecret in the SDKs' configuration); the secret is 32 characters of
    letters, digits, ``-`` and ``_``. The value may also be on the line after its name, as
    code formatters put long values.
    """

    secret_type = "commercetools API client secret"
    _name = r"(?:ctp|ct|commercetools)?[_\-.]?client[_\-.]?secret"
    _value = r"([A-Za-z0-9_\-]{32})(?![A-Za-z0-9_\-])"
    denylist = (
        re.compile(
            r"(?i)" + _name + r"[\"'`\]]?\s*(?:=|:=|:|=>|\(|,)\s*[\"'`]?" + _value,
        ),
    )
    _name_only = re.compile(r"(?i)" + _name + r"[\"'`\]]?\s*(?:=|:=|:|=>|\(|,)?\s*$")
    _value_only = re.compile(r"^\s*[\"'`]" + _value + r"[\"'`]\s*[,;)]*\s*$")

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for value in super().analyze_string(string):
            if _looks_random(value):
                yield value

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: CodeSnippet | None = None,
        **kwargs: Any,
    ) -> set:
        if context is None:
            return super().analyze_line(
                filename=filename, line=line, line_number=line_number, **kwargs
            )
        found = super().analyze_line(
            filename=filename, line=line, line_number=line_number, context=context, **kwargs
        )
        if found:
            return found
        match = self._value_only.match(line)
        if match and self._name_only.search(context.previous_line.rstrip()):
            joined = f"{context.previous_line.strip()} {line.strip()}"
            return super().analyze_line(
                filename=filename, line=joined, line_number=line_number, context=context, **kwargs
            )
        return found


def _looks_random(value: str) -> bool:
    # Generated secrets mix many characters with digits or both cases; words do not.
    has_digit = any(c.isdigit() for c in value)
    mixed_case = any(c.islower() for c in value) and any(c.isupper() for c in value)
    return len(set(value)) >= 10 and (has_digit or mixed_case) and _entropy(value) >= 3.5


# --- scanning -----------------------------------------------------------------------------------

# detect-secrets' inline suppressions: on the line itself, or a comment line just above it.
_ALLOWLIST_SAME_LINE = re.compile(r"pragma: ?(?:allow|white)list[ -]secret")
_ALLOWLIST_NEXT_LINE = re.compile(r"^\s*(?:#|//|/\*|--|<!--|')\s*pragma: ?allowlist[ -]nextline[ -]secret")  # fmt: skip  # noqa: E501


@dataclass
class SecretLine:
    """What was found on one line: kinds of secret (with a token's expiry), never the values."""

    kinds: set[str] = field(default_factory=set)
    usable: bool = False  # at least one of them is not an expired token
    silenced: bool = False

    def kind(self) -> str:
        """The kinds, the generic ones left out when a plugin recognised the format."""
        specific = self.kinds - GENERIC_KINDS
        return " and ".join(sorted(specific or self.kinds))


@dataclass
class SecretScan:
    """Where possible secrets are, by file (relative to the root, posix) and line."""

    found: dict[tuple[str, int], SecretLine] = field(default_factory=dict)
    files_total: int = 0
    files_scanned: int = 0
    files_not_scanned: list[str] = field(default_factory=list)  # the time budget ran out
    files_skipped_as_large: list[str] = field(default_factory=list)
    files_with_long_lines: list[str] = field(default_factory=list)
    dummy_values: int = 0  # placeholders and documentation values seen and not reported


@dataclass(frozen=True)
class _File:
    path: Path
    relative: str
    configuration: bool  # gets the entropy and keyword plugins too


class _OutOfTime(Exception):
    pass


def scan_repository(
    scope: AnalysisScope,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    seconds: float = DEFAULT_SCAN_SECONDS,
    now: datetime | None = None,
) -> SecretScan:
    """Scan every text file of ``scope``'s checkout, deployed files first, within ``seconds``.

    ``.git``, binaries, symbolic links and files over ``max_file_bytes`` are not read.
    """
    deadline = time.monotonic() + seconds
    root = scope.root
    now = now or datetime.now(UTC)
    result = SecretScan()
    files = _files_in_order(root, scope)
    result.files_total = len(files)
    with _SCAN_LOCK:
        # Custom plugins are looked up by class name in detect-secrets' registry.
        registry: dict[str, type] = get_mapping_from_secret_type_to_class()
        registry[CommercetoolsClientSecretDetector.secret_type] = CommercetoolsClientSecretDetector
        triggers = _pattern_triggers(registry.values())
        done = 0
        try:
            for configuration, group in _runs_by_plugins(files):
                plugins = (
                    PATTERN_PLUGINS + CONFIGURATION_PLUGINS if configuration else PATTERN_PLUGINS
                )
                config = {
                    "plugins_used": [{"name": name} for name in plugins],
                    "filters_used": [{"path": path} for path in FILTERS],
                }
                with transient_settings(config) as detect_settings:
                    # Its list of "non-text" extensions includes .lock; binaries are left out
                    # by looking at their content instead.
                    detect_settings.disable_filters(
                        "detect_secrets.filters.heuristic.is_non_text_file"
                    )
                    for item in group:
                        if time.monotonic() >= deadline:
                            raise _OutOfTime
                        _scan_file(item, result, triggers, max_file_bytes, deadline, now)
                        done += 1
        except _OutOfTime:
            # What the interrupted file gave so far is kept; the file counts as not scanned.
            result.files_not_scanned = [item.relative for item in files[done:]]
    return result


# detect-secrets keeps its configuration in process-wide state.
_SCAN_LOCK = threading.Lock()


def _files_in_order(root: Path, scope: AnalysisScope) -> list[_File]:
    """Every file to scan: deployed ones first, then by plugins, then by path."""
    files: list[tuple[bool, bool, _File]] = []
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        located = scope.locate(relative)
        item = _File(path, relative, _is_configuration(relative, located))
        files.append((located.placement is not Placement.DEPLOYED, not item.configuration, item))
    files.sort(key=lambda entry: (entry[0], entry[1], entry[2].relative))
    return [item for _, _, item in files]


def _runs_by_plugins(files: Iterable[_File]) -> Iterator[tuple[bool, list[_File]]]:
    """Consecutive files that get the same plugins, so detect-secrets is set up once for each."""
    group: list[_File] = []
    for item in files:
        if group and group[0].configuration != item.configuration:
            yield group[0].configuration, group
            group = []
        group.append(item)
    if group:
        yield group[0].configuration, group


def _scan_file(
    item: _File,
    result: SecretScan,
    triggers: list[re.Pattern[str]],
    max_file_bytes: int,
    deadline: float,
    now: datetime,
) -> None:
    text = _text(item, result, max_file_bytes)
    if text is None:
        return
    result.files_scanned += 1
    lines = _lines(text)
    if any(len(line) > LINE_SCAN_CHARS for line in lines):
        result.files_with_long_lines.append(item.relative)
        scanned = "\n".join(line[:LINE_SCAN_CHARS] for line in lines)
    else:
        scanned = text
    scanned = _LONG_BLANK.sub(" " * BLANK_RUN_CHARS, scanned)
    # detect-secrets costs about a third of a millisecond a line; a file in which no
    # pattern plugin's expression matches cannot give the pattern plugins a finding.
    if not item.configuration and not any(trigger.search(scanned) for trigger in triggers):
        return
    filename = str(item.path)
    if scan._is_filtered_out(required_filter_parameters=["filename"], filename=filename):
        return
    dummies: set[tuple[int, str]] = set()
    # The lines as detect-secrets' transformers read the file (YAML values, INI sections) or
    # as they are. Configuration files are also read by its eager transformers, which quote
    # the values of KEY=value lines for the entropy plugins: detect-secrets only tries them
    # when the first reading found nothing, which misses a key beside another secret.
    readings = [_transformed(filename, scanned, eager=False) or _lines(scanned)]
    if item.configuration:
        readings.append(_transformed(filename, scanned, eager=True) or [])
    for reading in readings:
        for secret in _secrets(reading, filename, deadline):
            line = reading[secret.line_number - 1]
            if _is_dummy(secret, line):
                dummies.add((secret.line_number, secret.type))
            else:
                _record(result, item.relative, lines, secret, now)
    result.dummy_values += len(dummies)


def _lines(text: str) -> list[str]:
    """The lines of ``text`` as an editor numbers them (not str.splitlines: it also splits
    at form feeds and Unicode separators)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _transformed(filename: str, text: str, *, eager: bool) -> list[str] | None:
    """The file's lines as detect-secrets' transformers read it, or None if none applies."""
    if len(text) > TRANSFORM_MAX_CHARS:
        return None
    handle = io.StringIO(text)
    handle.name = filename
    lines = get_transformed_file(handle, use_eager_transformers=eager)  # type: ignore[arg-type]
    if not lines:
        return None
    return [line[:LINE_SCAN_CHARS] for line in lines]


def _secrets(lines: list[str], filename: str, deadline: float) -> Iterator[PotentialSecret]:
    """detect-secrets' plugins and filters over ``lines``, looking at the clock as it goes.

    The plugins are called directly: detect-secrets' own per-call argument matching (by
    signature inspection) cost more than the plugins themselves, twenty seconds for a
    1.5 MB file of short lines. Its filters, which only run on what a plugin found, are
    called as detect-secrets calls them.
    """
    plugins = get_plugins()
    for number, raw in enumerate(lines, start=1):
        if number % 256 == 0 and time.monotonic() >= deadline:
            raise _OutOfTime
        line = raw.rstrip()
        context = get_code_snippet(lines=lines, line_number=number)
        if scan._is_filtered_out(
            required_filter_parameters=["line"], filename=filename, line=line, context=context
        ):
            continue
        for plugin in plugins:
            found = plugin.analyze_line(
                filename=filename, line=line, line_number=number, context=context
            )
            for secret in found or ():
                value = secret.secret_value
                if not any(
                    scan._is_filtered_out(
                        required_filter_parameters=[stage],
                        filename=filename,
                        secret=value,
                        plugin=plugin,
                        line=line,
                        context=context,
                    )
                    for stage in ("secret", "context")
                ):
                    yield secret


def _record(
    result: SecretScan,
    relative: str,
    lines: list[str],
    secret: PotentialSecret,
    now: datetime,
) -> None:
    entry = result.found.setdefault((relative, secret.line_number), SecretLine())
    kind = secret.type
    expiry = jwt_expiry(secret.secret_value or "", now) if kind == JWT else None
    if expiry is not None:
        kind = f"{kind}, {expiry.words}"
    entry.kinds.add(kind)
    entry.usable |= expiry is None or not expiry.expired
    entry.silenced |= _is_silenced(lines, secret.line_number)


def _is_dummy(secret: PotentialSecret, line: str) -> bool:
    value = secret.secret_value or ""
    if secret.type == JWT:
        # Judged by its claims: random base64 holds any short word now and then.
        return _is_documentation_jwt(value)
    if secret.type == PRIVATE_KEY:
        return False  # the value is the BEGIN line; the key itself is not judged
    whole = _whole_value(value, line)
    if secret.type in GENERIC_KINDS and _PROSE.fullmatch(whole):
        return True
    return is_dummy_value(whole)


def _whole_value(value: str, line: str) -> str:
    """``value`` with the token characters that follow it on ``line``.

    Some plugins give only the part their expression captures: ``ghp`` for a GitHub token.
    """
    if not value:
        return value
    found = (m.group() for m in re.finditer(re.escape(value) + r"[A-Za-z0-9_\-]*", line))
    return max(found, key=len, default=value)


def _is_silenced(lines: list[str], number: int) -> bool:
    """Whether line ``number`` (from 1) carries, or follows, an allowlist comment."""
    line = lines[number - 1] if number <= len(lines) else ""
    previous = lines[number - 2] if 2 <= number <= len(lines) + 1 else ""
    return bool(
        ("pragma" in line and _ALLOWLIST_SAME_LINE.search(line))
        or ("pragma" in previous and _ALLOWLIST_NEXT_LINE.search(previous))
    )


def _pattern_triggers(plugin_classes: Iterable[type]) -> list[re.Pattern[str]]:
    """The pattern plugins' own expressions, able to match anywhere in a whole file."""
    triggers = []
    for plugin_class in plugin_classes:
        if plugin_class.__name__ in PATTERN_PLUGINS:
            for expression in plugin_class.denylist:  # type: ignore[attr-defined]
                triggers.append(re.compile(expression.pattern, expression.flags | re.MULTILINE))
    return triggers


def _text(item: _File, result: SecretScan, max_file_bytes: int) -> str | None:
    """The file's text, or None for an empty, binary, unreadable or too large file."""
    try:
        size = item.path.stat().st_size
        if size > max_file_bytes:
            result.files_skipped_as_large.append(item.relative)
            return None
        if size == 0 or item.path.suffix.lower() in BINARY_SUFFIXES:
            return None
        data = item.path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace")


def _files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != ".git")
        for name in sorted(files):
            path = Path(folder) / name
            # A link may point outside the checkout; what it points to is not the repository's.
            if not path.is_symlink():
                yield path


def _is_configuration(relative: str, located: Located) -> bool:
    """Whether the file is configuration-like, and not a test's or an installed package's."""
    name = PurePosixPath(relative).name
    # Lockfiles are checksums; installed packages and test data are not the configuration
    # the application runs with, and are full of ids and hashes. Environment and registry
    # files are configuration wherever they are (a test runner's .env.jest too).
    if name in LOCKFILES or name.endswith(".lock") or located.placement is Placement.GENERATED:
        return False
    if name in CONFIGURATION_NAMES or name.startswith(".env"):
        return True
    if located.placement is Placement.TEST or is_test_path(relative):
        return False
    return PurePosixPath(name).suffix.lower() in CONFIGURATION_SUFFIXES


# --- the check ----------------------------------------------------------------------------------

# Why a secret that no application deploys is only a Warning, by where it is.
NOT_DEPLOYED = {
    Placement.TEST: "in a test or its data",
    Placement.EXAMPLE: "in an example environment file or documentation",
    Placement.GENERATED: "in installed packages or build output",
    Placement.OUTSIDE: "in a folder no application deploys",
}


class SecretCheck:
    name = "Secret scanning"

    def run(self, context: CheckContext) -> CheckOutcome:
        scope = analysis_scope(context)
        max_file_bytes = int(
            getattr(settings, "CONNECTORS_SECRET_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
        )
        seconds = float(getattr(settings, "CONNECTORS_SECRET_SCAN_SECONDS", DEFAULT_SCAN_SECONDS))
        result = scan_repository(scope, max_file_bytes=max_file_bytes, seconds=seconds)
        findings = sorted(
            (
                _finding(scope, relative, line, found)
                for (relative, line), found in result.found.items()
            ),
            key=lambda f: (SEVERITY[f.type], f.file or "", f.line or 0),
        )
        findings += _scan_notes(result, max_file_bytes, seconds)
        failed = any(f.type == "Error" for f in findings)
        return CheckOutcome(
            status="failed" if failed else "succeeded",
            findings=findings,
            summary=_summary(result, findings, seconds),
        )


SEVERITY: dict[EntryType, int] = {"Error": 0, "Warning": 1, "Information": 2}


def _finding(scope: AnalysisScope, relative: str, line: int, found: SecretLine) -> Finding:
    located = scope.locate(relative)
    kind = found.kind()
    where = (
        f"{located.application}: {located.label}:{line}"
        if located.application
        else f"{located.label}:{line}"
    )

    def made(type: EntryType, message: str) -> Finding:
        return Finding(type, message, application=located.application, file=relative, line=line)

    if found.silenced:
        # The creator marked the line as no secret; the certifier still sees that they did.
        return made("Information", f"silenced in source: {relative}:{line} ({kind}).")
    if located.placement is not Placement.DEPLOYED:
        return made(
            "Warning",
            f"{where}: possible secret ({kind}) {_not_deployed(located, relative)}: it is not "
            "deployed, so the run does not fail, but anyone who can read the repository can "
            "use it. If it is a real credential, revoke it; if it is made up, mark its line "
            "with a 'pragma: allowlist secret' comment.",
        )
    if not found.usable:
        # Every secret on the line is a token past its expiry: it opens nothing any more, so
        # it does not fail the run; its claims are still readable, so it is still shown.
        return made(
            "Warning",
            f"{where}: expired token committed ({kind}). It can no longer be used, but "
            "its claims can be read: remove it from the repository.",
        )
    shipped = ""
    if _application_type(scope, located.application) in MERCHANT_CENTER_TYPES:
        shipped = " A Merchant Center application's source is sent to every user's browser."
    return made(
        "Error",
        f"{where}: possible secret committed ({kind}).{shipped} Remove it from the "
        "repository and its history, revoke and replace it, and give it to the application "
        "at run time as a secured configuration value (securedConfiguration in connect.yaml).",
    )


def _not_deployed(located: Located, relative: str) -> str:
    """Where a file no application deploys is, in words."""
    placement = located.placement
    if placement is Placement.OUTSIDE:
        # Outside every application, a test or a README is still better called so.
        inner = placement_inside_application(relative)
        placement = inner if inner is not Placement.DEPLOYED else placement
    return NOT_DEPLOYED[placement]


def _application_type(scope: AnalysisScope, name: str | None) -> str | None:
    return next((a.type for a in scope.applications if a.name == name), None)


def _scan_notes(result: SecretScan, max_file_bytes: int, seconds: float) -> list[Finding]:
    """Entries about what was not scanned, or not in full."""
    notes: list[Finding] = []
    if result.files_not_scanned:
        notes.append(
            Finding(
                "Warning",
                f"The {seconds:g} s time budget for secret scanning ran out: "
                f"{len(result.files_not_scanned)} file(s) were not scanned "
                f"({_some(result.files_not_scanned)}). Deployed files are scanned first.",
            )
        )
    if result.files_skipped_as_large:
        notes.append(
            Finding(
                "Information",
                f"{len(result.files_skipped_as_large)} file(s) over {_size(max_file_bytes)} "
                f"were not scanned: {_some(result.files_skipped_as_large)}.",
            )
        )
    if result.files_with_long_lines:
        notes.append(
            Finding(
                "Information",
                f"{len(result.files_with_long_lines)} file(s) have lines longer than "
                f"{LINE_SCAN_CHARS:,} characters (minified or embedded data); only the start of "
                f"each such line was scanned: {_some(result.files_with_long_lines)}.",
            )
        )
    return notes


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_FILES])
    return shown if len(names) <= NAMED_FILES else f"{shown} and {len(names) - NAMED_FILES} more"


def _size(count: int) -> str:
    mebibytes = count / (1024 * 1024)
    return f"{mebibytes:g} MiB" if mebibytes >= 1 else f"{count // 1024:,} KiB"


def _summary(result: SecretScan, findings: list[Finding], seconds: float) -> str:
    counted = Counter(f.type for f in findings if f.line is not None)
    scanned = (
        f"Scanned {result.files_scanned} of {result.files_total} files before the time ran out"
        if result.files_not_scanned
        else f"Scanned {result.files_scanned} files"
    )
    parts = []
    if counted["Error"]:
        parts.append(f"{counted['Error']} possible secret(s) in deployed source")
    if counted["Warning"]:
        parts.append(f"{counted['Warning']} outside deployed source or expired (warnings)")
    if counted["Information"]:
        parts.append(f"{counted['Information']} silenced in source")
    text = f"{scanned}: " + (", ".join(parts) if parts else "no secrets found") + "."
    if result.dummy_values:
        text += f" {result.dummy_values} placeholder or example value(s) not reported."
    if counted["Error"] or counted["Warning"]:
        text += (
            " Mark a value that is not a secret with a 'pragma: allowlist secret' comment on "
            "its line; certifiers see every silenced line."
        )
    return text
