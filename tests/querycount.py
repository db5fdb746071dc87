"""Query counts of a warm page, for the query-budget tests.

A page's count must not depend on anything but the page: the first request
warms the per-process caches (permission ids, reference choices), and the
cyclic garbage collector runs before each measured request, so that an object
an earlier test left behind cannot run a query from its finaliser in the
middle of the count (a generator inside `transaction.atomic()`, such as an
export's, releases its savepoint when it is finalised). Of two measured
requests the smaller count is the page's: a query per row shows in both, a
stray one in at most one (CI once counted one query more on a list of 5 deals
than of 30).
"""

import gc

from django.db import connection
from django.test.utils import CaptureQueriesContext


def captured(client, url) -> list[dict]:
    """The queries of one warm GET of `url`, which must answer 200."""
    client.get(url)
    runs = []
    for _ in range(2):
        gc.collect()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        runs.append(ctx.captured_queries)
    return min(runs, key=len)


def count(client, url) -> int:
    return len(captured(client, url))
