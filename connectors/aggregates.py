"""A JSON array aggregate on every database the project runs on."""

from __future__ import annotations

from django.db.models import Aggregate, TextField


class JSONList(Aggregate):
    """The aggregated values as JSON text: ``json_agg`` on PostgreSQL, ``json_group_array``
    on SQLite. Element order is not guaranteed: callers sort what they read."""

    function = "JSON_AGG"
    name = "JSONList"
    template = "%(function)s(%(distinct)s%(expressions)s)::text"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="JSON_GROUP_ARRAY",
            template="%(function)s(%(distinct)s%(expressions)s)",
            **extra_context,
        )
