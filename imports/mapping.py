"""Which column of a file is which field (DESIGN §6): headers matched by their
Chinese label or field name, ignoring case, spaces and full-/half-width."""

import unicodedata


def normalise_header(text) -> str:
    """NFKC (full-width as half-width), case-folded, without any spaces."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(text.casefold().split())


def auto_map(spec, headers) -> dict[int, str | None]:
    """{column index: column key} for the file's `headers`; None where the
    header names no column of `spec` (the wizard offers those for mapping).
    A column key is placed once: a second header naming it maps to None."""
    names = {}
    for column in spec.columns():
        for name in (column.key, column.header, *column.aliases):
            names.setdefault(normalise_header(name), column.key)
    mapping, placed = {}, set()
    for i, header in enumerate(headers):
        key = names.get(normalise_header(header))
        if key in placed:
            key = None
        mapping[i] = key
        if key:
            placed.add(key)
    return mapping
