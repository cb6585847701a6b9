"""The strict level: every rule of the official CLI's connect.yaml parser, schema v1.

The verdict and the messages must be the ones ``@commercetools-connect/specification``
gives, so this follows the way its schema library reports problems:

- each node is checked field by field, in the schema's field order, and unknown keys are
  reported after the known fields, on the object itself;
- a wrong type (or a missing required field) makes a node *unusable*; any other problem
  (a bad pattern, a number out of range, an unknown key) leaves it *usable*;
- the checks that look across fields or applications (duplicates, Merchant Center keys)
  run only on nodes whose parts are all usable, after the problems found inside them.

The corpus in tests/connectors/spec/corpus, with the official verdict of every file,
is what keeps this honest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .jsvalues import JS_PROTOTYPE_NAMES, js_is_integer, js_key_order, js_trim, js_type
from .loader import MAX_BYTES, LoadedSpec, Pointer, SpecFileError, load_spec_document

ROOT_LABEL = "file content"  # what the official parser prints for the file as a whole


@dataclass(frozen=True)
class SpecError:
    """One problem: a dotted path (empty for the whole file) and a message.

    ``line`` is where the problem is in connect.yaml, when the file was given as text.
    It is not part of the problem's identity.
    """

    path: str
    message: str
    line: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"[{self.path or ROOT_LABEL}]: {self.message}"


def validate_specification(data: bytes | str | Any) -> list[SpecError]:
    """The problems the official parser finds in connect.yaml; empty when it is valid.

    ``data`` is the file's content (bytes or text), or a value already loaded with
    ``connectors.spec.loader``. A file that is not readable YAML gives one error for the
    whole file.
    """
    if isinstance(data, bytes | bytearray | memoryview | str):
        try:
            loaded = load_spec_document(bytes(data) if not isinstance(data, str) else data)
        except SpecFileError as error:
            return [SpecError("", str(error), error.line)]
    elif isinstance(data, LoadedSpec):
        loaded = data
    else:
        loaded = LoadedSpec(data)
    findings = _Findings()
    _specification(loaded.value, findings)
    return [
        SpecError(_dotted(item.path), item.message, loaded.line_of(item.pointer))
        for item in findings.items
    ]


# The checking machinery -----------------------------------------------------------------

MISSING: Any = object()  # a field that is absent (a key with no value is None, not this)


@dataclass(frozen=True)
class _Finding:
    path: Pointer
    message: str
    pointer: Pointer  # the most precise node to show the creator


class _Findings:
    def __init__(self) -> None:
        self.items: list[_Finding] = []

    def add(self, path: Pointer, message: str, *, pointer: Pointer | None = None) -> None:
        self.items.append(_Finding(path, message, path if pointer is None else pointer))


# A check reports into findings and says whether the node is usable for later checks.
Check = Callable[[Any, Pointer, _Findings], bool]


@dataclass(frozen=True)
class _Field:
    name: str
    check: Check
    required: bool = True


def _dotted(path: Pointer) -> str:
    return ".".join(str(part) for part in path)


def _has_type(value: Any, expected: str, path: Pointer, out: _Findings) -> bool:
    if value is MISSING:
        out.add(path, "Required")
        return False
    actual = js_type(value)
    if actual != expected:
        out.add(path, f"Expected {expected}, received {actual}")
        return False
    return True


def _strict_object(fields: Iterable[_Field]) -> Check:
    """An object with these fields and no others."""
    fields = tuple(fields)
    names = {each.name for each in fields}

    def check(value: Any, path: Pointer, out: _Findings) -> bool:
        if not _has_type(value, "object", path, out):
            return False
        usable = True
        for each in fields:
            item = value.get(each.name, MISSING)
            if item is MISSING and not each.required:
                continue
            usable = each.check(item, (*path, each.name), out) and usable
        unknown = [key for key in js_key_order(map(str, value)) if key not in names]
        if unknown:
            listed = ", ".join(f"'{key}'" for key in unknown)
            out.add(path, f"Unrecognized key(s) in object: {listed}", pointer=(*path, unknown[0]))
        return usable

    return check


def _list_of(item_check: Check, *, min_items: int = 0) -> Check:
    def check(value: Any, path: Pointer, out: _Findings) -> bool:
        if not _has_type(value, "array", path, out):
            return False
        if len(value) < min_items:
            out.add(path, f"Array must contain at least {min_items} element(s)")
        usable = True
        for index, item in enumerate(value):
            usable = item_check(item, (*path, index), out) and usable
        return usable

    return check


def _any(value: Any, path: Pointer, out: _Findings) -> bool:
    """A field whose value chose the schema (a discriminator): nothing left to check."""
    return True


# Scalars --------------------------------------------------------------------------------


def _boolean(value: Any, path: Pointer, out: _Findings) -> bool:
    return _has_type(value, "boolean", path, out)


def _non_empty(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _has_type(value, "string", path, out):
        return False
    if value == "":
        out.add(path, "String must contain at least 1 character(s)")
    return True


def _not_blank(label: str) -> Check:
    """A non-empty string that is not only whitespace (an empty one is reported once)."""

    def check(value: Any, path: Pointer, out: _Findings) -> bool:
        if not _non_empty(value, path, out):
            return False
        if value != "" and js_trim(value) == "":
            out.add(path, f"{label} cannot be only whitespace")
        return True

    return check


def _application_name(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _has_type(value, "string", path, out):
        return False
    if not rules.APPLICATION_NAME.fullmatch(value):
        out.add(path, "Invalid")
    return True


def _endpoint(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _has_type(value, "string", path, out):
        return False
    if not rules.ENDPOINT.fullmatch(value):
        out.add(path, "Invalid")
    if "//" in value:
        out.add(path, "Double slashes are not allowed")
    return True


def _schedule(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _has_type(value, "string", path, out):
        return False
    if not rules.CRON.search(value):
        out.add(
            path,
            "Please provide a valid cron schedule string following the specified format. "
            "For example, for daily, you can use '@daily' or the cron expression '0 0 * * *'.",
        )
    return True


def _whole_number(low: int, high: int) -> Check:
    def check(value: Any, path: Pointer, out: _Findings) -> bool:
        if not _has_type(value, "number", path, out):
            return False
        if not js_is_integer(value):
            out.add(path, "Expected integer, received float")
        if value < low:
            out.add(path, f"Number must be greater than or equal to {low}")
        if value > high:
            out.add(path, f"Number must be less than or equal to {high}")
        return True

    return check


def _configuration_key(*, secured: bool) -> Check:
    def check(value: Any, path: Pointer, out: _Findings) -> bool:
        if not _has_type(value, "string", path, out):
            return False
        if rules.RESERVED_KEY.fullmatch(value):
            out.add(path, f'Key "{value}" is a reserved word')
        if not rules.CONFIGURATION_KEY.fullmatch(value):
            blank = js_trim(value) == ""
            # The official schema words the two cases the other way round for secured
            # keys; the messages are kept exactly, quirk included.
            quote_it = blank if secured else not blank
            out.add(
                path,
                f'Invalid configuration key: "{value}"'
                if quote_it
                else "Invalid configuration key",
            )
        return True

    return check


# Configuration --------------------------------------------------------------------------

_description = _not_blank("Description")

_standard_entry = _strict_object(
    [
        _Field("key", _configuration_key(secured=False)),
        _Field("description", _description),
        _Field("required", _boolean, required=False),
        _Field("default", _not_blank("Default value"), required=False),
    ]
)
_secured_entry = _strict_object(
    [
        _Field("key", _configuration_key(secured=True)),
        _Field("description", _description),
        _Field("required", _boolean, required=False),
    ]
)
_configuration_fields = _strict_object(
    [
        _Field("standardConfiguration", _list_of(_standard_entry), required=False),
        _Field("securedConfiguration", _list_of(_secured_entry), required=False),
    ]
)


def _entries(configuration: Mapping[str, Any] | None, *, which: str) -> list[tuple[int, dict]]:
    """(index, entry) of one list of a usable configuration."""
    if not configuration:
        return []
    return list(enumerate(configuration.get(which) or []))


def _configuration(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _configuration_fields(value, path, out):
        return False
    located = [
        ((*path, which, index), entry["key"])
        for which in ("standardConfiguration", "securedConfiguration")
        for index, entry in _entries(value, which=which)
    ]
    # Named in the order their second occurrence appears, as the official check lists them.
    seen: set[str] = set()
    repeated: dict[str, Pointer] = {}
    for where, key in located:
        if key in seen:
            repeated.setdefault(key, where)
        seen.add(key)
    if repeated:
        first = next(iter(repeated.values()))
        out.add(path, f"Duplicate key found {', '.join(repeated)}", pointer=first)
    return True


# Applications ---------------------------------------------------------------------------

_scripts = _strict_object(
    [
        _Field("postDeploy", _not_blank("postDeploy value"), required=False),
        _Field("preUndeploy", _not_blank("preUndeploy value"), required=False),
    ]
)
_health_check = _strict_object(
    [
        _Field("path", _endpoint),
        _Field("intervalSeconds", _whole_number(1, 20), required=False),
        _Field("timeoutSeconds", _whole_number(1, 20), required=False),
        _Field("unhealthyThreshold", _whole_number(1, 20), required=False),
    ]
)
_RETRY_STRATEGIES = {
    "exponential-backoff": _strict_object(
        [
            _Field("strategy", _any),
            _Field("minBackoffSeconds", _whole_number(1, 600)),
            _Field("maxBackoffSeconds", _whole_number(1, 600)),
            _Field("maxAttempts", _whole_number(5, 100), required=False),
        ]
    ),
    "immediate": _strict_object([_Field("strategy", _any)]),
}


def _one_of(options: Mapping[str, Check], discriminator: str) -> tuple[Callable, str]:
    expected = " | ".join(f"'{option}'" for option in options)
    message = f"Invalid discriminator value. Expected {expected}"

    def choose(value: Any) -> Check | None:
        chosen = value.get(discriminator, MISSING)
        return options.get(chosen) if isinstance(chosen, str) else None

    return choose, message


_choose_strategy, _bad_strategy = _one_of(_RETRY_STRATEGIES, "strategy")


def _one_shape(value: Any, path: Pointer, out: _Findings, choose: Any, tag: str, bad: str) -> bool:
    """An object whose ``tag`` picks its shape: report a bad tag, else check that shape."""
    if not _has_type(value, "object", path, out):
        return False
    shape = choose(value)
    if shape is None:
        out.add((*path, tag), bad)
        return False
    return bool(shape(value, path, out))


def _retry_policy(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _one_shape(value, path, out, _choose_strategy, "strategy", _bad_strategy):
        return False
    if value["strategy"] == "exponential-backoff" and not (
        value["minBackoffSeconds"] <= value["maxBackoffSeconds"]
    ):
        out.add(
            (*path, "minBackoffSeconds"),
            "minBackoffSeconds must be less than or equal to maxBackoffSeconds",
        )
    return True


def _application_fields(*, endpoint: bool, extra: Iterable[_Field] = ()) -> Check:
    """The common application fields, in the official schema's order, then the type's own."""
    fields = [_Field("name", _application_name)]
    if endpoint:
        fields.append(_Field("endpoint", _endpoint))
    fields += [
        _Field("configuration", _configuration, required=False),
        _Field("scripts", _scripts, required=False),
        _Field("applicationType", _any),
        *extra,
    ]
    return _strict_object(fields)


_APPLICATION_SHAPES: dict[str, Check] = {
    rules.SERVICE: _application_fields(
        endpoint=True, extra=[_Field("healthCheck", _health_check, required=False)]
    ),
    rules.EVENT: _application_fields(
        endpoint=True,
        extra=[
            _Field("healthCheck", _health_check, required=False),
            _Field("retryPolicy", _retry_policy, required=False),
        ],
    ),
    rules.JOB: _application_fields(
        endpoint=True,
        extra=[_Field("properties", _strict_object([_Field("schedule", _schedule)]))],
    ),
    rules.ASSETS: _strict_object(
        [_Field("name", _application_name), _Field("applicationType", _any)]
    ),
    rules.MC_APPLICATION: _application_fields(endpoint=False),
    rules.MC_APP_ALIAS: _application_fields(endpoint=False),
    rules.MC_VIEW: _application_fields(endpoint=False),
    rules.UNKNOWN: _application_fields(endpoint=True),
}
_choose_application, _bad_application_type = _one_of(_APPLICATION_SHAPES, "applicationType")

# Standard keys a Merchant Center application must declare with ``required: true``.
_MC_REQUIRED_KEYS = {
    rules.MC_APPLICATION: ("Mc app must have", ("CUSTOM_APPLICATION_ID", "ENTRY_POINT_URI_PATH")),
    rules.MC_APP_ALIAS: ("Mc app must have", ("CUSTOM_APPLICATION_ID", "ENTRY_POINT_URI_PATH")),
    rules.MC_VIEW: ("Merchant center custom view must have", ("CUSTOM_VIEW_ID",)),
}


def _application(value: Any, path: Pointer, out: _Findings) -> bool:
    if not _one_shape(
        value, path, out, _choose_application, "applicationType", _bad_application_type
    ):
        return False
    wording, required_keys = _MC_REQUIRED_KEYS.get(value["applicationType"], ("", ()))
    standard = _standard_entries(value)
    for key in required_keys:
        declared = next((entry for entry in standard if entry["key"] == key), None)
        if declared is None or declared.get("required") is not True:
            out.add(path, f"{wording} {key}")
    return True


def _standard_entries(application: Mapping[str, Any]) -> list[dict]:
    return [
        entry
        for _, entry in _entries(application.get("configuration"), which="standardConfiguration")
    ]


# The whole file -------------------------------------------------------------------------

_api_client = _strict_object([_Field("scopes", _list_of(_non_empty, min_items=1))])
_inherit_as = _strict_object(
    [
        _Field("configuration", _configuration, required=False),
        _Field("apiClient", _api_client, required=False),
    ]
)
_file_fields = _strict_object(
    [
        _Field("inheritAs", _inherit_as, required=False),
        _Field("deployAs", _list_of(_application)),
    ]
)


def _specification(document: Any, out: _Findings) -> None:
    if not _file_fields(document, (), out):
        return
    applications: list[dict] = document["deployAs"]
    _duplicate_application_names(applications, out)
    global_entries = _global_entries(document)
    _keys_shared_with_global(applications, global_entries, out)
    _cloud_identifier(applications, global_entries, out)
    _merchant_center_secured_configuration(applications, out)


def _js_counts(names: Iterable[tuple[str, Pointer]]) -> dict[str, list[Pointer]]:
    """Occurrences per name, as the official ``obj[name] = (obj[name] || 0) + 1`` counts.

    Names a plain JavaScript object inherits never count past one there, so they are
    left out here too.
    """
    seen: dict[str, list[Pointer]] = {}
    for name, where in names:
        if name not in JS_PROTOTYPE_NAMES:
            seen.setdefault(name, []).append(where)
    return seen


def _duplicate_application_names(applications: list[dict], out: _Findings) -> None:
    counts = _js_counts(
        (app["name"], ("deployAs", index)) for index, app in enumerate(applications)
    )
    repeated = [name for name in js_key_order(counts) if len(counts[name]) > 1]
    if repeated:
        out.add(
            (),
            f"Duplicate application name found: {','.join(repeated)}",
            pointer=counts[repeated[0]][1],
        )


def _global_entries(document: Mapping[str, Any]) -> list[tuple[Pointer, dict]]:
    configuration = (document.get("inheritAs") or {}).get("configuration")
    base = ("inheritAs", "configuration")
    return [
        ((*base, which, index), entry)
        for which in ("standardConfiguration", "securedConfiguration")
        for index, entry in _entries(configuration, which=which)
    ]


def _application_entries(applications: list[dict]) -> Iterable[tuple[Pointer, dict]]:
    for app_index, app in enumerate(applications):
        if app["applicationType"] == rules.ASSETS:
            continue  # assets have no configuration field (an unknown key is not read)
        for which in ("standardConfiguration", "securedConfiguration"):
            for index, entry in _entries(app.get("configuration"), which=which):
                yield ("deployAs", app_index, "configuration", which, index), entry


def _keys_shared_with_global(
    applications: list[dict], global_entries: list[tuple[Pointer, dict]], out: _Findings
) -> None:
    every_entry = [*_application_entries(applications), *global_entries]
    counts = _js_counts((entry["key"], where) for where, entry in every_entry)
    shared: dict[str, Pointer] = {}
    for _, entry in global_entries:
        key = entry["key"]
        if key in counts and len(counts[key]) > 1 and key not in shared:
            shared[key] = counts[key][0]
    if shared:
        out.add(
            (),
            f"Duplicate global key found {', '.join(shared)}",
            pointer=next(iter(shared.values())),
        )


def _cloud_identifier(
    applications: list[dict], global_entries: list[tuple[Pointer, dict]], out: _Findings
) -> None:
    if any(
        entry["key"] == "CLOUD_IDENTIFIER" and entry.get("required") is True
        for _, entry in global_entries
    ):
        return
    for index, app in enumerate(applications):
        if app["applicationType"] not in rules.MERCHANT_CENTER_TYPES:
            continue
        if not any(
            entry["key"] == "CLOUD_IDENTIFIER"
            and (entry.get("required") is True or bool(entry.get("default")))
            for entry in _standard_entries(app)
        ):
            out.add(
                (),
                f"Application {app['name']} is missing CLOUD_IDENTIFIER configuration.",
                pointer=("deployAs", index),
            )


def _merchant_center_secured_configuration(applications: list[dict], out: _Findings) -> None:
    for index, app in enumerate(applications):
        kind = app["applicationType"]
        if kind not in rules.MERCHANT_CENTER_TYPES:
            continue
        if _entries(app.get("configuration"), which="securedConfiguration"):
            what = "view" if kind == rules.MC_VIEW else "application"
            out.add(
                (),
                f"Secured configuration is not allowed in merchant center custom {what}.",
                pointer=("deployAs", index, "configuration", "securedConfiguration"),
            )


__all__ = ["MAX_BYTES", "SpecError", "validate_specification"]
