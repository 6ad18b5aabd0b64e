"""Reading import files: encodings, blank lines, spreadsheets with Excel-typed cells."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from kehu.imports import readers
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


@pytest.fixture(params=["whole", "sliced"])
def slicing(request, monkeypatch):
    """XLSX sheets read whole by calamine, or in slices of a few rows (as big sheets are read)."""
    if request.param == "sliced":
        monkeypatch.setattr(readers, "XLSX_SLICE_BYTES", 200)
        monkeypatch.setattr(readers, "_SHARED_STRINGS_SHARE", 0)
    return request.param


def test_xlsx_cells_keep_excel_types_and_row_numbers(tmp_path, slicing):
    rows = [["姓名", "手机", "身份证号", "出生日期"],
            ["张三", 13800138000, "11010519491231002X", dt.date(1949, 12, 31)],
            None,
            ["李四", 13900139000.0, 110105194912310020, ""]]
    path = write_xlsx(tmp_path / "c.xlsx", rows, start_row=2, sheet="客户", extra_sheets=("说明",))
    assert open_table(path).sheet == "说明"  # without a sheet name: the first sheet
    reader = open_table(path, sheet="客户")
    assert (reader._slices is not None) == (slicing == "sliced")
    assert reader.sheet == "客户"
    assert reader.sheet_names == ["说明", "客户"]
    assert reader.header_row == 3
    data = list(reader.rows())
    assert [row for row, _values in data] == [4, 6]
    assert data[0][1][1] == 13800138000.0
    assert data[0][1][3] == dt.date(1949, 12, 31)
    assert isinstance(data[1][1][2], float)  # an 18-digit number typed in Excel: digits already lost


def test_unknown_sheet_is_unreadable(tmp_path, slicing):
    path = write_xlsx(tmp_path / "c.xlsx", [["姓名"], ["张三"]])
    with pytest.raises(UnreadableFile) as error:
        open_table(path, sheet="没有")
    assert "Sheet1" in str(error.value)


def _big_sheet_rows() -> list[list | None]:
    header = ["客户编号", "姓名", "手机", "开户日期", "余额", "备注"]
    rows: list[list | None] = [["客户清单（2024年6月）"], None, header]
    for index in range(1, 120):
        if index % 17 == 0:
            rows.append(None)  # a blank line keeps its number
            continue
        rows.append([f"K{index:05d}", f"客户{index}", 13800000000 + index, dt.date(2024, 1, 1) + dt.timedelta(index),
                     index * 1.25, "" if index % 3 else f"备注 <&> {index}"])
    return rows


@pytest.mark.parametrize("inline_strings", [False, True])
def test_sliced_reading_equals_whole_reading(tmp_path, monkeypatch, inline_strings):
    """Slices cut anywhere give the same header, rows, numbers and typed cells as one whole parse."""
    path = tmp_path / "big.xlsx"
    if inline_strings:  # as Kehu's own exports and the benchmark write them (constant_memory: no shared strings)
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        worksheet = workbook.add_worksheet("客户")
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for number, row in enumerate(_big_sheet_rows()):
            for column, value in enumerate(row or []):
                if isinstance(value, dt.date):
                    worksheet.write_datetime(number, column, value, date_format)
                elif value != "":
                    worksheet.write(number, column, value)
        workbook.close()
    else:
        write_xlsx(path, _big_sheet_rows(), sheet="客户", extra_sheets=("说明",))
    whole = open_table(path, sheet="客户")
    assert whole._slices is None
    expected = list(whole.rows())
    pieces = readers.XlsxSlices._pieces
    sizes: list[int] = []

    def counted(self):
        for piece in pieces(self):
            sizes.append(len(piece))
            yield piece

    monkeypatch.setattr(readers.XlsxSlices, "_pieces", counted)
    for size in (150, 700, 5000):
        monkeypatch.setattr(readers, "XLSX_SLICE_BYTES", size)
        monkeypatch.setattr(readers, "_SHARED_STRINGS_SHARE", 0)
        sliced = open_table(path, sheet="客户")
        assert sliced._slices is not None
        sizes.clear()
        assert (sliced.header_row, sliced.headers) == (3, ["客户编号", "姓名", "手机", "开户日期", "余额", "备注"])
        assert sliced.estimated_rows == whole.estimated_rows == 121  # the last row's number
        assert list(sliced.rows()) == expected
        assert len(sizes) > 2
    assert len(expected) == 112
    assert expected[0] == (4, ["K00001", "客户1", 13800000001.0, dt.date(2024, 1, 2), 1.25, ""])
    assert expected[2][1][5] == "备注 <&> 3"
    assert [number for number, _values in expected[14:17]] == [18, 19, 21]  # row 20 is blank


def test_sliced_reading_keeps_columns_and_cleans_up(tmp_path, monkeypatch):
    """A slice whose cells start right of column A keeps them in their columns; a reader left after a few rows
    (the header, a preview) leaves no thread and no temporary file behind."""
    monkeypatch.setattr(readers, "XLSX_SLICE_BYTES", 200)
    monkeypatch.setattr(readers, "_SHARED_STRINGS_SHARE", 0)
    monkeypatch.setattr(readers.tempfile, "tempdir", str(tmp_path))
    rows: list[list | None] = [["编号", "姓名", "城市"]]
    rows += [[f"K{index}", f"名{index}", "北京"] for index in range(1, 40)]
    rows += [["", f"名{index}", "上海"] for index in range(40, 80)]  # slices with nothing in column A
    path = write_xlsx(tmp_path / "c.xlsx", rows)
    threads = threading.active_count()
    reader = open_table(path)
    assert reader._slices is not None
    data = list(reader.rows())
    assert data[-1] == (80, ["", "名79", "上海"])
    assert len(data) == 79
    first = reader.rows()
    assert next(first) == (2, ["K1", "名1", "北京"])
    first.close()
    assert threading.active_count() == threads
    assert not list(tmp_path.glob("kehu-xlsx-*"))


def test_sliced_reading_of_a_damaged_file_is_unreadable(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "XLSX_SLICE_BYTES", 200)
    monkeypatch.setattr(readers, "_SHARED_STRINGS_SHARE", 0)
    rows = [["编号", "姓名"]] + [[f"K{index}", f"名{index}"] for index in range(1, 200)]
    path = write_xlsx(tmp_path / "c.xlsx", rows)
    reader = open_table(path)
    assert reader._slices is not None
    reader._slices.part = "xl/worksheets/missing.xml"
    with pytest.raises(UnreadableFile):
        list(reader.rows())
