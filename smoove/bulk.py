"""Bulk insertion through PostgreSQL COPY, with bulk_create elsewhere.

Django's bulk_create of 1,000 rows spends most of its time building one
large parameterised statement; COPY streams the same rows several times
faster. Use it only where a unique conflict cannot happen or is a bug,
because COPY has no ON CONFLICT and the whole statement fails. Values
must be ones psycopg adapts as they are (text, numbers, booleans, dates,
aware datetimes, None) or JSON.
"""

from collections.abc import Sequence
from typing import TypeVar

from django.db import connection
from django.db.models import JSONField, Model
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=Model)


def bulk_insert(model: type[M], objects: Sequence[M], *, assign_ids: bool = False) -> None:
    """Insert objects in one statement; with assign_ids, set each object's pk first."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if assign_ids:
            # Ids come from the table's own sequence, so rows inserted by
            # other paths never collide with these.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(objects)],
            )
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
        fields = [
            field for field in model._meta.concrete_fields if assign_ids or not field.primary_key
        ]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        attnames = [field.attname for field in fields]
        json_columns = [index for index, field in enumerate(fields) if isinstance(field, JSONField)]
        statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for obj in objects:
                # Plain values go to psycopg as they are: Django's per-field
                # preparation costs more than the COPY itself at this size.
                row = [getattr(obj, name) for name in attnames]
                for index in json_columns:
                    row[index] = Jsonb(row[index])
                copy.write_row(row)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
