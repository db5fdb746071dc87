"""The customer list and detail pages stay within their query budget per role.

Before the core refactor the list took 14 queries and the detail page 14-17;
the row flags and the masking decision now come with the rows, and these
budgets are today's counts: a change that adds a query to either page fails.
Counts are of a warm request: the first one also reads the reference choices,
cached per process afterwards.
"""

import pytest

from customers import services
from tests import querycount
from tests.factories import client_for

# +2 since the column chooser and saved views: the user's columns, the views.
LIST_BUDGET = 16
# +1: the follow-up card's timeline (followups.panels.customer_followups).
# +1: the ticket card's rows (followups.ticket_panels.customer_tickets).
# +1: the opportunity card's rows (opportunities.panels.customer_opportunities;
# none for customer service, who has no opportunities).
DETAIL_BUDGET = {"admin": 16, "manager": 17, "rep1": 17, "service": 14}


@pytest.mark.parametrize("role", ["admin", "manager", "rep1", "service", "success"])
def test_list_stays_within_budget(client, users, rep1_customer, role):
    n = querycount.count(client_for(client, users[role]), "/customers/")
    assert n <= LIST_BUDGET


@pytest.mark.parametrize("role", sorted(DETAIL_BUDGET))
def test_detail_stays_within_budget(client, users, make_customer, role):
    customer = make_customer(
        users["rep1"], contacts=[services.ContactData(name="甲", phone="13800000000")]
    )
    n = querycount.count(client_for(client, users[role]), customer.get_absolute_url())
    assert n <= DETAIL_BUDGET[role]
