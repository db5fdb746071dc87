"""Apps add their pages, navigation and workbench panels through the registry."""

from crm.registry import NavItem, Panel, registry
from tests.factories import client_for

TEMPLATE = "customers/panels/renewals.html"


def test_navigation_lists_what_apps_registered_for_the_role(client, users):
    # The trash entry is registered for roles that may delete customers only.
    admin_nav = client_for(client, users["admin"]).get("/").context["nav_items"]
    urls = [i["url"] for i in admin_nav]
    assert urls[0] == "/" and "/customers/" in urls
    assert "/customers/trash/" in [i["url"] for i in admin_nav]
    rep_nav = client_for(client, users["rep1"]).get("/").context["nav_items"]
    assert "/customers/trash/" not in [i["url"] for i in rep_nav]


def active_entries(client, user, url) -> list[str]:
    nav = client_for(client, user).get(url).context["nav_items"]
    return [i["url"] for i in nav if i["active"]]


def test_a_section_entry_stays_highlighted_on_its_pages_only(
    client, users, make_customer
):
    admin = users["admin"]
    customer = make_customer(admin)
    assert active_entries(client, admin, customer.get_absolute_url()) == ["/customers/"]
    # The trash names its own entry; the customers entry steps aside.
    assert active_entries(client, admin, "/customers/trash/") == ["/customers/trash/"]
    # The tag pages (customers module) sit in the settings section.
    assert active_entries(client, admin, "/settings/tags/") == ["/settings/"]
    assert active_entries(client, admin, "/settings/users/") == ["/settings/"]
    assert active_entries(client, admin, "/") == ["/"]


def test_workbench_renders_registered_panels_in_order_and_skips_hidden_ones(
    client, users, monkeypatch
):
    # Given two extra panels: one shown first, one that hides itself
    panels = [
        *registry.panels,
        Panel("test.first", TEMPLATE, lambda request: {"renewal_window": 7}, 1),
        Panel("test.hidden", TEMPLATE, lambda request: None, 2),
    ]
    monkeypatch.setattr(registry, "panels", sorted(panels, key=lambda p: p.order))

    # When rep1 opens the workbench
    response = client_for(client, users["rep1"]).get("/")

    # Then the shown panel comes first and the hidden one is left out
    names = [p["name"] for p in response.context["panels"]]
    assert names[0] == "test.first" and "test.hidden" not in names
    assert "customers.mine" in names


def test_registering_again_replaces_the_entry(monkeypatch):
    monkeypatch.setattr(registry, "nav", list(registry.nav))
    before = len(registry.nav)
    registry.add_nav(NavItem("customers:customer_list", "x", 99))
    assert len(registry.nav) == before
    assert registry.nav[-1].label == "x"


def test_a_record_page_shows_the_sections_other_modules_add(
    client, users, make_customer, monkeypatch
):
    from crm.registry import RecordSection

    monkeypatch.setattr(registry, "record_sections", {})
    seen = []

    def visible(request, customer):
        seen.append((request.user, customer))
        return {"renewals": [], "renewal_window": 7}

    registry.add_record_section(
        "customers.customer", RecordSection("b", TEMPLATE, visible, 20)
    )
    registry.add_record_section(
        "customers.customer", RecordSection("a", TEMPLATE, lambda r, c: None, 10)
    )
    customer = make_customer(users["rep1"])
    response = client_for(client, users["rep1"]).get(customer.get_absolute_url())
    assert [s["name"] for s in response.context["sections"]] == ["b"]
    assert seen == [(users["rep1"], customer)]
