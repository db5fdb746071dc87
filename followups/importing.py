"""Importing follow-ups and service tickets (DESIGN §6).

The columns are the export's (`resources.py`), so an exported file re-imports
as it is; matching, numbering and the bulk writes are the numbered-record
import of `opportunities.importing.RecordImport`. What the services leave is
left here in bulk: the history entry of each record, the customers' last
follow-up time (one UPDATE per 500 customers), the deals' last activity.

Decisions (also in the report to the lead):
- A follow-up's creation time (its ID's day) is its 跟进时间; it is logged as
  the importer's own unless 跟进人 names a colleague, which, as in the form,
  only roles that may change every follow-up may do.
- A ticket's 截止时间 is read but never taken: the due time is always the
  creation time plus the priority's SLA (DESIGN §3). A resolved or closed
  ticket needs its 处理结果 and 解决时间 (a closed one its 关闭时间 too); a
  score (满意度) is only given at close. An import does not move an existing
  ticket through its statuses (工单状态, 解决时间, 关闭时间, 满意度 differing
  from the stored ones are row errors: the ticket's page does that, with its
  notifications). Imported tickets notify nobody: they are history.
- A new ticket's 创建人 is the user the file names (any active user), else
  the importer; on an existing ticket it is left as it is.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import permissions
from crm.models import CustomField
from customers.importing import parse_customer_no
from customers.models import Contact, Customer
from customers.record_importing import (
    RecordImport,
    chunks,
    customers_seen_by,
    english,
    number_parser,
    same,
    user_name,
    visible_pks,
)
from customers.validators import normalize_name
from imports import specs
from imports.specs import ColumnSpec
from opportunities.models import Opportunity

from .models import FollowUp, Ticket


def _column(model, key, header, parse, example="", **kwargs):
    kwargs.setdefault("aliases", english(model, key))
    return ColumnSpec(key, header, example=example, parse=parse, **kwargs)


def _customer_column():
    return ColumnSpec(
        "customer_no",
        "客户ID",
        example="C20240315001",
        aliases=("customer ID", "customer_no"),
        parse=parse_customer_no,
    )


def _choice_column(model, key, header, **kwargs):
    choices = model._meta.get_field(key).choices
    labels = specs.choice_labels(choices)
    return _column(
        model,
        key,
        header,
        specs.choice(choices),
        kwargs.pop("example", labels[0]),
        choices=labels,
        **kwargs,
    )


def _text(model, key):
    return specs.text(model._meta.get_field(key).max_length)


def long_text(max_length):
    """Text kept as typed (line breaks too), at most `max_length`."""

    def parse(value, ctx=None):
        result = str(value).strip()
        if len(result) > max_length:
            from django.core.validators import MaxLengthValidator

            MaxLengthValidator(max_length)(result)
        return result

    return parse


# Follow-ups -----------------------------------------------------------------


class FollowUpImport(RecordImport):
    key = "followups"
    label = gettext_lazy("Follow-ups")
    model = FollowUp
    no_key = "record_no"
    select = ("customer", "opportunity", "user", "next_owner")

    def columns(self) -> list[ColumnSpec]:
        F = FollowUp
        return [
            _column(F, "record_no", "记录ID", number_parser(F), "F20240315001"),
            _customer_column(),
            ColumnSpec(
                "opp_no",
                "机会ID",
                example="",
                aliases=("opportunity ID", "opp_no"),
                parse=number_parser(Opportunity),
            ),
            _column(F, "occurred_at", "跟进时间", specs.moment, "2024-03-15 14:30"),
            _choice_column(F, "method", "跟进方式"),
            _column(F, "user", "跟进人", specs.user, "rep1"),
            _column(F, "content", "跟进内容", long_text(5000), "电话沟通采购计划"),
            _column(F, "feedback", "客户反馈", long_text(5000)),
            _column(F, "next_at", "下次跟进时间", specs.moment, "2024-03-22 10:00"),
            _column(F, "next_owner", "下次跟进人", specs.user, "rep1"),
            _column(F, "next_goal", "下次跟进目标", _text(F, "next_goal"), "确认报价"),
            *specs.custom_columns(CustomField.Target.FOLLOWUP),
        ]

    def forbidden_message(self):
        return _("You may not change the follow-up with this ID.")

    def trashed_message(self):
        return _("This follow-up is in the trash.")

    def required_new(self) -> list[str]:
        return ["customer_no", "method", "content"]

    def created(self, ctx, row):
        return row.values.get("occurred_at") or ctx.cache["now"]

    def load(self, ctx, stored) -> None:
        nos = {r.values["opp_no"] for r in ctx.rows if "opp_no" in r.values}
        deals = {}
        for chunk in chunks(nos):
            for deal in Opportunity._base_manager.filter(opp_no__in=chunk):
                deals[deal.opp_no] = deal
        ctx.cache["deals"] = deals
        ctx.cache["visible_deals"] = visible_pks(
            Opportunity.objects.for_user(ctx.user, "view"),
            {d.pk for d in deals.values()},
        )
        people = {
            r.values[key].pk
            for r in ctx.rows
            for key in ("user", "next_owner")
            if key in r.values
        }
        customers = {c.pk for c in ctx.cache["customers"].values()} | {
            r.customer_id for r in stored.values()
        }
        ctx.cache["sees"] = customers_seen_by(ctx, people, customers)
        ctx.cache["for_others"] = permissions.has_model_perm(
            ctx.user, FollowUp, "change"
        )

    def build(self, ctx, row, record):
        values = row.values
        is_new = record is None
        if is_new:
            customer = ctx.cache["customers"][values["customer_no"]]
            record = FollowUp(
                customer=customer,
                user=ctx.user,
                occurred_at=self.created(ctx, row),
                custom={},
                next_done=False,
            )
            old_user, old_owner, old_deal = ctx.user.pk, None, None
        else:
            old_user, old_owner = record.user_id, record.next_owner_id
            old_deal = record.opportunity_id
        fields = set()
        for name in ("occurred_at", "method", "content", "feedback", "next_at"):
            if name in values and not same(getattr(record, name), values[name]):
                setattr(record, name, values[name])
                fields.add(name)
        if "next_goal" in values and record.next_goal != values["next_goal"]:
            record.next_goal = values["next_goal"]
            fields.add("next_goal")
        for name in ("user", "next_owner"):
            if name in values and getattr(record, f"{name}_id") != values[name].pk:
                setattr(record, name, values[name])
                fields.add(name)
        if "opp_no" in values:
            deal = ctx.cache["deals"].get(values["opp_no"])
            if deal is None or deal.pk != record.opportunity_id:
                if (
                    deal is None
                    or deal.pk not in ctx.cache["visible_deals"]
                    or deal.customer_id != record.customer_id
                ):
                    row.error(
                        "opp_no", _("Choose one of this customer's opportunities.")
                    )
                else:
                    record.opportunity = deal
                    fields.add("opportunity")
        self.apply_custom(row, record, fields)
        self._check_people(ctx, row, record, old_user, old_owner)
        if is_new:
            return record
        if record.opportunity_id != old_deal:
            fields.add("opportunity")
        return fields

    def _check_people(self, ctx, row, record, old_user, old_owner) -> None:
        """`services._check_people` with the look-ups made in bulk."""
        sees = ctx.cache["sees"]
        if record.user_id != old_user:
            if not ctx.cache["for_others"]:
                row.error("user", _("You can only log your own follow-ups."))
            elif (record.user_id, record.customer_id) not in sees:
                row.error(
                    "user",
                    _("%(user)s cannot see this customer; choose a colleague who can.")
                    % {"user": user_name(record.user)},
                )
        if record.next_at or record.next_owner_id or record.next_goal:
            if record.next_at is None:
                row.error("next_at", _("Give the next follow-up a time."))
            if record.next_owner_id is None:
                row.error("next_owner", _("Choose who does the next follow-up."))
            elif (
                record.next_owner_id != old_owner
                and (record.next_owner_id, record.customer_id) not in sees
            ):
                row.error(
                    "next_owner",
                    _("%(user)s cannot see this customer; choose a colleague who can.")
                    % {"user": user_name(record.next_owner)},
                )

    def summary(self, record):
        return (record.customer_id, record.opportunity_id)

    def after_write(self, ctx, written) -> None:
        """The customers' last follow-up time and the deals' last activity,
        one UPDATE with a subquery per 500 of them (services'
        `refresh_last_followup` and `note_followup`, for many)."""
        customers = {c for c, _deal in written}
        deals = {d for _c, d in written if d}
        latest = (
            FollowUp.objects.alive()
            .filter(customer=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        for chunk in chunks(customers):
            Customer._base_manager.filter(pk__in=chunk).update(
                last_followup_at=Subquery(latest)
            )
        on_deal = (
            FollowUp.objects.alive()
            .filter(opportunity=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        for chunk in chunks(deals):
            Opportunity._base_manager.filter(
                pk__in=chunk, last_activity_at__lt=Subquery(on_deal)
            ).update(last_activity_at=Subquery(on_deal))


FOLLOWUPS = FollowUpImport()


# Tickets ----------------------------------------------------------------------

DONE = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
# An existing ticket's status is moved on its page, never by a file.
STATUS_KEYS = ("status", "resolved_at", "closed_at", "satisfaction")


def satisfaction(value, ctx=None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        score = int(value) if isinstance(value, int) else int(specs.cell_text(value))
    except ValueError:
        score = 0
    if isinstance(value, bool) or not 1 <= score <= 5:
        raise ValidationError(_("Enter a score from 1 to 5."), code="invalid")
    return score


class TicketImport(RecordImport):
    key = "tickets"
    label = gettext_lazy("Tickets")
    model = Ticket
    no_key = "ticket_no"
    select = ("customer", "contact", "assignee", "created_by")

    def columns(self) -> list[ColumnSpec]:
        T = Ticket

        def also(key, *more):
            return (*english(T, key), *more)

        return [
            _column(T, "ticket_no", "工单ID", number_parser(T), "S20240315001"),
            _customer_column(),
            _column(
                T,
                "contact",
                "联系人",
                specs.text(Contact._meta.get_field("name").max_length, normalize_name),
                "张伟",
            ),
            _choice_column(T, "kind", "工单类型", aliases=also("kind", "类型")),
            _choice_column(
                T,
                "priority",
                "优先级",
                example=specs.choice_labels(T.Priority.choices)[1],
            ),
            _choice_column(T, "status", "工单状态", aliases=also("status", "状态")),
            _column(T, "assignee", "处理人", specs.user, "service"),
            _column(T, "subject", "主题", _text(T, "subject"), "系统无法登录"),
            ColumnSpec(
                "description",
                "问题描述",
                example="客户反映今天上午无法登录系统。",
                aliases=also("description", "描述"),
                parse=long_text(5000),
            ),
            ColumnSpec(
                "resolution",
                "处理结果",
                aliases=also("resolution", "解决方案"),
                parse=long_text(5000),
            ),
            _column(T, "due_at", "截止时间", specs.moment),
            _column(T, "resolved_at", "解决时间", specs.moment),
            _column(T, "closed_at", "关闭时间", specs.moment),
            _column(T, "satisfaction", "满意度", satisfaction, "5"),
            ColumnSpec(
                "created_by",
                "创建人",
                aliases=also("created_by", "提单人"),
                parse=specs.user,
            ),
            _column(T, "created_at", "创建时间", specs.moment, "2024-03-15 14:30"),
            *specs.custom_columns(CustomField.Target.TICKET),
        ]

    def forbidden_message(self):
        return _("You may not change the ticket with this ID.")

    def trashed_message(self):
        return _("This ticket is in the trash.")

    def required_new(self) -> list[str]:
        return ["customer_no", "kind", "subject", "description"]

    def load(self, ctx, stored) -> None:
        customers = {c.pk for c in ctx.cache["customers"].values()} | {
            r.customer_id for r in stored.values()
        }
        contacts = defaultdict(lambda: defaultdict(list))
        if any("contact" in r.values for r in ctx.rows):
            for chunk in chunks(customers):
                for c in Contact.objects.filter(customer_id__in=chunk):
                    contacts[c.customer_id][specs.normalise_header(c.name)].append(c)
        ctx.cache["contacts"] = contacts

    def build(self, ctx, row, record):
        values = row.values
        is_new = record is None
        fields = set()
        if is_new:
            customer = ctx.cache["customers"][values["customer_no"]]
            record = Ticket(
                customer=customer,
                created_by=values.get("created_by") or ctx.user,
                created_at=self.created(ctx, row),
                priority=Ticket.Priority.MEDIUM,
                status=Ticket.Status.NEW,
                custom={},
            )
            self._status_new(ctx, row, record)
        else:
            for key in STATUS_KEYS:
                if key in values and not same(getattr(record, key), values[key]):
                    row.error(
                        key,
                        _(
                            "An import does not move a ticket through its "
                            "statuses; use the ticket's page."
                        ),
                    )
        for name in ("kind", "priority", "subject", "description", "resolution"):
            if name in values and getattr(record, name) != values[name]:
                setattr(record, name, values[name])
                fields.add(name)
        if "assignee" in values and record.assignee_id != values["assignee"].pk:
            record.assignee = values["assignee"]
            fields.add("assignee")
        if "contact" in values:
            found = ctx.cache["contacts"][record.customer_id].get(
                specs.normalise_header(values["contact"]), []
            )
            if not found:
                row.error("contact", _("Choose a contact of this ticket's customer."))
            elif len(found) > 1:
                row.error(
                    "contact",
                    _(
                        "Several contacts of this customer have this name; "
                        "choose the ticket's contact on its page."
                    ),
                )
            elif found[0].pk != record.contact_id:
                record.contact = found[0]
                fields.add("contact")
        due = record.created_at + Ticket.SLA[record.priority]
        if record.due_at != due:
            record.due_at = due
            fields.add("due_at")
        if is_new and record.status in DONE and not record.resolution:
            row.error(
                "resolution",
                _("A resolved or closed ticket needs its resolution (处理结果)."),
            )
        self.apply_custom(row, record, fields)
        return record if is_new else fields

    def _status_new(self, ctx, row, record) -> None:
        values, now = row.values, ctx.cache["now"]
        status = record.status = values.get("status", Ticket.Status.NEW)
        resolved, closed = values.get("resolved_at"), values.get("closed_at")
        if status in DONE:
            if resolved is None:
                row.error(
                    "resolved_at",
                    _("A resolved or closed ticket needs the time it was resolved."),
                )
        elif resolved is not None:
            row.error("resolved_at", _("Only a resolved or closed ticket has this."))
        if status == Ticket.Status.CLOSED:
            if closed is None:
                row.error(
                    "closed_at", _("A closed ticket needs the time it was closed.")
                )
        else:
            for key in ("closed_at", "satisfaction"):
                if key in values:
                    row.error(key, _("Only a closed ticket has this."))
        for key, moment in (("resolved_at", resolved), ("closed_at", closed)):
            if moment is None:
                continue
            if moment < record.created_at:
                row.error(key, _("It cannot be before the creation time (创建时间)."))
            elif moment > now:
                row.error(key, _("It cannot be in the future."))
        if resolved and closed and closed < resolved:
            row.error("closed_at", _("It cannot be before the time it was resolved."))
        record.resolved_at, record.closed_at = resolved, closed
        record.satisfaction = values.get("satisfaction")


TICKETS = TicketImport()
