"""On PostgreSQL the follow-up and ticket searches can use trigram indexes."""

import pytest
from django.db import connection

from followups.models import FollowUp, Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm indexes are PostgreSQL only"
)


def plan(queryset) -> str:
    # Without the list's ORDER BY, which on a tiny table would pick its index.
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny test tables: make the planner show whether the index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_follow_up_search_uses_the_trigram_indexes():
    shown = plan(FollowUp.objects.filter(content__icontains="报价单"))
    assert "followup_content_trgm" in shown
    shown = plan(FollowUp.objects.filter(feedback__icontains="报价单"))
    assert "followup_feedback_trgm" in shown


@pytest.mark.django_db
def test_ticket_search_uses_the_trigram_indexes():
    assert "ticket_subject_trgm" in plan(
        Ticket.objects.filter(subject__icontains="发票抬头")
    )
    assert "ticket_description_trgm" in plan(
        Ticket.objects.filter(description__icontains="发票抬头")
    )


@pytest.mark.django_db
def test_opportunity_search_uses_the_trigram_index():
    from opportunities.models import Opportunity

    assert "opportunity_name_trgm" in plan(
        Opportunity.objects.filter(name__icontains="年度采购")
    )


@pytest.mark.django_db
def test_the_visibility_probe_through_the_customer_reads_only_an_index(users):
    """A rep's deals are checked against their customers by primary key; on
    PostgreSQL the owner and success manager come from the covering index."""
    from opportunities.models import Opportunity

    shown = plan(Opportunity.objects.for_user(users["rep1"], "view").values("pk"))
    assert "customer_access" in shown
