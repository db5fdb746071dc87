"""`/reports/targets/?month=2026-11`: managers and admins set each sales
user's targets for a month, on one form, or copy last month's.

A save that finds the month's targets changed since the page was rendered is
refused (`services.StaleTargets`): the page comes back with what is saved
now beside the user's own input, which is kept, and saving again applies it.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import FormView

from . import services
from .filters import month_start, next_month
from .target_forms import SalesTargetForm, parse_month


def targets_url(month) -> str:
    return reverse("reports:targets") + f"?month={month:%Y-%m}"


class SalesTargetView(FormView):
    template_name = "reports/targets.html"
    form_class = SalesTargetForm

    def dispatch(self, request, *args, **kwargs):
        if not services.may_set_targets(request.user):
            raise PermissionDenied
        given = request.GET.get("month")
        self.month = parse_month(given)
        if self.month is None:
            if request.method == "POST":
                # The form always posts to its month; anything else is forged.
                return HttpResponseBadRequest()
            if given is not None:
                messages.warning(
                    request, _("That is not a month; showing this month instead.")
                )
            self.month = month_start(timezone.localdate())
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "copy":
            copied = services.targets_copy(month=self.month, actor=request.user)
            if copied:
                text = ngettext(
                    "%(count)s target copied from last month.",
                    "%(count)s targets copied from last month.",
                    copied,
                )
                messages.success(request, text % {"count": copied})
            else:
                messages.info(request, _("There was nothing to copy from last month."))
            return HttpResponseRedirect(targets_url(self.month))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        targets = services.month_targets(self.month)
        return {
            **super().get_form_kwargs(),
            "users": services.target_users(self.month),
            "targets": targets,
            "token": services.targets_token(targets.values()),
        }

    def form_valid(self, form):
        try:
            changed = services.targets_save(
                month=self.month,
                values=form.values(),
                actor=self.request.user,
                expected=form.cleaned_data["token"],
            )
        except services.StaleTargets:
            return self.stale(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        if changed:
            messages.success(
                self.request,
                _("Targets for %(month)s saved.") % {"month": f"{self.month:%Y-%m}"},
            )
        else:
            messages.info(self.request, _("Nothing changed."))
        return HttpResponseRedirect(targets_url(self.month))

    def stale(self, form):
        """The form again with the user's input, the targets as saved now
        beside it, and the current fingerprint, so saving again applies it."""
        kwargs = self.get_form_kwargs()
        data = self.request.POST.copy()
        data["token"] = kwargs["token"]
        for user in kwargs["users"]:
            if not form.posted(user):
                # Someone the page did not list yet: keep what is saved, not
                # an empty input that would remove it on the next save.
                target = kwargs["targets"].get(user.pk)
                amount = target.won_amount if target else None
                customers = target.new_customers if target else None
                data[f"amount_{user.pk}"] = "" if amount is None else str(amount)
                data[f"customers_{user.pk}"] = (
                    "" if customers is None else str(customers)
                )
        kwargs["data"] = data
        return self.render_to_response(
            self.get_context_data(form=self.form_class(**kwargs), stale=True)
        )

    def get_context_data(self, **kwargs):
        previous = services.previous_month(self.month)
        return super().get_context_data(
            month=self.month,
            month_value=f"{self.month:%Y-%m}",
            previous_url=targets_url(previous),
            previous_value=f"{previous:%Y-%m}",
            next_url=targets_url(next_month(self.month)),
            **kwargs,
        )
