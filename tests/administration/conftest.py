import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_company_cache():
    # The company name is cached between requests; tests roll back the row.
    cache.clear()
    yield
    cache.clear()
