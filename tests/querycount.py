"""Query counts of a warm page, for the query-budget tests.

The first request warms the per-process caches (permission ids, reference
choices, the company name); the second is counted. The cache starts empty in
every test (`tests/conftest.py`), so no entry can expire during the count.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count(client, url) -> int:
    """The queries of one warm GET of `url`, which must answer 200."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)
