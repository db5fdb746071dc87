"""The wizard's forms: the upload and the column mapping."""

from collections import Counter

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import mapping as mapping_module
from . import reading, specs
from .models import SavedMapping

SAMPLE_ROWS = 3


def sample_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    return str(value)[:80]


class UploadForm(forms.Form):
    """The module and the file; the file is read here, so a refused one comes
    back with the reason under the field."""

    module = forms.ChoiceField(label=_("Import into"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(".xlsx, or .csv in UTF-8 or GBK (as Excel saves it)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].choices = [
            (spec.key, spec.label) for spec in specs.all_specs()
        ]
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"
        self.table = None

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > settings.CRM_IMPORT_MAX_BYTES:
            self.add_error(
                "file",
                gettext("The file is %(size)s; at most %(max)s can be imported.")
                % {
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(settings.CRM_IMPORT_MAX_BYTES),
                },
            )
            return cleaned
        data = upload.read()
        try:
            self.table = reading.read_table(data, filename=upload.name)
        except reading.FileRefused as refused:
            self.add_error("file", refused.message)
            return cleaned
        cleaned["data"] = data
        return cleaned


class MappingForm(forms.Form):
    """One select per file column (a column of the module, or ignore it), and a
    name to keep the mapping under. Refuses a mapping that leaves a required
    column out or puts two file columns into the same one."""

    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=60,
        required=False,
        help_text=_("Optional; a saved mapping can be picked for the next file."),
    )

    def __init__(self, *args, spec, headers, sample, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.headers = headers
        self.columns = spec.columns()
        self.labels = {c.key: c.header for c in self.columns}
        choices = [("", gettext("— ignore this column —"))] + [
            (c.key, f"{c.header} *" if c.required else c.header) for c in self.columns
        ]
        self.column_fields = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )
            examples = [sample_text(row[index]) for row in sample if index < len(row)]
            self.column_fields.append((name, [e for e in examples if e]))
        self.order_fields([name for name, _ in self.column_fields] + ["save_as"])

    def column_rows(self):
        """(bound field, sample values) per file column, for the template."""
        return [(self[name], examples) for name, examples in self.column_fields]

    def clean(self):
        cleaned = super().clean()
        chosen = {
            index: cleaned.get(f"col_{index}") or None
            for index in range(len(self.headers))
        }
        counts = Counter(key for key in chosen.values() if key)
        for index, key in chosen.items():
            if key and counts[key] > 1:
                others = [
                    self.headers[i]
                    for i, k in chosen.items()
                    if k == key and i != index
                ]
                self.add_error(
                    f"col_{index}",
                    gettext("“%(column)s” is also chosen for %(others)s.")
                    % {"column": self.labels[key], "others": "、".join(others)},
                )
        missing = [c.header for c in self.columns if c.required and c.key not in counts]
        if missing:
            raise forms.ValidationError(
                gettext("Choose a file column for the required %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        cleaned["mapping"] = chosen
        return cleaned

    def saved_mapping(self) -> dict[str, str]:
        """The mapping keyed by normalised header, as a SavedMapping keeps it."""
        return {
            mapping_module.normalise_header(self.headers[index]): key or ""
            for index, key in self.cleaned_data["mapping"].items()
        }


def initial_mapping(spec, headers, saved: SavedMapping | None) -> dict[str, str]:
    """The selects' starting values: a saved mapping where it knows the
    header, else what `auto_map` finds."""
    automatic = mapping_module.auto_map(spec, headers)
    known = {c.key for c in spec.columns()}
    initial = {}
    for index, header in enumerate(headers):
        key = automatic.get(index)
        if saved is not None:
            normalised = mapping_module.normalise_header(header)
            if normalised in saved.mapping:
                stored = saved.mapping[normalised]
                key = stored if stored in known else None
        initial[f"col_{index}"] = key or ""
    return initial
