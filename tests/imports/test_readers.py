"""Reading import files: encodings, blank lines, spreadsheets with Excel-typed cells."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.imports.readers import UnreadableFile, open_table

from .conftest import write_csv, write_xlsx

ROWS = [["姓名", "手机号码", "地址"], ["吉祥", "13800138000", "上海市徐汇区"], None, ["𠮷野家", "13900139000", "北京"]]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")],
)
def test_encodings_are_detected_and_rows_numbered_as_in_the_file(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "c.csv", ROWS, encoding=encoding)
    reader = open_table(path)
    assert reader.encoding == detected
    assert reader.headers == ["姓名", "手机号码", "地址"]
    # the blank line 3 is skipped but keeps its number
    assert list(reader.rows()) == [(2, ["吉祥", "13800138000", "上海市徐汇区"]), (4, ["𠮷野家", "13900139000", "北京"])]


def test_gbk_file_is_read_as_gb18030(tmp_path):
    rows = [["姓名", "城市"], ["张三", "广州"], ["李四", "深圳"]]
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk")
    reader = open_table(path)
    assert reader.encoding == "gb18030"
    assert [values for _row, values in reader.rows()] == rows[1:]
    forced = open_table(path, encoding="gbk")
    assert [values for _row, values in forced.rows()] == rows[1:]


def test_forced_utf8_on_a_gbk_file_is_unreadable(tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [["姓名"], ["张三"]], encoding="gbk")
    with pytest.raises(UnreadableFile):
        open_table(path, encoding="utf-8")


def test_header_after_blank_lines_and_tab_separated(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("\n\n姓名\t手机\n\n王五\t13800138000\n", encoding="utf-8")
    reader = open_table(path)
    assert reader.header_row == 3
    assert reader.headers == ["姓名", "手机"]
    assert list(reader.rows()) == [(5, ["王五", "13800138000"])]


def test_short_rows_are_padded_and_quoted_newlines_keep_one_row(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('姓名,地址,备注\n"赵六","第一行\n第二行"\n钱七,北京,x\n', encoding="utf-8")
    rows = list(open_table(path).rows())
    assert rows == [(2, ["赵六", "第一行\n第二行", ""]), (3, ["钱七", "北京", "x"])]


def test_missing_empty_and_binary_files_are_unreadable(tmp_path):
    with pytest.raises(UnreadableFile):
        open_table(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(UnreadableFile):
        open_table(empty)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip file at all")
    with pytest.raises(UnreadableFile):
        open_table(fake)


def test_xlsx_cells_keep_excel_types_and_row_numbers(tmp_path):
    rows = [["姓名", "手机", "身份证号", "出生日期"],
            ["张三", 13800138000, "11010519491231002X", dt.date(1949, 12, 31)],
            None,
            ["李四", 13900139000.0, 110105194912310020, ""]]
    path = write_xlsx(tmp_path / "c.xlsx", rows, start_row=2, sheet="客户", extra_sheets=("说明",))
    assert open_table(path).sheet == "说明"  # without a sheet name: the first sheet
    reader = open_table(path, sheet="客户")
    assert reader.sheet == "客户"
    assert reader.sheet_names == ["说明", "客户"]
    assert reader.header_row == 3
    data = list(reader.rows())
    assert [row for row, _values in data] == [4, 6]
    assert data[0][1][1] == 13800138000.0
    assert data[0][1][3] == dt.date(1949, 12, 31)
    assert isinstance(data[1][1][2], float)  # an 18-digit number typed in Excel: digits already lost


def test_unknown_sheet_is_unreadable(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [["姓名"], ["张三"]])
    with pytest.raises(UnreadableFile) as error:
        open_table(path, sheet="没有")
    assert "Sheet1" in str(error.value)
