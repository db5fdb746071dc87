"""The tag section of /settings/ (registered in CustomersConfig.ready)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import CreateView, DeleteView, FormView, ListView, UpdateView

from administration.views import SettingsSectionMixin
from crm import permissions

from . import settings_services as services
from .models import Tag
from .settings_forms import TagForm, TagMergeForm, tags_with_counts

SECTION = "customer_settings:tag_list"


class TagSectionMixin(SettingsSectionMixin):
    """A tag settings page; `tag_permission` is the action on tags the user's
    role must grant (403 otherwise)."""

    section = SECTION
    model = Tag
    tag_permission = "change"
    success_url = reverse_lazy(SECTION)

    def allowed(self, user) -> bool:
        return super().allowed(user) and all(
            permissions.has_model_perm(user, Tag, action)
            for action in self.tag_permission.split()
        )

    def form_valid(self, form):
        try:
            message = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return HttpResponseRedirect(self.success_url)


class TagListView(TagSectionMixin, ListView):
    template_name = "customers/settings/tag_list.html"
    context_object_name = "tags"

    def get_queryset(self):
        return tags_with_counts()

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            can_add=permissions.has_model_perm(user, Tag, "add"),
            can_delete=permissions.has_model_perm(user, Tag, "delete"),
            **kwargs,
        )


class TagCreateView(TagSectionMixin, CreateView):
    form_class = TagForm
    tag_permission = "add"
    template_name = "customers/settings/tag_form.html"

    def save(self, form):
        tag = services.tag_create(actor=self.request.user, **form.cleaned_data)
        return _("Tag “%(name)s” added.") % {"name": tag.name}


class TagUpdateView(TagSectionMixin, UpdateView):
    form_class = TagForm
    template_name = "customers/settings/tag_form.html"

    def save(self, form):
        tag = services.tag_update(
            actor=self.request.user, tag=self.object, **form.cleaned_data
        )
        return _("Tag “%(name)s” saved.") % {"name": tag.name}


class TagMergeView(TagSectionMixin, FormView):
    form_class = TagMergeForm
    tag_permission = "change delete"
    template_name = "customers/settings/tag_merge.html"

    def get_initial(self):
        return {"sources": self.request.GET.getlist("sources")}

    def save(self, form):
        target = form.cleaned_data["target"]
        changed = services.tags_merge(
            actor=self.request.user,
            sources=form.cleaned_data["sources"],
            target=target,
        )
        return ngettext(
            "Merged into “%(name)s”; %(count)s customer now carries it instead.",
            "Merged into “%(name)s”; %(count)s customers now carry it instead.",
            changed,
        ) % {"name": target.name, "count": changed}


class TagDeleteView(TagSectionMixin, DeleteView):
    tag_permission = "delete"
    template_name = "customers/settings/tag_confirm_delete.html"

    def get_queryset(self):
        return tags_with_counts()

    def form_valid(self, form):
        name = self.object.name
        changed = services.tag_delete(actor=self.request.user, tag=self.object)
        messages.success(
            self.request,
            ngettext(
                "Tag “%(name)s” deleted; %(count)s customer lost it.",
                "Tag “%(name)s” deleted; %(count)s customers lost it.",
                changed,
            )
            % {"name": name, "count": changed},
        )
        return HttpResponseRedirect(reverse(SECTION))
