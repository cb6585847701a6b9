"""Reading connect.yaml safely, into the values the official parser would see.

connect.yaml comes from a creator's repository, so it is hostile input until proven
otherwise: a size cap is checked before any parsing, nesting depth is capped while the
events stream in, and aliases are both counted (the npm ``yaml`` rule the official parser
applies) and weighed (the number of nodes they would expand to), so an alias bomb is
refused after a few steps instead of filling memory.

ruamel.yaml turns the text into events; the values are built here, following the YAML
1.2 core schema of the npm package (``yes`` and dates stay strings, ``010`` is ten, a
duplicate key rejects the file, a key with no value is ``None``), with mapping keys
turned into strings in JavaScript's order. The builder also records the line of every
node, so a finding can say "connect.yaml, line 12".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.scanner import Scanner

from .jsvalues import JsOpaque, js_ordered, js_string
from .yaml_schemas import (
    CORE_SCHEMA,
    MERGE,
    MERGE_KEY,
    OPAQUE_MAPPING_TAGS,
    OPAQUE_SCALAR_TAGS,
    OPAQUE_SEQUENCE_TAGS,
    YAML11_SCHEMA,
    Schema,
    TagResolveError,
)

MAX_BYTES = 256 * 1024
# A valid connect.yaml nests six collections deep; anything far deeper is an attack.
MAX_DEPTH = 64
# The npm package's ``maxAliasCount``: an anchor's uses times its own alias weight.
MAX_ALIAS_COUNT = 100
# Nodes the document would have with every alias expanded.
MAX_EXPANDED_NODES = 200_000

Pointer = tuple[str | int, ...]


class SpecFileError(ValueError):
    """connect.yaml could not be read: too big, not YAML, or hostile."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"{message} at line {line}" if line is not None else message)


@dataclass(frozen=True)
class LoadedSpec:
    """The loaded value and the line (1-based) of each node, by path."""

    value: Any
    lines: Mapping[Pointer, int] = field(default_factory=dict)

    def line_of(self, pointer: Pointer) -> int | None:
        """The line of the node at ``pointer``, or of its nearest ancestor that has one."""
        for end in range(len(pointer), -1, -1):
            line = self.lines.get(pointer[:end])
            if line is not None:
                return line
        return None


def load_spec(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> Any:
    """connect.yaml's content as plain values; raises SpecFileError."""
    return load_spec_document(data, max_bytes=max_bytes).value


def load_spec_document(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> LoadedSpec:
    """Like load_spec, with the line of every node; raises SpecFileError."""
    text = _supported_directives(_decode(data, max_bytes))
    builder = _Builder()
    try:
        builder.consume(_yaml().parse(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "not valid YAML"
        if mark is None:
            raise SpecFileError(f"connect.yaml is not valid YAML: {problem}") from None
        raise SpecFileError(problem, line=mark.line + 1) from None
    except YAMLError as error:
        raise SpecFileError(f"connect.yaml is not valid YAML: {error}") from None
    return LoadedSpec(builder.root, builder.lines)


_LINE_END_OR_COMMENT = "\0\r\n\x85\u2028\u2029#"


class _TabTolerantScanner(Scanner):
    """ruamel.yaml's scanner, taking a tab as separation after content on a line.

    YAML 1.2, and the npm package with it, allow tabs between tokens (``key:<TAB>value``);
    ruamel.yaml takes only spaces there. Tabs as indentation stay refused, as in both.
    """

    def scan_to_next_token(self) -> Any:
        reader = self.reader
        while True:
            super().scan_to_next_token()
            if self.flow_level or reader.peek() != "\t" or not self._after_content():
                return None
            while reader.peek() in " \t":
                reader.forward()

    def scan_plain_spaces(self, indent: Any, start_mark: Any) -> Any:
        # Blanks with a tab inside a plain scalar ("a<TAB>b") are part of it, as in YAML 1.2.
        reader = self.reader
        length = 0
        while reader.peek(length) in " \t":
            length += 1
        if "\t" in reader.prefix(length) and reader.peek(length) not in _LINE_END_OR_COMMENT:
            blanks = reader.prefix(length)
            reader.forward(length)
            return [blanks]
        return super().scan_plain_spaces(indent, start_mark)

    def _after_content(self) -> bool:
        reader = self.reader
        before = reader.buffer[reader.pointer - reader.column : reader.pointer].rstrip(" \t")
        # After a bare "-" or "?" the tab would indent the entry's content.
        return bool(before) and before[-1] not in "-?"


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Scanner = _TabTolerantScanner
    return yaml


def _decode(data: bytes | str, max_bytes: int) -> str:
    if isinstance(data, str):
        # Cheap first: a string never encodes to fewer bytes than it has characters.
        if len(data) > max_bytes or len(data.encode("utf-8", "surrogatepass")) > max_bytes:
            raise SpecFileError(f"connect.yaml is larger than {max_bytes} bytes")
        text = data
    else:
        if len(data) > max_bytes:
            raise SpecFileError(f"connect.yaml is larger than {max_bytes} bytes")
        # Invalid UTF-8 becomes U+FFFD, as when the official CLI reads the file.
        text = bytes(data).decode("utf-8", "replace")
    return text.removeprefix("\ufeff")


_YAML_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\d+)\.(\d+)(?=[ \t#]|$)", re.MULTILINE)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)


def _supported_directives(text: str) -> str:
    """``%YAML`` directives as the npm package reads them, in a form ruamel.yaml accepts.

    The npm package reads 1.1 as 1.1 and any other numeric version as 1.2 (with a warning),
    and lets a directive be repeated; ruamel.yaml refuses both. Each line keeps its place,
    so line numbers in messages do not move.
    """
    if "%YAML" not in text:
        return text
    seen_in_block = False
    block_start = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal seen_in_block, block_start
        # A document marker between two directives starts a new directive block.
        if _DOCUMENT_MARKER.search(text, block_start, match.start()):
            seen_in_block = False
        block_start = match.end()
        if seen_in_block:
            return "#" + match.group(0)[1:]
        seen_in_block = True
        version = (int(match.group(1)), int(match.group(2)))
        return match.group(0) if version in ((1, 1), (1, 2)) else "%YAML 1.2"

    return _YAML_DIRECTIVE.sub(rewrite, text)


# What a node is made of, kept only for the alias count: a scalar is None, an alias is
# its _Anchor, a collection is a _Shape of its children (pairs of key and value shapes).
@dataclass
class _Shape:
    children: list[Any]
    is_map: bool


@dataclass(eq=False)
class _Anchor:
    value: Any
    shape: Any = None
    size: int = 1
    complete: bool = False
    uses: int = 1  # the npm package starts at one: the anchored node itself
    weight: int | None = None  # computed at the first alias, as the npm package does


def _alias_weight(shape: Any) -> int:
    """The npm package's ``getAliasCount``: the heaviest path, not a sum."""
    if shape is None:
        return 1
    if isinstance(shape, _Anchor):
        return shape.uses * (shape.weight or 0)
    if shape.is_map:
        return max(
            (max(_alias_weight(key), _alias_weight(value)) for key, value in shape.children),
            default=0,
        )
    return max((_alias_weight(child) for child in shape.children), default=0)


@dataclass(eq=False)
class _Frame:
    """A collection being filled."""

    is_map: bool
    path: Pointer | None  # None inside a mapping key: no positions are kept there
    line: int
    anchor: _Anchor | None
    value: Any
    shape: _Shape
    size: int = 1
    merge_source: bool = False  # the value of a YAML 1.1 "<<" key: its aliases are free
    opaque: str | None = None  # the JavaScript type a !!set or !!omap tag makes of it
    # mapping state: after a key is read, where its value goes
    has_key: bool = False
    key: str = ""
    key_shape: Any = None
    key_is_merge: bool = False
    seen: set[Any] = field(default_factory=set)


@dataclass
class _Node:
    """A finished node, handed to its parent."""

    value: Any
    shape: Any
    size: int
    line: int
    identity: Any = None  # for duplicate-key detection; None never collides
    key_text: str | None = None  # how it reads as a mapping key


class _Builder:
    def __init__(self) -> None:
        self.schema: Schema = CORE_SCHEMA
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.lines: dict[Pointer, int] = {}
        self.expanded = 0
        self.documents = 0
        self.root: Any = None

    def consume(self, events: Iterator[Event]) -> None:
        for event in events:
            if isinstance(event, ScalarEvent):
                self._deliver(self._scalar(event), event)
            elif isinstance(event, AliasEvent):
                self._deliver(self._alias(event), event)
            elif isinstance(event, SequenceStartEvent | MappingStartEvent):
                self._open(event)
            elif isinstance(event, SequenceEndEvent | MappingEndEvent):
                self._close()
            elif isinstance(event, DocumentStartEvent):
                self._start_document(event)

    # documents -------------------------------------------------------------------------

    def _start_document(self, event: DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            raise SpecFileError("connect.yaml holds more than one YAML document", line=_line(event))
        version = getattr(event, "version", None)
        if version in (None, (1, 2)):
            self.schema = CORE_SCHEMA
        elif version == (1, 1):
            self.schema = YAML11_SCHEMA
        else:
            raise SpecFileError(f"unsupported YAML version {version}", line=_line(event))

    # nodes -----------------------------------------------------------------------------

    def _count(self, nodes: int, event: Event) -> None:
        self.expanded += nodes
        if self.expanded > MAX_EXPANDED_NODES:
            raise SpecFileError(
                f"connect.yaml expands to more than {MAX_EXPANDED_NODES} nodes (too many aliases)",
                line=_line(event),
            )

    def _at_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and not self.stack[-1].has_key

    def _scalar(self, event: ScalarEvent) -> _Node:
        self._count(1, event)
        tag = event.tag
        text = event.value
        try:
            if tag == MERGE:
                raise SpecFileError(f"the YAML tag {tag} is not supported", line=_line(event))
            if tag in OPAQUE_SCALAR_TAGS:
                value = JsOpaque(OPAQUE_SCALAR_TAGS[tag])
            elif tag is None and event.style is None:
                value = self.schema.resolve_plain(text, at_key=self._at_key())
            elif tag is None or tag == "!":
                value = text  # quoted, block, or the non-specific tag: always a string
            else:
                value = self.schema.resolve_tagged(tag, text)
        except TagResolveError as error:
            raise SpecFileError(str(error), line=_line(event)) from None
        node = _Node(value, None, 1, _line(event), _identity(value), _key_text(value))
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, None, 1, complete=True)
        return node

    def _alias(self, event: AliasEvent) -> _Node:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise SpecFileError(f"unknown alias *{event.anchor}", line=_line(event))
        if not anchor.complete:
            raise SpecFileError(
                f"the alias *{event.anchor} refers to a collection that contains it",
                line=_line(event),
            )
        parent = self.stack[-1] if self.stack else None
        merging = parent is not None and (
            parent.merge_source or (parent.is_map and parent.has_key and parent.key_is_merge)
        )
        if not merging:
            # Merge sources are looked up, not converted, so the npm package does not count them.
            anchor.uses += 1
            if anchor.weight is None or anchor.weight == 0:
                anchor.weight = _alias_weight(anchor.shape)
            if anchor.uses * anchor.weight > MAX_ALIAS_COUNT:
                raise SpecFileError(
                    f"the alias *{event.anchor} is used too often (resource exhaustion)",
                    line=_line(event),
                )
        self._count(anchor.size, event)
        is_collection = isinstance(anchor.value, dict | list)
        key_text = f"*{event.anchor}" if is_collection else _key_text(anchor.value)
        return _Node(anchor.value, anchor, anchor.size, _line(event), None, key_text)

    def _open(self, event: SequenceStartEvent | MappingStartEvent) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise SpecFileError(
                f"connect.yaml nests deeper than {MAX_DEPTH} levels", line=_line(event)
            )
        self._count(1, event)
        is_map = isinstance(event, MappingStartEvent)
        opaque = (OPAQUE_MAPPING_TAGS if is_map else OPAQUE_SEQUENCE_TAGS).get(event.tag or "")
        path, merge_source = self._child_path(), False
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.is_map and parent.has_key and parent.key_is_merge:
            merge_source = True
        value: Any = {} if is_map else []
        anchor = None
        if event.anchor is not None:
            anchor = _Anchor(value)
            self.anchors[event.anchor] = anchor
        shape = _Shape([], is_map)
        frame = _Frame(
            is_map,
            path,
            _line(event),
            anchor,
            value,
            shape,
            merge_source=merge_source,
            opaque=opaque,
        )
        self.stack.append(frame)
        if path is not None:
            self.lines.setdefault(path, frame.line)

    def _close(self) -> None:
        frame = self.stack.pop()
        value = js_ordered(frame.value) if frame.is_map else frame.value
        if frame.opaque is not None:
            value = JsOpaque(frame.opaque)
        if frame.anchor is not None:
            frame.anchor.value = value
            frame.anchor.shape = frame.shape
            frame.anchor.size = frame.size
            frame.anchor.complete = True
        self._deliver(
            _Node(value, frame.shape, frame.size, frame.line, None, _flow_text(value)), None
        )

    def _child_path(self) -> Pointer | None:
        if not self.stack:
            return ()
        parent = self.stack[-1]
        if parent.path is None:
            return None
        if not parent.is_map:
            return (*parent.path, len(parent.value))
        if not parent.has_key:
            return None  # a mapping key: not a place findings point to
        return (*parent.path, parent.key)

    def _deliver(self, node: _Node, event: Event | None) -> None:
        if not self.stack:
            self.root = node.value
            self.lines.setdefault((), node.line)
            return
        parent = self.stack[-1]
        parent.size += node.size
        if not parent.is_map:
            if parent.path is not None:
                self.lines.setdefault((*parent.path, len(parent.value)), node.line)
            parent.value.append(node.value)
            parent.shape.children.append(node.shape)
        elif not parent.has_key:
            self._accept_key(parent, node)
        else:
            self._accept_value(parent, node)

    def _accept_key(self, frame: _Frame, node: _Node) -> None:
        if node.identity is not None:
            if node.identity in frame.seen:
                raise SpecFileError("Map keys must be unique", line=node.line)
            frame.seen.add(node.identity)
        frame.has_key = True
        frame.key_is_merge = node.value is MERGE_KEY
        frame.key = node.key_text if node.key_text is not None else ""
        frame.key_shape = node.shape
        if frame.path is not None and not frame.key_is_merge:
            self.lines.setdefault((*frame.path, frame.key), node.line)

    def _accept_value(self, frame: _Frame, node: _Node) -> None:
        frame.has_key = False
        frame.shape.children.append((frame.key_shape, node.shape))
        if frame.key_is_merge:
            _merge_into(frame.value, node.value, node.line)
        else:
            # Assigning to an existing key keeps its place, as defineProperty does in JS.
            frame.value[frame.key] = node.value


def _merge_into(target: dict[str, Any], source: Any, line: int) -> None:
    """A YAML 1.1 merge key: keys the mapping does not have yet come from the source(s)."""
    sources = source if isinstance(source, list) else [source]
    for item in sources:
        if not isinstance(item, dict):
            raise SpecFileError("Merge sources must be maps or map aliases", line=line)
        for key, value in item.items():
            target.setdefault(key, value)


def _line(event: Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


def _identity(value: Any) -> Any:
    """What two keys must share to be duplicates: equal values under JavaScript's ``===``."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        try:
            return ("number", float(value))
        except OverflowError:
            return ("number", math.inf if value > 0 else -math.inf)
    if isinstance(value, str):
        return ("string", value)
    return None  # dates and merge keys are objects: never equal to another


def _key_text(value: Any) -> str:
    """A scalar mapping key as a JavaScript object key."""
    if value is None:
        return ""
    if value is MERGE_KEY:
        return "<<"
    return js_string(value)


def _flow_text(value: Any) -> str:
    """A collection used as a mapping key, written in flow style as the npm package does."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key}: {_flow_text(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[ " + ", ".join(_flow_text(item) for item in value) + " ]"
    return _key_text(value)


__all__ = [
    "MAX_ALIAS_COUNT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "LoadedSpec",
    "Pointer",
    "SpecFileError",
    "load_spec",
    "load_spec_document",
]
