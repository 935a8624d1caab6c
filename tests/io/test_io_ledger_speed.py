"""A county-sized (1,000,000-row) ledger is validated in seconds: the checks are vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gis_app.core.idcard import check_digits
from gis_app.core.ledger import ANNEX2_COLUMNS
from gis_app.io.errors import InputFileError
from gis_app.io.headers import HeaderMatch
from gis_app.io.ledger import validate_ledger
from gis_app.io.sheets import RawTable

N = 1_000_000


def _ids(n: int) -> np.ndarray:
    births = (pd.Timestamp("1940-01-01") + pd.to_timedelta(np.arange(n) // 900, unit="D"))
    first17 = ("430523" + pd.Series(births.strftime("%Y%m%d"))
               + pd.Series(np.arange(n) % 900 + 100).astype(str))
    digits = np.frombuffer("".join(first17).encode(), np.uint8).reshape(n, 17) - 48
    return (first17 + check_digits(digits)).to_numpy(dtype=object)


def _table(n: int) -> RawTable:
    rng = np.random.default_rng(1)
    ids = _ids(n)
    ids[n // 2] = ids[n // 2][:17] + ("0" if ids[n // 2][17] != "0" else "1")  # one bad ID
    data = {
        "seq": np.arange(1, n + 1),
        "township": np.full(n, "罗城乡", dtype=object),
        "village": np.full(n, "石门村", dtype=object),
        "head_name": np.full(n, "张三", dtype=object),
        "head_id_number": ids, "members": rng.integers(1, 8, n),
        "attribute": rng.choice(np.array(["1", "3", "1.脱贫户"], dtype=object), n),
        "method": rng.choice(np.array([1, 2], dtype=object), n),
        "housing_problem": rng.choice(np.array(["是", "否"], dtype=object), n),
        "checked_on": np.full(n, "2023-06-01", dtype=object),
        "phone": np.full(n, 13800138000.0, dtype=object),
        "lon": rng.uniform(110, 112, n), "lat": rng.uniform(26, 28, n),
        "income_per_person": rng.uniform(3000, 30000, n),
    }
    raw = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    headers = {c.key: c.header for c in ANNEX2_COLUMNS}
    match = HeaderMatch(3, 4, {k: i for i, k in enumerate(data)}, {k: headers[k] for k in data})
    return RawTable("county.xlsx", raw, np.arange(n) + 5, match)


@pytest.mark.slow
def test_one_bad_id_among_a_million_rows_is_found_on_its_row():
    table = _table(N)
    with pytest.raises(InputFileError) as excinfo:
        validate_ledger(table)
    assert [str(i) for i in excinfo.value.errors] == [
        f"county.xlsx 第{N // 2 + 5}行【户主证件号码】: " + excinfo.value.errors[0].message]
    assert "校验位错误" in excinfo.value.errors[0].message
