"""Reading uploaded files: every format we take, every way a file is refused."""

import datetime

import pytest
from django.utils import translation

from imports.reading import OLE_MAGIC, FileRefused, column_letter, read_table

from .helpers import csv_bytes, xlsx

ROWS = [["客户名称", "城市"], ["上海一号有限公司", "上海"], ["北京二号有限公司", None]]


def refused(data, filename="a.xlsx") -> str:
    with translation.override("zh-hans"), pytest.raises(FileRefused) as exc:
        read_table(data, filename=filename)
    return exc.value.message


def test_an_xlsx_reads_its_first_sheet_with_cells_as_typed():
    data = xlsx(
        [
            ["客户名称", "金额", "日期", "时间"],
            [
                "甲",
                12,
                datetime.date(2024, 3, 5),
                datetime.datetime(2024, 3, 5, 14, 30),
            ],
            [None, None, None, None],  # blank rows are skipped, numbers kept
            ["乙", 1.5, "2024/3/5", None],
        ]
    )
    table = read_table(data, filename="x.xlsx")
    assert table.headers == ["客户名称", "金额", "日期", "时间"]
    assert table.rows[0][:2] == ["甲", 12]
    assert isinstance(table.rows[0][1], int)
    assert table.rows[0][2] in (
        datetime.date(2024, 3, 5),
        datetime.datetime(2024, 3, 5),
    )
    assert table.rows[0][3] == datetime.datetime(2024, 3, 5, 14, 30)
    assert table.rows[1] == ["乙", 1.5, "2024/3/5", None]
    assert len(table) == 2
    assert [table.row_number(i) for i in range(2)] == [2, 4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(encoding):
    table = read_table(csv_bytes(ROWS, encoding), filename="a.csv")
    assert table.headers == ["客户名称", "城市"]
    assert table.rows == [["上海一号有限公司", "上海"], ["北京二号有限公司", None]]


def test_a_semicolon_csv_is_read():
    data = "客户名称;城市\n甲;上海\n".encode()
    assert read_table(data, filename="a.csv").rows == [["甲", "上海"]]


def test_not_a_spreadsheet():
    assert "不是表格" in refused(b"\x89PNG\r\n\x1a\n....", "a.png")
    with pytest.raises(FileRefused):
        read_table(b"PK\x03\x04 broken zip", filename="a.xlsx")
    with pytest.raises(FileRefused):
        read_table(b"just text", filename="a.xlsx")


def test_empty_and_headers_only():
    with pytest.raises(FileRefused):
        read_table(b"", filename="a.csv")
    with pytest.raises(FileRefused):
        read_table(xlsx([]), filename="a.xlsx")
    with pytest.raises(FileRefused) as exc:
        read_table(xlsx([["客户名称", "城市"]]), filename="a.xlsx")
    assert "没有数据行" in exc.value.message


def test_duplicated_and_empty_headers_are_refused():
    with pytest.raises(FileRefused) as exc:
        read_table(xlsx([["客户名称", "客户 名称"], ["a", "b"]]), filename="a.xlsx")
    assert "A" in exc.value.message and "B" in exc.value.message
    with pytest.raises(FileRefused):
        read_table(
            xlsx([["客户名称", None, "城市"], ["a", "b", "c"]]), filename="a.xlsx"
        )
    with pytest.raises(FileRefused):
        # A value under no header.
        read_table(xlsx([["客户名称"], ["a", "b"]]), filename="a.xlsx")


def test_too_many_columns_rows_or_bytes(settings):
    settings.CRM_IMPORT_MAX_COLUMNS = 3
    with pytest.raises(FileRefused) as exc:
        read_table(xlsx([["a", "b", "c", "d"], [1, 2, 3, 4]]), filename="a.xlsx")
    assert "4" in exc.value.message
    with pytest.raises(FileRefused):
        read_table(csv_bytes([["a", "b", "c", "d"], [1, 2, 3, 4]]), filename="a.csv")
    settings.CRM_IMPORT_MAX_COLUMNS = 100
    settings.CRM_IMPORT_MAX_ROWS = 2
    many = [["a"], [1], [2], [3]]
    for data, name in ((xlsx(many), "a.xlsx"), (csv_bytes(many), "a.csv")):
        with pytest.raises(FileRefused) as exc:
            read_table(data, filename=name)
        assert "3" in exc.value.message
    settings.CRM_IMPORT_MAX_BYTES = 10
    with pytest.raises(FileRefused):
        read_table(csv_bytes(ROWS), filename="a.csv")


def test_undecodable_text_is_refused():
    with pytest.raises(FileRefused):
        read_table("客户名称\n甲\n".encode("utf-16"), filename="a.csv")


def test_a_password_protected_workbook_is_refused():
    # An encrypted .xlsx is an OLE compound file with an EncryptionInfo stream.
    data = OLE_MAGIC + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 500
    message = refused(data, "secret.xlsx")
    assert "密码" in message


def test_refusals_are_translated():
    assert refused(b"", "a.csv") == "文件是空的。"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
