"""The template a module hands out and the file of an import's failed rows."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from imports import reading
from imports.engine import ImportResult, RowError
from imports.specs import ColumnSpec
from imports.workbooks import ERROR_HEADER, error_workbook, template_workbook


class FakeSpec:
    key = "fake"
    label = "假数据"

    def columns(self):
        return [
            ColumnSpec("name", "客户名称", required=True, example="上海示例有限公司"),
            ColumnSpec("level", "客户等级", choices=["A", "B", "C", "D"], example="A"),
            ColumnSpec(
                "industry",
                "所属行业",
                # Longer than the 255 characters a validation can hold inline.
                choices=[f"行业{i:03d}的很长的名称" for i in range(60)],
                example="行业001的很长的名称",
            ),
            ColumnSpec("cf_budget", "预算", example="50万"),
        ]


def open_book(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_the_template_has_the_headers_an_example_and_dropdowns():
    book = open_book(template_workbook(FakeSpec()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["客户名称", "客户等级", "所属行业", "预算"]
    assert [c.value for c in sheet[2]] == [
        "上海示例有限公司",
        "A",
        "行业001的很长的名称",
        "50万",
    ]
    # Required columns stand out.
    assert sheet["A1"].font.color.rgb.endswith("B42318")
    assert sheet["B1"].comment is None and sheet["A1"].comment is not None
    # One dropdown per column with choices, over the data rows, fed from the
    # hidden options sheet.
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"B2:B5000", "C2:C5000"}
    assert validations["B2:B5000"].type == "list"
    options = book["选项"]
    assert options.sheet_state == "hidden"
    level_range = validations["B2:B5000"].formula1
    column = level_range.split("!")[1].split(":")[0].strip("$")[0]
    assert [options[f"{column}{r}"].value for r in range(2, 6)] == ["A", "B", "C", "D"]
    industry_range = validations["C2:C5000"].formula1
    assert industry_range.endswith("$61")


def test_the_template_reads_back_as_a_table_with_its_example_row():
    data = template_workbook(FakeSpec())
    table = reading.read_table(data, filename="模板.xlsx")
    assert table.headers == ["客户名称", "客户等级", "所属行业", "预算"]
    assert len(table) == 1


def table(rows):
    return reading.Table(
        headers=["客户名称", "客户等级", "首次合作时间"],
        rows=rows,
        numbers=[2 + i * 2 for i in range(len(rows))],  # blank rows in between
    )


def test_the_error_file_holds_the_failed_rows_as_they_were_with_their_errors():
    rows = [
        ["好公司", "A", datetime.datetime(2023, 6, 1)],
        ["坏公司", "Z", "去年"],
        ['=HYPERLINK("http://x")', 12, None],
    ]
    result = ImportResult(
        rows=3,
        errors=[
            RowError(4, "客户等级", "“Z” 不是可选的客户等级。"),
            RowError(4, "首次合作时间", "无法识别的日期。"),
            RowError(6, "客户名称", "太长了。"),
            RowError(1, "客户名称", "文件中没有“客户名称”这一列。"),
        ],
    )
    sheet = open_book(error_workbook(table(rows), result)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["客户名称", "客户等级", "首次合作时间", ERROR_HEADER]
    # A file-level error (the header row) first, on a row of its own.
    assert values[1] == [None, None, None, "客户名称: 文件中没有“客户名称”这一列。"]
    # Excel row 4 is the second data row: its cells as read, both errors.
    assert values[2] == [
        "坏公司",
        "Z",
        "去年",
        "客户等级: “Z” 不是可选的客户等级。; 首次合作时间: 无法识别的日期。",
    ]
    # Text that looks like a formula stays text; numbers stay numbers.
    assert values[3][:2] == ['=HYPERLINK("http://x")', 12]
    assert sheet.cell(row=4, column=1).data_type == "s"
    assert len(values) == 4  # the good row is not in the file


def test_the_error_file_reads_back_as_the_rows_it_came_from():
    rows = [["坏公司", "Z", datetime.date(2023, 6, 1)]]
    result = ImportResult(rows=1, errors=[RowError(2, "客户等级", "不对")])
    data = error_workbook(table(rows), result)
    again = reading.read_table(data, filename="错误.xlsx")
    assert again.headers == ["客户名称", "客户等级", "首次合作时间", ERROR_HEADER]
    assert again.rows[0][:2] == ["坏公司", "Z"]
    assert again.rows[0][2] == datetime.date(2023, 6, 1)


def test_control_characters_in_cells_do_not_break_the_error_file():
    rows = [["坏\x01公司\x0b", "A", None]]
    result = ImportResult(rows=1, errors=[RowError(2, "客户名称", "不对")])
    sheet = open_book(error_workbook(table(rows), result)).worksheets[0]
    assert sheet["A2"].value == "坏公司"


@pytest.mark.parametrize("count", [1, 300])
def test_every_error_is_in_the_file(count):
    rows = [[f"公司{i}", "Z", None] for i in range(count)]
    numbers = table(rows).numbers
    result = ImportResult(
        rows=count, errors=[RowError(n, "客户等级", "不对") for n in numbers]
    )
    sheet = open_book(error_workbook(table(rows), result)).worksheets[0]
    assert sheet.max_row == count + 1
