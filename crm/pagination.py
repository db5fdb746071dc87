from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Counts at most CRM_LIST_COUNT_CAP rows, then says "N+".

    COUNT(*) over a million visible rows costs more than rendering the page;
    beyond the cap the user narrows the list with search and filters instead.
    """

    @cached_property
    def cap(self) -> int:
        return settings.CRM_LIST_COUNT_CAP

    @cached_property
    def count(self) -> int:
        # No ORDER BY: sorting every visible row only to count them is the
        # slowest part of a capped count on PostgreSQL.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def page_size(value: str | None) -> int:
    """The page size a query string asks for if it is one we offer, else the first.

    Compared as text, never through int(): `str.isdigit()` accepts "²" and
    other digits int() rejects, and any other string simply means "default".
    """
    sizes = settings.CRM_PAGE_SIZES
    return next((size for size in sizes if str(size) == value), sizes[0])
