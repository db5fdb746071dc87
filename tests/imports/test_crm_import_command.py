"""`manage.py crm_import`: counts, every error with row and column, exit 1."""

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer

from .helpers import csv_bytes, xlsx


def test_import_prints_counts_and_writes(users, tmp_path, capsys):
    path = tmp_path / "c.xlsx"
    path.write_bytes(xlsx([["客户名称", "省份"], ["命令行有限公司", "上海"]]))
    call_command("crm_import", "customers", str(path), "--user", "admin")
    assert "new 1" in capsys.readouterr().out
    assert Customer.objects.get().name == "命令行有限公司"


def test_an_unknown_column_is_refused_unless_left_out_on_purpose(
    users, tmp_path, capsys
):
    # A column the command cannot place may be a misspelt header: ignoring it
    # would drop its data silently.
    path = tmp_path / "c.xlsx"
    path.write_bytes(
        xlsx([["客户名称", "省份", "备注列"], ["命令行有限公司", "上海", "x"]])
    )
    with pytest.raises(CommandError) as exc:
        call_command("crm_import", "customers", str(path), "--user", "admin")
    assert exc.value.returncode == 1 and "备注列" in str(exc.value)
    assert not Customer.objects.exists()
    call_command(
        "crm_import", "customers", str(path), "--user", "admin", "--ignore-unknown"
    )
    out = capsys.readouterr().out
    assert "new 1" in out and "备注列" in out
    assert Customer.objects.get().name == "命令行有限公司"


def test_dry_run_writes_nothing(users, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes([["客户名称"], ["试运行有限公司"]], "gbk"))
    call_command("crm_import", "customers", str(path), "--user", "admin", "--dry-run")
    assert "new 1" in capsys.readouterr().out
    assert not Customer.objects.exists()


def test_errors_are_printed_with_row_and_column_and_exit_1(users, tmp_path, capsys):
    path = tmp_path / "c.xlsx"
    path.write_bytes(
        xlsx(
            [["客户名称", "历史合作金额"], ["好有限公司", "1"], ["坏有限公司", "很多"]]
        )
    )
    with pytest.raises(CommandError) as exc:
        call_command("crm_import", "customers", str(path), "--user", "admin")
    assert exc.value.returncode == 1
    err = capsys.readouterr().err
    assert "第 3 行 [历史合作金额]" in err
    assert not Customer.objects.exists()


def test_refused_files_unknown_modules_and_users(users, tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="空"):
        call_command("crm_import", "customers", str(path), "--user", "admin")
    with pytest.raises(CommandError, match="Unknown module"):
        call_command("crm_import", "nothing", str(path), "--user", "admin")
    with pytest.raises(CommandError, match="No active user"):
        call_command("crm_import", "customers", str(path), "--user", "ghost")
    path.write_bytes(xlsx([["客户名称"], ["a"]]))
    with pytest.raises(CommandError, match="may not import"):
        call_command("crm_import", "customers", str(path), "--user", "rep1")
