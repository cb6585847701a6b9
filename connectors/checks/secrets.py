"""Secret scanning: credentials committed anywhere in the repository.

detect-secrets with its standard plugins, plus one for commercetools API client secrets. The
pattern plugins (private keys, cloud and registry tokens, credentials in URLs) look at every
text file; the high-entropy and keyword plugins only at configuration-like files, where a
random-looking value is a credential far more often than in code. Lockfiles get the pattern
plugins only: their integrity hashes are random by design.

A finding names the kind of secret and where it is, never the secret itself.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detect_secrets.core import scan
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.settings import transient_settings
from detect_secrets.util.code_snippet import CodeSnippet

from connectors.checks.base import Application, CheckContext, CheckOutcome, Finding

MAX_FILE_BYTES = 2 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192

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

FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
    "connectors.checks.secrets.is_placeholder",
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
NON_CONFIGURATION_FOLDERS = frozenset(
    {"node_modules", "test", "tests", "__tests__", "__fixtures__", "fixtures", "__mocks__", "mocks"}
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
PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "changeme",
    "change-me",
    "change_me",
    "your",
    "xxxx",
    "dummy",
    "sample",
    "redacted",
    "<",
    "fake",
)

# Fields that hold checksums and commit ids, random by nature: "integrity", "gitHead", ...
_CHECKSUM_FIELD = re.compile(
    r"""^\s*["']?(?:integrity|checksum|shasum|gitHead|commit|sha1|sha256|sha512)["']?\s*[:=]""",
    re.IGNORECASE,
)

# detect-secrets keeps its configuration in process-wide state.
_SCAN_LOCK = threading.Lock()


def is_placeholder(secret: str) -> bool:
    """A detect-secrets filter: values written to be replaced, as in ``.env.example``."""
    lowered = secret.lower()
    return any(word in lowered for word in PLACEHOLDER_WORDS)


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


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


@dataclass
class SecretScan:
    """Where possible secrets are, by file (relative to the root) and line: their kinds only."""

    found: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    files_scanned: int = 0
    files_skipped_as_large: list[str] = field(default_factory=list)


def scan_repository(root: Path) -> SecretScan:
    """Scan every text file under ``root`` except ``.git``, binaries and files too large."""
    result = SecretScan()
    configuration: list[Path] = []
    other: list[Path] = []
    with _SCAN_LOCK:
        # Custom plugins are looked up by class name in detect-secrets' registry.
        registry: dict[str, type] = get_mapping_from_secret_type_to_class()
        registry[CommercetoolsClientSecretDetector.secret_type] = CommercetoolsClientSecretDetector
        triggers = _pattern_triggers(registry.values())
        for path in _files(root):
            text = _text(path, root, result)
            if text is None:
                continue
            result.files_scanned += 1
            if _is_configuration(path.relative_to(root)):
                configuration.append(path)
            elif any(trigger.search(text) for trigger in triggers):
                # detect-secrets costs about a third of a millisecond a line; a file in
                # which no pattern plugin's expression matches cannot give it a finding.
                other.append(path)

        found: dict[tuple[str, int], set[str]] = defaultdict(set)
        for plugins, paths in (
            (PATTERN_PLUGINS + CONFIGURATION_PLUGINS, configuration),
            (PATTERN_PLUGINS, other),
        ):
            if not paths:
                continue
            config = {
                "plugins_used": [{"name": name} for name in plugins],
                "filters_used": [{"path": path} for path in FILTERS],
            }
            with transient_settings(config) as settings:
                # Its list of "non-text" extensions includes .lock; binaries are left out
                # by looking at their content instead.
                settings.disable_filters("detect_secrets.filters.heuristic.is_non_text_file")
                for path in paths:
                    relative = path.relative_to(root).as_posix()
                    for secret in scan.scan_file(str(path)):
                        found[(relative, secret.line_number)].add(secret.type)
    result.found = dict(found)
    return result


def _pattern_triggers(plugin_classes: Iterable[type]) -> list[re.Pattern[str]]:
    """The pattern plugins' own expressions, able to match anywhere in a whole file."""
    triggers = []
    for plugin_class in plugin_classes:
        if plugin_class.__name__ in PATTERN_PLUGINS:
            for expression in plugin_class.denylist:  # type: ignore[attr-defined]
                triggers.append(re.compile(expression.pattern, expression.flags | re.MULTILINE))
    return triggers


def _text(path: Path, root: Path, result: SecretScan) -> str | None:
    """The file's text, or None for an empty, binary, unreadable or too large file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            result.files_skipped_as_large.append(path.relative_to(root).as_posix())
            return None
        if size == 0 or path.suffix.lower() in BINARY_SUFFIXES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace")


def _files(root: Path) -> Iterable[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != ".git")
        for name in sorted(files):
            path = Path(folder) / name
            # A link may point outside the checkout; what it points to is not the repository's.
            if not path.is_symlink():
                yield path


def _is_configuration(path: Path) -> bool:
    """Whether ``path`` (relative to the repository) is a configuration-like file."""
    name = path.name
    # Lockfiles are checksums; installed packages and test data are not the configuration
    # the application runs with, and are full of ids and hashes.
    if (
        name in LOCKFILES
        or name.endswith(".lock")
        or not NON_CONFIGURATION_FOLDERS.isdisjoint(path.parts[:-1])
    ):
        return False
    return (
        name in CONFIGURATION_NAMES
        or name.startswith(".env")
        or path.suffix.lower() in CONFIGURATION_SUFFIXES
    )


class SecretCheck:
    name = "Secret scanning"

    def run(self, context: CheckContext) -> CheckOutcome:
        result = scan_repository(context.root)
        findings = [
            _finding(context.root, context.applications, relative, line, kinds)
            for (relative, line), kinds in sorted(result.found.items())
        ]
        files = len({relative for relative, _ in result.found})
        summary = f"Scanned {result.files_scanned} files: "
        if findings:
            summary += (
                f"{len(findings)} possible secret(s) in {files} file(s). Mark a value that is "
                "not a secret with a 'pragma: allowlist secret' comment on its line."
            )
        else:
            summary += "no secrets found."
        if result.files_skipped_as_large:
            summary += (
                f" {len(result.files_skipped_as_large)} file(s) over "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB not scanned: "
                + ", ".join(result.files_skipped_as_large[:5])
                + "."
            )
        return CheckOutcome(
            status="failed" if findings else "succeeded", findings=findings, summary=summary
        )


def _finding(
    root: Path, applications: list[Application], relative: str, line: int, kinds: set[str]
) -> Finding:
    application, label = _owner(root, applications, relative)
    kind = " and ".join(sorted(kinds))
    where = f"{application}: {label}:{line}" if application else f"{label}:{line}"
    return Finding(
        type="Error",
        message=(
            f"{where}: possible secret committed ({kind}). Remove it from the repository and "
            "its history, revoke and replace it, and give it to the application at run time "
            "as a secured configuration value (securedConfiguration in connect.yaml)."
        ),
        application=application,
        file=relative,
        line=line,
    )


def _owner(root: Path, applications: list[Application], relative: str) -> tuple[str | None, str]:
    """The application whose folder holds the file, and the file's path inside it."""
    resolved_root = root.resolve()
    best: tuple[str | None, str] = (None, relative)
    best_depth = -1
    for application in applications:
        folder = application.path if application.path.is_absolute() else root / application.path
        try:
            prefix = folder.resolve().relative_to(resolved_root).as_posix()
        except ValueError:
            continue
        depth = prefix.count("/")
        if relative.startswith(prefix + "/") and depth > best_depth:
            best, best_depth = (application.name, relative[len(prefix) + 1 :]), depth
    return best
