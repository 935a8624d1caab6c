"""A dock's cells as shown → typed columns: numbers and percentages as numbers, codes as text."""

from __future__ import annotations

import math

import openpyxl

from gis_app.services.table_export import shown_table, typed_column, write_shown_table


def test_numbers_percentages_and_codes():
    counts, fmt = typed_column([12, 0, None, 3], numeric=False)  # numbers the view gave
    assert counts.tolist()[:2] == [12, 0] and math.isnan(counts[2]) and fmt == "0"
    shares, fmt = typed_column(["85.3%", "—", "100.0%"], numeric=False)
    assert shares[0] == 0.853 and math.isnan(shares[1]) and shares[2] == 1.0
    assert fmt == "0.0%"
    grouped, fmt = typed_column(["1,234", "56"], numeric=True)
    assert grouped.tolist() == [1234, 56] and fmt == "#,##0"
    codes, fmt = typed_column(["430599101201", "0012"], numeric=False)  # digits, not numbers
    assert codes.tolist() == ["430599101201", "0012"] and fmt is None
    mixed, fmt = typed_column(["12", "滑坡"], numeric=True)
    assert mixed.tolist() == ["12", "滑坡"] and fmt is None


def test_written_with_title_header_and_types(tmp_path):
    frame, formats = shown_table(["名称", "户数", "覆盖率"],
                                 [["青山村", 40, "62.5%"], ["（未划入网格）", 3, "—"]], {1})
    path = write_shown_table(frame, tmp_path / "t.xlsx", "排查覆盖（村）", formats)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "排查覆盖（村）" and rows[1] == ["名称", "户数", "覆盖率"]
    assert rows[2] == ["青山村", 40, 0.625] and rows[3] == ["（未划入网格）", 3, None]
    assert sheet["C3"].number_format == "0.0%" and sheet.print_title_rows == "$2:$2"
    book.close()
