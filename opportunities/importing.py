"""Importing opportunities and payments (DESIGN §6) on the base the numbered
record imports share (`customers.record_importing.RecordImport`).

The columns are the export's (`resources.py`), so an exported file re-imports
as it is. Everything is looked up in bulk and written in bulk, leaving what
the services leave: a history entry per record, a stage history per deal,
numbers the sequence never hands out again.

Decisions (also in the report to the lead):
- A won (成交/售后) row needs 成交时间: it is refused without it rather than
  given a made-up time. A lost row needs 输单阶段 and 输单原因 (as losing on
  the deal's page does); 输单时间 is optional and defaults to 创建时间.
- An imported won deal is history: its amount is already in the customer's
  历史合作金额 (the customer sheet carries it), so the import does not add it
  again, and records nothing to undo (`win_set_first_cooperation` False,
  `win_previous_status` ""). Moving such a deal back to an open stage later
  subtracts its amount from the customer, like any win being reverted.
- Stages are not moved by an import: on an existing deal, a 销售阶段, 输单阶段,
  成交时间 or 输单时间 that differs from the stored one is a row error (moves
  go through the board or the deal's page, with their bookkeeping); so is a
  new amount on a won deal (it would move the customer's historical amount).
- Each new deal gets its stage history: "" → its stage at its creation (a won
  deal: "" → 线索, then 线索 → its stage at 成交时间; a lost one: "" → the
  stage it was lost at, then → 输单 at 输单时间).
- Payments have no ID: each row is a new payment, except that a row equal to a
  stored payment of the deal (amount, date, method, note) is "unchanged", so
  re-importing a payments file does not record them twice.
"""

from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import permissions
from crm.models import CustomField, HistoryEntry
from crm.templatetags.crm_tags import money
from customers.importing import parse_customer_no
from customers.record_importing import (
    RecordImport,
    chunks,
    customers_seen_by,
    english,
    last_pk,
    number_parser,
    percent,
    record_history,
    same,
    user_name,
    visible_pks,
)
from imports import specs
from imports.specs import ColumnSpec, ImportSpec, RowErrors

from .models import (
    DEFAULT_PROBABILITY,
    WON_STAGES,
    Opportunity,
    Payment,
    Stage,
    StageChange,
    payment_records,
)

# Opportunities ------------------------------------------------------------

HEADERS = {
    "opp_no": "机会ID",
    "name": "机会名称",
    "customer_no": "客户ID",
    "stage": "销售阶段",
    "lost_stage": "输单阶段",
    "lost_reason": "输单原因",
    "amount": "预计成交金额",
    "expected_close_date": "预计成交日期",
    "probability": "赢单概率",
    "competitor": "竞争对手",
    "competitor_focus": "客户对比关注点",
    "owner": "负责人",
    "created_at": "创建时间",
    "won_at": "成交时间",
    "lost_at": "输单时间",
}
# An existing deal's stage is moved on the board or its page, never by a file.
STAGE_KEYS = ("stage", "lost_stage", "won_at", "lost_at")
TEXT_FIELDS = ("name", "lost_reason", "competitor", "competitor_focus")


class OpportunityImport(RecordImport):
    key = "opportunities"
    label = gettext_lazy("Opportunities")
    model = Opportunity
    no_key = "opp_no"
    select = ("customer", "owner")

    def columns(self) -> list[ColumnSpec]:
        h, field = HEADERS, Opportunity._meta.get_field

        def text(key, example=""):
            return ColumnSpec(
                key,
                h[key],
                example=example,
                aliases=english(Opportunity, key),
                parse=specs.text(field(key).max_length),
            )

        def plain(key, parse, example="", **kwargs):
            return ColumnSpec(
                key,
                h[key],
                example=example,
                aliases=english(Opportunity, key),
                parse=parse,
                **kwargs,
            )

        lost_choices = field("lost_stage").choices
        return [
            plain("opp_no", number_parser(Opportunity), "O20240315001"),
            text("name", "年度软件采购"),
            ColumnSpec(
                "customer_no",
                h["customer_no"],
                example="C20240315001",
                aliases=("customer ID", "customer_no"),
                parse=parse_customer_no,
            ),
            plain(
                "stage",
                specs.choice(Stage.choices),
                specs.choice_labels(Stage.choices)[0],
                choices=specs.choice_labels(Stage.choices),
            ),
            plain(
                "lost_stage",
                specs.choice(lost_choices),
                choices=specs.choice_labels(lost_choices),
            ),
            text("lost_reason"),
            plain("amount", specs.amount(16, 2), "500000"),
            plain("expected_close_date", specs.date, "2024-06-30"),
            plain("probability", percent, "10"),
            text("competitor"),
            text("competitor_focus", "价格"),
            plain("owner", specs.user, "rep1"),
            plain("created_at", specs.moment, "2024-03-15 14:30"),
            plain("won_at", specs.moment),
            plain("lost_at", specs.moment),
            *specs.custom_columns(CustomField.Target.OPPORTUNITY),
        ]

    def forbidden_message(self):
        return _("You may not change the opportunity with this ID.")

    def trashed_message(self):
        return _("This opportunity is in the trash.")

    def required_new(self) -> list[str]:
        return ["customer_no", "name", "amount"]

    def load(self, ctx, stored) -> None:
        owners = {r.values["owner"].pk for r in ctx.rows if "owner" in r.values}
        customers = {c.pk for c in ctx.cache["customers"].values()} | {
            r.customer_id for r in stored.values()
        }
        ctx.cache["sales"] = set(
            permissions.users_with_model_perm(Opportunity, "add").values_list(
                "pk", flat=True
            )
        )
        ctx.cache["owner_sees"] = customers_seen_by(
            ctx, owners & ctx.cache["sales"], customers
        )
        ctx.cache["may_reassign"] = permissions.has_model_perm(
            ctx.user, Opportunity, "reassign"
        )

    def build(self, ctx, row, record):
        values = row.values
        is_new = record is None
        fields = set()
        if is_new:
            customer = ctx.cache["customers"][values["customer_no"]]
            stage = values.get("stage", Stage.LEAD)
            created = self.created(ctx, row)
            record = Opportunity(
                customer=customer,
                owner=ctx.user,
                created_by=ctx.user,
                stage=stage,
                created_at=created,
                custom={},
                win_set_first_cooperation=False,
                win_previous_status="",
            )
            old_owner = ctx.user.pk
            self._stage_new(ctx, row, record)
        else:
            old_owner = record.owner_id
            self._stage_kept(row, record)
            if (
                record.is_won
                and "amount" in values
                and values["amount"] != record.amount
            ):
                row.error(
                    "amount",
                    _(
                        "A won deal's amount is changed on its page (it moves "
                        "the customer's historical amount)."
                    ),
                )
            if "lost_reason" in values and not record.is_lost:
                row.error(
                    "lost_reason", _("Only a lost deal has a reason it was lost.")
                )
        for name in (*TEXT_FIELDS, "amount", "expected_close_date", "probability"):
            if name in values and getattr(record, name) != values[name]:
                setattr(record, name, values[name])
                fields.add(name)
        if is_new and "probability" not in values:
            record.probability = DEFAULT_PROBABILITY[record.stage]
        if "owner" in values and values["owner"].pk != record.owner_id:
            record.owner = values["owner"]
            fields.add("owner")
        self.apply_custom(row, record, fields)
        if record.owner_id != old_owner:
            self._check_owner(ctx, row, record)
        return record if is_new else fields

    def _stage_new(self, ctx, row, record) -> None:
        """The stage columns of a new deal, as the model's constraints want them."""
        values, now = row.values, ctx.cache["now"]
        stage, created = record.stage, record.created_at
        won_at, lost_at = values.get("won_at"), values.get("lost_at")
        if stage in WON_STAGES:
            if won_at is None:
                row.error(
                    "won_at",
                    _(
                        "A won deal needs the time it was won (成交时间); the "
                        "import does not make one up."
                    ),
                )
            record.won_at = won_at
        elif won_at is not None:
            row.error("won_at", _("Only a won deal has a time it was won."))
        if stage == Stage.LOST:
            if "lost_stage" not in values:
                row.error("lost_stage", _("Say at which stage the deal was lost."))
            if "lost_reason" not in values:
                row.error("lost_reason", _("Say why the deal was lost."))
            record.lost_stage = values.get("lost_stage", "")
            record.lost_at = lost_at or created
        else:
            for key in ("lost_stage", "lost_reason", "lost_at"):
                if key in values:
                    row.error(key, _("Only a lost deal has this."))
        for key, moment in (("won_at", record.won_at), ("lost_at", lost_at)):
            if moment is None:
                continue
            if moment < created:
                row.error(key, _("It cannot be before the creation time (创建时间)."))
            elif moment > now:
                row.error(key, _("It cannot be in the future."))
        record.stage_changed_at = record.won_at or record.lost_at or created
        record.last_activity_at = record.stage_changed_at

    def _stage_kept(self, row, record) -> None:
        for key in STAGE_KEYS:
            if key in row.values and not same(getattr(record, key), row.values[key]):
                row.error(
                    key,
                    _(
                        "An import does not move a deal's stage; move it on the "
                        "board or on its page."
                    ),
                )

    def _check_owner(self, ctx, row, record) -> None:
        if not ctx.cache["may_reassign"]:
            row.error(
                "owner", _("Only a sales manager can give a deal to someone else.")
            )
        elif (record.owner_id, record.customer_id) not in ctx.cache["owner_sees"]:
            row.error(
                "owner",
                _(
                    "%(user)s cannot own this deal: they do not work deals or "
                    "cannot see this customer."
                )
                % {"user": user_name(record.owner)},
            )

    def after_insert(self, ctx, records) -> None:
        specs.bulk_insert(
            StageChange,
            (change for r in records for change in stage_history(r, ctx.user)),
        )


def stage_history(opportunity, actor) -> list[dict]:
    """The stage changes of an imported deal (see the module's docstring)."""

    def change(old, new, at):
        return {
            "opportunity_id": opportunity.pk,
            "from_stage": old,
            "to_stage": new,
            "changed_at": at,
            "changed_by_id": actor.pk,
        }

    created, stage = opportunity.created_at, opportunity.stage
    if stage in WON_STAGES:
        return [
            change("", Stage.LEAD, created),
            change(Stage.LEAD, stage, opportunity.won_at),
        ]
    if stage == Stage.LOST:
        lost_from = opportunity.lost_stage
        return [
            change("", lost_from, created),
            change(lost_from, Stage.LOST, opportunity.lost_at),
        ]
    return [change("", stage, created)]


OPPORTUNITIES = OpportunityImport()


# Payments ------------------------------------------------------------------


class PaymentImport(ImportSpec):
    """Payments on won deals named by 机会ID; never over a deal's amount."""

    key = "payments"
    label = gettext_lazy("Payments")
    model = Payment

    def allowed(self, user) -> bool:
        # Payments are recorded by whoever works the deal (no role holds
        # add_payment): the roles that create deals.
        return permissions.has_model_perm(user, Opportunity, "add")

    def columns(self) -> list[ColumnSpec]:
        field = Payment._meta.get_field
        methods = field("method").choices
        return [
            ColumnSpec(
                "opp_no",
                "机会ID",
                required=True,
                example="O20240315001",
                aliases=("opportunity ID", "opp_no"),
                parse=number_parser(Opportunity),
            ),
            ColumnSpec(
                "amount",
                "回款金额",
                required=True,
                example="100000",
                aliases=english(Payment, "amount"),
                parse=specs.amount(16, 2),
            ),
            ColumnSpec(
                "received_on",
                "回款日期",
                required=True,
                example="2024-03-15",
                aliases=english(Payment, "received_on"),
                parse=specs.date,
            ),
            ColumnSpec(
                "method",
                "回款方式",
                choices=specs.choice_labels(methods),
                example=specs.choice_labels(methods)[0],
                aliases=english(Payment, "method"),
                parse=specs.choice(methods),
            ),
            ColumnSpec(
                "note",
                "备注",
                aliases=english(Payment, "note"),
                parse=specs.text(field("note").max_length),
            ),
        ]

    def parse_row(self, ctx, row) -> None:
        super().parse_row(ctx, row)
        amount = row.values.get("amount")
        if amount is not None and amount <= 0:
            row.error("amount", _("A payment is more than zero."))
        received = row.values.get("received_on")
        if received is not None and received > timezone.localdate():
            row.error("received_on", _("A payment cannot be received in the future."))

    def resolve(self, ctx) -> None:
        rows = ctx.rows
        nos = {r.values["opp_no"] for r in rows if "opp_no" in r.values}
        deals = {}
        for chunk in chunks(nos):
            for deal in Opportunity._base_manager.filter(opp_no__in=chunk):
                deals[deal.opp_no] = deal
        pks = {d.pk for d in deals.values()}
        visible = visible_pks(Opportunity.objects.for_user(ctx.user, "view"), pks)
        changeable = visible_pks(Opportunity.objects.for_user(ctx.user, "change"), pks)
        ok = [
            d.pk for d in deals.values() if d.pk in changeable and d.is_won
        ]  # the deals whose payments are read
        received, stored = received_totals(ok), Counter()
        for chunk in chunks(ok):
            for p in Payment.objects.filter(opportunity_id__in=chunk):
                stored[payment_key(p.opportunity_id, p)] += 1
        adding = defaultdict(Decimal)  # deal pk → the file's new payments
        for row in rows:
            if not row.ok:
                continue
            deal = deals.get(row.values["opp_no"])
            if deal is None or deal.pk not in visible:
                row.error("opp_no", _("There is no opportunity with this ID."))
                continue
            if deal.pk not in changeable:
                row.error("opp_no", _("You may not change this opportunity."))
                continue
            if not deal.is_won:
                row.error("opp_no", _("Payments are recorded on won deals only."))
                continue
            row.values.setdefault("method", Payment.Method.BANK)
            row.values.setdefault("note", "")
            key = payment_key(deal.pk, SimpleValues(row.values))
            row.instance = deal
            if stored[key] > 0:
                # Already recorded (the same file imported again).
                stored[key] -= 1
                row.outcome = "unchanged"
                continue
            adding[deal.pk] += row.values["amount"]
            row.outcome = "new"
        for row in rows:
            if row.ok and row.outcome == "new":
                deal = row.instance
                total = received[deal.pk] + adding[deal.pk]
                if total > deal.amount:
                    row.error("amount", over_amount(deal, received[deal.pk]))
        ctx.cache["adding"] = adding

    def write(self, ctx) -> None:
        rows = [r for r in ctx.rows if r.outcome == "new"]
        deals = {r.instance.pk: r.instance for r in rows}
        locked = {}
        for chunk in chunks(deals):
            for deal in Opportunity._base_manager.select_for_update().filter(
                pk__in=chunk
            ):
                locked[deal.pk] = deal
        received = received_totals(deals)
        adding = ctx.cache["adding"]
        errors = []
        for row in rows:
            deal = locked.get(row.instance.pk)
            if deal is None or deal.deleted_at is not None or not deal.is_won:
                errors.append(
                    (
                        row.number,
                        "opp_no",
                        _("Payments are recorded on won deals only."),
                    )
                )
            elif received[deal.pk] + adding[deal.pk] > deal.amount:
                errors.append(
                    (row.number, "amount", over_amount(deal, received[deal.pk]))
                )
        if errors:
            raise RowErrors(errors)
        before = last_pk(Payment)
        specs.bulk_insert(
            Payment,
            (
                {
                    "opportunity_id": r.instance.pk,
                    "amount": r.values["amount"],
                    "received_on": r.values["received_on"],
                    "method": r.values["method"],
                    "note": r.values["note"],
                    "created_by_id": ctx.user.pk,
                }
                for r in rows
            ),
        )
        added = defaultdict(list)
        for chunk in chunks(deals):
            for p in Payment.objects.filter(pk__gt=before, opportunity_id__in=chunk):
                added[p.opportunity_id].append(p)
        # The deal's history shows the payments added, as `payment_add` leaves it.
        record_history(
            Opportunity,
            ctx.user,
            HistoryEntry.Action.UPDATE,
            (
                (
                    pk,
                    locked[pk].version,
                    [{"field": "payments", "old": [], "new": payment_records(found)}],
                )
                for pk, found in added.items()
            ),
        )


class SimpleValues:
    def __init__(self, values):
        self.amount = values["amount"]
        self.received_on = values["received_on"]
        self.method = values["method"]
        self.note = values["note"]


def payment_key(deal_pk, p) -> tuple:
    return (deal_pk, Decimal(p.amount), p.received_on, p.method, p.note)


def received_totals(pks) -> defaultdict:
    totals = defaultdict(lambda: Decimal("0.00"))
    for chunk in chunks(pks):
        found = (
            Payment.objects.filter(opportunity_id__in=chunk)
            .values("opportunity_id")
            .annotate(total=Sum("amount"))
            .values_list("opportunity_id", "total")
        )
        for pk, total in found:
            totals[pk] = total
    return totals


def over_amount(deal, received) -> str:
    return _(
        "This would take the payments over the deal's amount: "
        "%(received)s of %(amount)s is received, so at most "
        "%(left)s can still be recorded."
    ) % {
        "received": money(received),
        "amount": money(deal.amount),
        "left": money(deal.amount - received),
    }


PAYMENTS = PaymentImport()
