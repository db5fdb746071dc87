"""GB/T 4754-2017 industries and GB/T 2260 provinces shipped in customers/data/."""

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
SEED_TAGS = [
    ("高潜力客户", "green"),
    ("重点维护客户", "blue"),
    ("风险客户", "red"),
    ("重点客户", "orange"),
    ("战略合作伙伴", "purple"),
]


def short_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_rows(filename: str):
    with open(DATA / filename, encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def load_reference(industry_model, region_model) -> tuple[int, int]:
    """Insert or update every division and province; returns the two counts."""
    industries = [
        industry_model(
            code=r["division"],
            name=r["division_name"],
            section=r["section"],
            section_name=r["section_name"],
        )
        for r in read_rows("industries_gbt4754_2017.csv")
    ]
    industry_model.objects.bulk_create(
        industries,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "section", "section_name"],
    )
    regions = [
        region_model(
            code=r["code"],
            name=r["name"],
            short_name=short_name(r["name"]),
            area=r["area"],
        )
        for r in read_rows("regions_gbt2260.csv")
    ]
    region_model.objects.bulk_create(
        regions,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "short_name", "area"],
    )
    return len(industries), len(regions)


def seed_tags(tag_model) -> None:
    for name, colour in SEED_TAGS:
        tag_model.objects.get_or_create(name=name, defaults={"colour": colour})
