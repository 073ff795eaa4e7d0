"""Paginators for the staff lists of the town's biggest tables."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class LargeTablePaginator(Paginator):
    """On PostgreSQL, the unfiltered list of a table of millions of rows (bookings, attendance)
    shows the planner's estimate of its size instead of counting every row: COUNT(*) reads the
    whole table (~110 ms at 1.8 M bookings) on each page. Filtered lists are counted exactly."""

    estimate_from = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connections[queryset.db].vendor == "postgresql":
            with connections[queryset.db].cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] >= self.estimate_from:
                return row[0]
        return super().count
