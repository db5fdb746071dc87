"""The import wizard as an administrator goes through it: upload (refused files
come back with the reason), column mapping (automatic, by hand, saved),
the dry run's counts and errors, confirm once, the result and the history."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers.models import Customer
from imports.models import ImportJob, SavedMapping
from tests.factories import client_for, make_user

HEADERS = ["客户名称", "客户等级", "省份", "历史合作金额", "公司备注"]


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, headers=HEADERS, encoding="gbk") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode(encoding)


GOOD = [
    ["上海一号科技有限公司", "A", "上海", "50万", "老客户"],
    ["杭州二号网络有限公司", "B", "浙江", "￥120,000.00", ""],
]
BAD = [
    ["上海一号科技有限公司", "A", "上海", "50万", "老客户"],
    ["杭州二号网络有限公司", "Z", "浙江", "很多钱", ""],
]


@pytest.fixture
def admin(client, users):
    client_for(client, users["admin"])
    return users["admin"]


def upload(client, data: bytes, name="客户.xlsx", module="customers"):
    return client.post(
        reverse("imports:import_create"),
        {"module": module, "file": SimpleUploadedFile(name, data)},
    )


def mapping_data(job, **chosen) -> dict:
    """The mapping form as the page offers it, with `col_<i>` overrides."""
    data = {f"col_{i}": "" for i in range(len(job.headers))}
    automatic = {"客户名称": "name", "客户等级": "level", "省份": "region"}
    automatic["历史合作金额"] = "historical_amount"
    for i, header in enumerate(job.headers):
        data[f"col_{i}"] = automatic.get(header, "")
    data.update(chosen)
    return data


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def test_the_upload_page_links_a_template_per_module(client, admin):
    response = client.get(reverse("imports:import_create"))
    assert response.status_code == 200
    template = reverse("imports:import_template", args=["customers"])
    assert template in response.content.decode()
    download = client.get(template)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    assert sheet["B1"].value == "客户名称"


def test_an_unknown_module_template_is_a_404(client, admin):
    url = reverse("imports:import_template", args=["nothing"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("客户.txt", b"hello"),
        ("客户.csv", b""),
        ("客户.csv", "客户名称,客户等级\r\n".encode("gbk")),
        ("客户.xlsx", b"PK\x03\x04 not really a workbook"),
    ],
)
def test_a_refused_file_comes_back_with_the_reason_under_the_field(
    client, admin, name, data
):
    response = upload(client, data, name=name)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["file"]
    assert 'id="id_file_error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_gbk_csv_is_read_and_its_columns_mapped_automatically(client, admin):
    response = upload(client, csv_bytes(GOOD), name="客户.csv")
    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:import_mapping", args=[job.pk])
    assert job.headers == HEADERS and job.rows == 2 and job.user == admin
    page = client.get(response["Location"])
    form = page.context["form"]
    assert [form[f"col_{i}"].value() for i in range(5)] == [
        "name",
        "level",
        "region",
        "historical_amount",
        "",
    ]
    # The file's sample values help to place an unmapped column.
    assert "老客户" in page.content.decode()


def test_a_mapping_without_a_required_column_is_refused_with_the_reason(client, admin):
    upload(client, xlsx(GOOD))
    job = latest_job()
    url = reverse("imports:import_mapping", args=[job.pk])
    response = client.post(url, mapping_data(job, col_0=""))
    assert response.status_code == 200
    assert "客户名称" in " ".join(response.context["form"].non_field_errors())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_two_file_columns_into_one_field_are_refused_next_to_both(client, admin):
    upload(client, xlsx(GOOD))
    job = latest_job()
    url = reverse("imports:import_mapping", args=[job.pk])
    response = client.post(url, mapping_data(job, col_4="name"))
    errors = response.context["form"].errors
    assert "col_0" in errors and "col_4" in errors
    assert "公司备注" in errors["col_0"][0]


def test_the_dry_run_shows_counts_and_every_error_by_row_and_column(client, admin):
    upload(client, xlsx(BAD))
    job = latest_job()
    response = client.post(
        reverse("imports:import_mapping", args=[job.pk]), mapping_data(job)
    )
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert (job.new, job.error_count) == (1, 2)
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "客户等级"),
        (3, "历史合作金额"),
    }
    page = client.get(job.get_absolute_url())
    html = page.content.decode()
    assert 'id="confirm-import"' not in html
    assert reverse("imports:import_errors", args=[job.pk]) in html
    assert "历史合作金额" in html
    # Nothing is written by a dry run.
    assert not Customer.objects.exists()
    # The error file: only the failed row, as it was, with its errors.
    download = client.get(reverse("imports:import_errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [*HEADERS, "错误"]
    assert rows[1][:4] == ["杭州二号网络有限公司", "Z", "浙江", "很多钱"]
    assert "客户等级" in rows[1][5] and "历史合作金额" in rows[1][5]
    assert len(rows) == 2


def test_a_job_with_errors_cannot_be_confirmed(client, admin):
    upload(client, xlsx(BAD))
    job = latest_job()
    client.post(reverse("imports:import_mapping", args=[job.pk]), mapping_data(job))
    response = client.post(reverse("imports:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    assert not Customer.objects.exists()


def check(client, rows=GOOD, **chosen) -> ImportJob:
    upload(client, xlsx(rows))
    job = latest_job()
    client.post(
        reverse("imports:import_mapping", args=[job.pk]), mapping_data(job, **chosen)
    )
    job.refresh_from_db()
    return job


def test_confirming_imports_the_rows_once(client, admin):
    job = check(client)
    assert job.may_confirm, job.errors
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="confirm-import"' in page
    url = reverse("imports:import_confirm", args=[job.pk])
    assert client.post(url).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.new, job.updated, job.error_count) == (2, 0, 0)
    assert job.finished_at is not None
    assert job.progress_done == job.progress_total == 2
    customers = {c.name: c for c in Customer.objects.all()}
    assert set(customers) == {"上海一号科技有限公司", "杭州二号网络有限公司"}
    assert customers["上海一号科技有限公司"].level == "A"
    assert str(customers["上海一号科技有限公司"].historical_amount) == "500000.00"
    # A second tab (or a double click) posting again imports nothing more.
    client.post(url)
    assert Customer.objects.count() == 2
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    # A finished job cannot be mapped and checked again either.
    mapping = reverse("imports:import_mapping", args=[job.pk])
    assert client.get(mapping)["Location"] == job.get_absolute_url()


def test_importing_the_same_file_again_updates_nothing(client, admin):
    job = check(client)
    client.post(reverse("imports:import_confirm", args=[job.pk]))
    again = check(client)
    assert (again.new, again.unchanged, again.error_count) == (0, 2, 0)


def test_retrying_after_errors_with_a_fixed_mapping_works(client, admin):
    # 公司备注 put into 客户名称 by mistake: a required name is empty in row 3.
    job = check(client, col_0="", col_4="name")
    assert job.error_count
    url = reverse("imports:import_mapping", args=[job.pk])
    assert client.get(url).status_code == 200
    client.post(url, mapping_data(job))
    job.refresh_from_db()
    assert job.may_confirm


def test_a_mapping_is_saved_by_name_and_picked_for_the_next_file(client, admin):
    upload(client, xlsx(GOOD))
    job = latest_job()
    data = mapping_data(job, col_4="products", save_as="我的映射")
    client.post(reverse("imports:import_mapping", args=[job.pk]), data)
    saved = SavedMapping.objects.get(module="customers", name="我的映射")
    assert saved.mapping["公司备注"] == "products"
    # The next file names its columns differently in case and width.
    headers = ["客户名称", "客户等级", "省份", "历史合作金额", "公司备注"]
    upload(client, xlsx(GOOD, headers=headers))
    second = latest_job()
    url = reverse("imports:import_mapping", args=[second.pk])
    page = client.get(url)
    assert page.context["form"]["col_4"].value() == ""
    assert "我的映射" in page.content.decode()
    picked = client.get(url, {"saved": saved.pk})
    assert picked.context["form"]["col_4"].value() == "products"
    # Saving again under the same name replaces it.
    client.post(url, mapping_data(second, col_4="", save_as="我的映射"))
    saved.refresh_from_db()
    assert saved.mapping["公司备注"] == ""
    assert SavedMapping.objects.count() == 1


class TaskSpy:
    """Stands in for the task: records what is enqueued, then runs it."""

    def __init__(self, task, run=True):
        self.task = task
        self.run = run
        self.enqueued = []

    def enqueue(self, *args):
        self.enqueued.append(args)
        if not self.run:
            raise AssertionError("a small file must not go to the worker")
        return self.task.enqueue(*args)


def test_a_large_file_runs_in_the_background_task(client, admin, settings, monkeypatch):
    from imports import tasks

    settings.CRM_IMPORT_BACKGROUND_BYTES = 10
    spy = TaskSpy(tasks.run_import_job)
    monkeypatch.setattr(tasks, "run_import_job", spy)
    job = check(client)
    client.post(reverse("imports:import_confirm", args=[job.pk]))
    assert spy.enqueued == [(job.pk, True), (job.pk, False)]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Customer.objects.count() == 2


def test_a_small_file_runs_in_the_request(client, admin, monkeypatch):
    from imports import tasks

    monkeypatch.setattr(tasks, "run_import_job", TaskSpy(None, run=False))
    job = check(client)
    client.post(reverse("imports:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


def test_the_progress_part_polls_while_running_and_stops_when_done(client, admin):
    job = check(client)
    url = reverse("imports:import_progress", args=[job.pk])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, progress_done=1, progress_total=2
    )
    running = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert 'value="50"' in running
    assert 'id="refresh"' in running  # without JS
    assert "<html" not in running
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, new=2, progress_done=2
    )
    done = client.get(url).content.decode()
    assert "hx-trigger" not in done
    assert 'value="100"' in done


def test_the_history_lists_every_import_with_its_counts(client, admin, users):
    check(client, rows=BAD)
    other = make_user("admin2", "管理员")
    ImportJob.objects.create(
        user=other, module="customers", filename="别人的.xlsx", data=b"x"
    )
    response = client.get(reverse("imports:import_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "别人的.xlsx" in html and "客户.xlsx" in html
    job = ImportJob.objects.get(filename="客户.xlsx")
    assert reverse("imports:import_errors", args=[job.pk]) in html


def test_another_admins_job_is_seen_but_not_taken_through_the_steps(
    client, admin, users
):
    other = make_user("admin2", "管理员")
    job = ImportJob.objects.create(
        user=other,
        module="customers",
        filename="别人的.xlsx",
        data=b"x",
        headers=HEADERS,
        status=ImportJob.Status.CHECKED,
    )
    assert client.get(job.get_absolute_url()).status_code == 200
    mapping = reverse("imports:import_mapping", args=[job.pk])
    assert client.get(mapping).status_code == 403
    confirm = reverse("imports:import_confirm", args=[job.pk])
    assert client.post(confirm).status_code == 403


@pytest.mark.parametrize(
    "name",
    ["import_detail", "import_mapping", "import_progress", "import_errors"],
)
def test_a_job_that_does_not_exist_is_a_404(client, admin, name):
    assert client.get(reverse(f"imports:{name}", args=[999999])).status_code == 404


def test_names_from_the_file_are_shown_escaped(client, admin):
    headers = ["客户名称", "<b>备注</b>"]
    rows = [["<script>alert(1)</script>", "x"]]
    upload(client, xlsx(rows, headers=headers), name="<i>客户.xlsx")
    job = latest_job()
    page = client.get(reverse("imports:import_mapping", args=[job.pk]))
    html = page.content.decode()
    assert "<b>备注</b>" not in html and "&lt;b&gt;备注&lt;/b&gt;" in html
    assert "<script>alert(1)</script>" not in html
    client.post(
        reverse("imports:import_mapping", args=[job.pk]),
        {"col_0": "name", "col_1": ""},
    )
    for url in (job.get_absolute_url(), reverse("imports:import_list")):
        html = client.get(url).content.decode()
        assert "<i>客户" not in html and "&lt;i&gt;客户.xlsx" in html


def queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_history_reads_a_fixed_number_of_queries(client, admin):
    def grow(n):
        ImportJob.objects.bulk_create(
            ImportJob(
                user=admin,
                module="customers",
                filename=f"{i}.xlsx",
                data=b"x" * 100,
                error_file=b"y" if i % 2 else None,
            )
            for i in range(n)
        )

    grow(2)
    few = queries(client, reverse("imports:import_list"))
    grow(20)
    many = queries(client, reverse("imports:import_list"))
    assert few == many
    assert many <= 8


def test_the_navigation_shows_import_to_admins_only(client, users):
    client_for(client, users["admin"])
    url = reverse("imports:import_list")
    assert f'href="{url}"' in client.get(reverse("crm:workbench")).content.decode()
    client_for(client, users["manager"])
    assert f'href="{url}"' not in client.get(reverse("crm:workbench")).content.decode()
