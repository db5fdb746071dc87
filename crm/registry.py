"""What each app adds to the shared pages, registered in its AppConfig.ready().

crm/ knows no app (Oscar's per-app dashboard registries, NetBox's registry):
an app registers its URLs, navigation entries, workbench panels and the
role grants its migrations give, and the shared views render whatever is there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    """A main-navigation entry; `visible(user)` hides it from roles without use."""

    url_name: str
    label: str
    order: int = 100
    visible: Callable = lambda user: True
    # URL namespaces whose pages keep this entry highlighted (a module's list
    # on its detail and edit pages), unless another entry names the page.
    sections: tuple[str, ...] = ()
    # A count shown beside the label (`badge(user) -> int`, e.g. plans due),
    # loaded after the page by `crm:nav_badges` so pages don't pay for it.
    badge: Callable | None = None


@dataclass(frozen=True)
class Panel:
    """A workbench panel: `context(request)` returns its data, or None to hide it."""

    name: str
    template: str
    context: Callable
    order: int = 100


@dataclass(frozen=True)
class SettingsSection:
    """A section of `/settings/`: its page, a one-line description, and who
    may open it (`visible(user)`; the section's views refuse everyone else)."""

    url_name: str
    label: str
    description: str = ""
    order: int = 100
    visible: Callable = lambda user: False


@dataclass(frozen=True)
class RecordSection:
    """A card another module adds to a record's page (a customer's follow-ups,
    tickets, opportunities): `context(request, record)` returns its data, or
    None to leave the card out (e.g. a role that may not see that module)."""

    name: str
    template: str
    context: Callable
    order: int = 100


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    # {app_label: {role name: ["app_label.codename", ...]}}
    role_grants: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # [(prefix, urlconf module)], included by the root URLconf.
    urls: list[tuple[str, str]] = field(default_factory=list)
    settings_sections: list[SettingsSection] = field(default_factory=list)
    # {list key: crm.lists.ListSpec}: lists users shape (columns, saved views).
    lists: dict[str, Any] = field(default_factory=dict)
    # [(order, name, seed(users: {username: User}, stdout))]: demo data each
    # module adds after the customers (`manage.py seed_demo`); idempotent.
    demo_seeders: list[tuple[int, str, Callable]] = field(default_factory=list)
    # {"app_label.model": [RecordSection, ...]}: cards on a record's page.
    record_sections: dict[str, list[RecordSection]] = field(default_factory=dict)
    # {name: fn(now)}: periodic jobs that create notifications for what time
    # brings (a plan became overdue); idempotent through notify(key=...).
    notification_sweeps: dict[str, Callable] = field(default_factory=dict)
    # {name: count(user)}: counts outside the navigation (the bell), shown in
    # the element with id "badge-<name>" and loaded with the nav's badges.
    badges: dict[str, Callable] = field(default_factory=dict)
    # {key: import spec}: the record types the import wizard and
    # `manage.py crm_import` load (imports/specs.py says what a spec is).
    importers: dict[str, Any] = field(default_factory=dict)

    def add_urls(self, prefix: str, module: str) -> None:
        self.urls = [*[u for u in self.urls if u[0] != prefix], (prefix, module)]

    def add_nav(self, item: NavItem) -> None:
        # Registering again (a test reloading an app) replaces the entry.
        kept = [i for i in self.nav if i.url_name != item.url_name]
        self.nav = sorted([*kept, item], key=lambda i: (i.order, i.url_name))

    def add_panel(self, panel: Panel) -> None:
        kept = [p for p in self.panels if p.name != panel.name]
        self.panels = sorted([*kept, panel], key=lambda p: (p.order, p.name))

    def add_role_grants(self, app_label: str, grants: dict[str, list[str]]) -> None:
        self.role_grants[app_label] = grants

    def add_settings_section(self, section: SettingsSection) -> None:
        kept = [s for s in self.settings_sections if s.url_name != section.url_name]
        self.settings_sections = sorted(
            [*kept, section], key=lambda s: (s.order, s.url_name)
        )

    def settings_sections_for(self, user) -> list[SettingsSection]:
        return [s for s in self.settings_sections if s.visible(user)]

    def add_record_section(self, record: str, section: RecordSection) -> None:
        """`record` is the page's model label, e.g. "customers.customer"."""
        current = self.record_sections.get(record, [])
        kept = [x for x in current if x.name != section.name]
        self.record_sections[record] = sorted(
            [*kept, section], key=lambda x: (x.order, x.name)
        )

    def sections_for(self, request, record) -> list[dict]:
        """The cards for `record`'s page, with their data, in order."""
        cards = []
        for section in self.record_sections.get(record._meta.label_lower, []):
            data = section.context(request, record)
            if data is not None:
                cards.append(
                    {"name": section.name, "template": section.template, "data": data}
                )
        return cards

    def add_demo_seeder(self, name: str, seed: Callable, order: int = 100) -> None:
        kept = [x for x in self.demo_seeders if x[1] != name]
        self.demo_seeders = sorted([*kept, (order, name, seed)], key=lambda x: x[:2])

    def add_list(self, spec: Any) -> None:
        self.lists[spec.key] = spec

    def add_importer(self, spec: Any) -> None:
        self.importers[spec.key] = spec

    def add_badge(self, name: str, count: Callable) -> None:
        self.badges[name] = count

    def add_notification_sweep(self, name: str, fn: Callable) -> None:
        """`fn(now)` runs every few minutes (`manage.py run_sweeps`)."""
        self.notification_sweeps[name] = fn

    def nav_for(self, user) -> list[NavItem]:
        return [item for item in self.nav if item.visible(user)]

    def grants_for(self, role: str) -> set[str]:
        return {p for grants in self.role_grants.values() for p in grants.get(role, [])}


registry = Registry()
