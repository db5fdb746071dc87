"""Forms of the tag settings."""

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import Tag


def tags_with_counts():
    """Tags with `customer_count`, the customers (not in the trash) carrying
    each: one grouped query, whatever the number of tags."""
    return Tag.objects.annotate(
        customer_count=Count("customer", filter=Q(customer__deleted_at__isnull=True))
    ).order_by("name")


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour"]
        widgets = {"colour": forms.RadioSelect(attrs={"class": "colour-choice"})}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        taken = Tag.objects.filter(name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("A tag named “%(name)s” already exists; merge into it instead.")
                % {"name": name},
                code="unique",
            )
        return name

    def validate_unique(self):
        # clean_name says it next to the field, in words.
        pass


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _("%(name)s (%(count)s customers)") % {
            "name": obj.name,
            "count": obj.customer_count,
        }


class TagMergeForm(forms.Form):
    sources = TagChoiceField(
        label=_("Tags to merge"),
        queryset=Tag.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their customers get the target tag; these tags are deleted."),
        error_messages={"required": _("Choose the tags to merge.")},
    )
    target = forms.ModelChoiceField(
        label=_("Merge into"),
        queryset=Tag.objects.none(),
        error_messages={"required": _("Choose the tag to keep.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tags = tags_with_counts()
        self.fields["sources"].queryset = tags
        self.fields["target"].queryset = tags

    def clean(self):
        cleaned_data = super().clean()
        target, sources = cleaned_data.get("target"), cleaned_data.get("sources")
        if target is not None and sources is not None:
            others = [t for t in sources if t.pk != target.pk]
            if not others:
                self.add_error(
                    "sources",
                    _("Choose at least one tag other than the one you keep."),
                )
            cleaned_data["sources"] = others
        return cleaned_data
