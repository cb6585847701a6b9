"""Querysets compiled to SQL once, for the reads every API request makes.

Building SQL from a queryset costs far more than running it on an indexed lookup, and
the API's hot reads differ only in their values. ``CompiledQuery`` builds the SQL once
per database vendor from the very queryset the code would run (with example values),
remembers where those values sit among the parameters, and afterwards only binds new
ones. The ORM still writes every query; nothing here is hand-written SQL.

Why it is kept: ``tests/benchmarks/api_latency.py`` (100,000 drafts, 300 requests each),
run twice on the same tree, once as it is and once with plain querysets in its place
(selectors and the token lookup, totals counted every time), gave (median ms, ×floor,
SQL queries per request; the machine was busy, floors 0.82 and 1.91 ms):

    request                      compiled            plain querysets
    get draft by id              1.82  2.2×  1       9.69  5.1×  1
    get draft by key             1.29  1.6×  1       8.15  4.3×  2
    query page of 20             7.91  9.7×  1      19.04 10.0×  3
    update (setName)            11.58 14.2× 10      20.81 10.9× 10

Building the SQL costs more than running it for these one-row reads; the page of 20 also
saves the count (``counts``) and the second query Django makes for the page's reports.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet


class CompiledQuery[M: Model]:
    def __init__(
        self,
        build: Callable[..., QuerySet[M]],
        *,
        paged: tuple[str, str] | None = None,
        **examples: Any,
    ) -> None:
        """``paged`` names the two examples that are the LIMIT and OFFSET of a slice: SQL
        writes those as literals, so they are turned into parameters here."""
        self.build = build
        self.paged = paged
        self.examples = examples
        self.model = build(**examples).model
        self._compiled: dict[str, tuple[str, list[Any], dict[int, tuple[str, Callable]]]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, list[Any], dict[int, tuple[str, Callable]]]:
        queryset = self.build(**self.examples)
        sql, params = queryset.query.get_compiler(alias).as_sql()
        params = list(params)
        slot_names: dict[int, str] = {}
        if self.paged:
            sql, params, slot_names = self._parametrize_slice(sql, params)
        slots: dict[int, tuple[str, Callable]] = {
            index: (name, int) for index, name in slot_names.items()
        }
        for index, param in enumerate(params):
            if index in slots:
                continue
            for name, example in self.examples.items():
                if self.paged and name in self.paged:
                    continue
                convert = _converter(example, param)
                if convert is not None:
                    slots[index] = (name, convert)
        missing = set(self.examples) - {name for name, _ in slots.values()}
        if missing:
            raise ValueError(f"example values not found among the parameters: {missing}")
        return sql, list(params), slots

    def _parametrize_slice(
        self, sql: str, params: list[Any]
    ) -> tuple[str, list[Any], dict[int, str]]:
        assert self.paged is not None
        limit_name, offset_name = self.paged
        literal = f"LIMIT {self.examples[limit_name]} OFFSET {self.examples[offset_name]}"
        position = sql.find(literal)
        if position < 0 or sql.find(literal, position + 1) >= 0:
            raise ValueError("the slice of a paged query must appear exactly once")
        before = sql[:position].count("%s")
        sql = sql[:position] + "LIMIT %s OFFSET %s" + sql[position + len(literal) :]
        params[before:before] = [self.examples[limit_name], self.examples[offset_name]]
        return sql, params, {before: limit_name, before + 1: offset_name}

    def _bound(self, using: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
        vendor = connections[using].vendor
        if vendor not in self._compiled:
            with self._lock:
                self._compiled.setdefault(vendor, self._compile(using))
        sql, params, slots = self._compiled[vendor]
        bound = list(params)
        for index, (name, convert) in slots.items():
            bound[index] = convert(values[name])
        return sql, bound

    def run(self, using: str = "default", **values: Any) -> list[M]:
        """Model instances (annotations become attributes), as the queryset would give."""
        sql, bound = self._bound(using, values)
        return list(self.model._default_manager.db_manager(using).raw(sql, bound))

    def first_row(self, using: str = "default", **values: Any) -> tuple[Any, ...] | None:
        """The first row as a tuple, for ``values_list`` querysets."""
        sql, bound = self._bound(using, values)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            return cursor.fetchone()


def _converter(example: Any, param: Any) -> Callable[[Any], Any] | None:
    """How a value becomes the parameter the example became, or None if it is not that."""
    if param == example and type(param) is type(example):
        return lambda value: value
    if isinstance(param, type(example)) and param == example:
        # A driver's typed wrapper (psycopg's Int4 for server-side binding): keep the type.
        return type(param)
    if isinstance(example, uuid.UUID):
        if param == example.hex:
            return lambda value: value.hex
        if param == str(example):
            return str
    return None
