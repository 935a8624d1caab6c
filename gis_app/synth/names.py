"""Name pools and identifiers of the synthetic county: people, places, ID numbers and phones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_app.core.idcard import check_digits
from gis_app.synth.common import joined, text

COUNTY_CODE = "430599"
COUNTY_NAME = "青溪县"

# Common surnames, Hunan-flavoured, with rough relative frequencies.
_SURNAMES = "".join(dict.fromkeys(
    "刘李王张陈杨周黄邓彭曾谭唐罗肖胡吴蒋谢赵易廖何龙向毛石贺朱颜邹戴袁萧文"
    "汤舒尹田钟梁宋郭许杜夏伍侯丁孙段雷陶姚覃陆蔡康马方任范梅卢韩曹"))
_SURNAME_WEIGHTS = np.r_[np.linspace(9.0, 2.0, 30), np.linspace(1.8, 0.4, len(_SURNAMES) - 30)]
_MALE_FIRST = "建国志明光德文俊永红伟海春新小家爱立军平华金长宏福成世"
_MALE_SECOND = "华明军平强林生勇国峰辉亮清波斌兵龙云东杰良荣发才富宝山"
_FEMALE_FIRST = "秀桂春玉美丽小红金冬海雪翠淑月慧晓爱彩凤菊梅兰芳艳"
_FEMALE_SECOND = "英兰珍芳华梅霞红莲娥花琴凤云萍娟丽艳燕玲娇秀香敏洁"

TOWNSHIP_POOL = (
    "青山乡", "溪口镇", "高峰乡", "白沙镇", "石门乡", "龙潭镇", "桃花乡", "梅田镇", "金竹乡",
    "黄土镇", "枫林乡", "双河镇", "大坪乡", "观音乡", "茶溪镇", "牛头乡", "长塘镇", "岩口乡",
    "水田乡", "马鞍镇", "云台乡", "凤凰镇", "五里乡", "杉木乡", "铁山镇", "雷打乡", "麻塘镇",
    "沙溪乡", "古楼乡", "太平镇", "柳溪乡", "洞口镇", "横板乡", "朝阳镇", "仙人乡", "新塘镇",
)
_PLACE_FIRST = ("青白黄金银石龙凤桃梅竹松枫柳杉茶樟桂荷兰云天水"
                "山沙田花马牛鹤雁鱼岩铁双三五大小高长新古东西南北上下")
_PLACE_SECOND = "桥塘坪冲湾溪岭坡山田园湖洞坳垅铺口家林源泉坑岗江洲门庄寨"
VILLAGE_POOL = (
    "石桥", "柳塘", "枫树", "桃源", "龙潭", "金竹", "白沙", "杨家", "大坪", "黄泥", "茶园", "新屋",
    "长冲", "塘湾", "马鞍", "青龙", "凤凰", "双河", "三星", "五里", "竹山", "荷花", "梅子", "松林",
    "樟树", "花桥", "田心", "板桥", "岩口", "石门", "水口", "高家", "罗家", "刘家", "沙坪", "雷公",
    "天堂", "云峰", "鹤山", "牛角", "狮子", "乌龙", "铁炉", "银山", "金坪", "新田", "河边", "沙洲",
    "桐木", "杉木", "木瓜", "柑子", "茶山", "油溪", "鸭塘", "鱼塘", "莲花", "桂花", "兰田", "古塘",
    "老屋", "新桥", "中心", "红旗", "光明", "胜利", "团结", "和平", "建新", "东风", "观音", "仙鹅",
    "白果", "黄柏", "大湾", "小溪", "坪上", "溪头", "岭脚", "山背", "龙井", "凉亭", "廖家", "谭家",
)
RIVER_POOL = (
    "桃花溪", "龙溪", "白水", "黄沙溪", "金溪", "石溪", "梅溪", "竹溪", "杉溪", "云溪", "枫溪",
    "洞溪", "清水溪", "大溪", "小河", "双溪", "沙溪", "茶溪", "鹤溪", "岩溪",
)


def _given_names(first: str, second: str) -> list[str]:
    """Two-character given names from two character pools, plus the single characters."""
    return [a + b for a in first for b in second if a != b] + list(second)


class NamePool:
    """Synthetic Chinese personal names, drawn as indices into a surname × given-name table.

    Parameters
    ----------
    rng : numpy.random.Generator
        Stream the surnames and given names are drawn from.
    """

    def __init__(self, rng: np.random.Generator):
        self.surnames = list(_SURNAMES)
        self._surname_p = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()
        self._given = (_given_names(_FEMALE_FIRST, _FEMALE_SECOND),
                       _given_names(_MALE_FIRST, _MALE_SECOND))
        self._tables = tuple([s + g for s in self.surnames for g in given]
                             for given in self._given)
        self._table = text(self._tables[0] + self._tables[1],
                           np.arange(len(self._tables[0]) + len(self._tables[1])))
        self._rng = rng

    def surname_codes(self, n: int) -> np.ndarray:
        """Draw ``n`` surname indices with realistic frequencies."""
        return self._rng.choice(len(self.surnames), size=n, p=self._surname_p)

    def full_names(self, surname: np.ndarray, male: np.ndarray) -> pd.Series:
        """Full names for the given surname indices and sexes (vectorised)."""
        surname = np.asarray(surname, np.int64)
        male = np.asarray(male, bool)
        n_female, n_male = len(self._given[0]), len(self._given[1])
        given = np.where(male, self._rng.integers(0, n_male, len(surname)),
                         self._rng.integers(0, n_female, len(surname)))
        codes = np.where(male, len(self._tables[0]) + surname * n_male + given,
                         surname * n_female + given)
        return pd.Series(self._table.take(codes))

    def names(self, n: int, male: np.ndarray) -> pd.Series:
        """``n`` full names with freshly drawn surnames."""
        return self.full_names(self.surname_codes(n), male)


def township_names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct township names; the first three are those of the bundled sample."""
    pool = list(TOWNSHIP_POOL)
    extra = [a + b + s for a in _PLACE_FIRST for b in _PLACE_SECOND for s in ("乡", "镇")]
    extra = [name for name in extra if name not in pool and name[:2] not in
             {p[:2] for p in pool}]
    head, tail = pool[:3], pool[3:]
    rng.shuffle(tail)
    order = rng.permutation(len(extra))
    names = head + tail + [extra[i] for i in order]
    # Keep one name per two-character stem, so villages and communities named after it differ.
    seen, out = set(), []
    for name in names:
        if name[:-1] not in seen:
            seen.add(name[:-1])
            out.append(name)
        if len(out) == count:
            return out
    raise ValueError(f"too many townships: {count}")


def village_stems(count: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``count`` distinct village name stems (without 村), none of them in ``taken``."""
    pool = [stem for stem in VILLAGE_POOL if stem not in taken]
    rng.shuffle(pool)
    extra = [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND]
    extra += [s + "家" + b for s in _SURNAMES[:40] for b in _PLACE_SECOND]
    extra = [e for e in dict.fromkeys(extra) if e not in taken and e not in VILLAGE_POOL]
    extra = [extra[i] for i in rng.permutation(len(extra))]
    stems = pool + extra
    if count > len(stems):
        prefixed = [p + s for p in "新老上下" for s in stems]
        stems += prefixed
    if count > len(stems):
        raise ValueError(f"too many villages: {count}")
    return stems[:count]


_CHECK_CHARS = "10X98765432"
#: Position in _CHECK_CHARS of each check character (indexed by its code point).
_CHECK_ORDER = np.zeros(128, np.int64)
_CHECK_ORDER[[ord(c) for c in _CHECK_CHARS]] = np.arange(11)
#: Position in "0123456789X" of the check character for each weighted sum mod 11.
_CHECK_CODE = np.array(["0123456789X".index(c) for c in _CHECK_CHARS])


class IdAllocator:
    """Unique, valid resident ID numbers (GB 11643) of the county's region code.

    Each (birth day, sex) pair has 499 sequence numbers; ``block`` reserves a slice of them for
    one kind of person (villagers, workers), so separate calls never collide.

    Parameters
    ----------
    rng : numpy.random.Generator
        Shuffles the order in which sequence numbers are handed out.
    """

    _BLOCKS = {"persons": (0, 440), "workers": (440, 499)}
    _FIRST_DAY = np.datetime64("1900-01-01", "D")

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._perm = rng.permutation(499)
        self._fill: dict[str, np.ndarray] = {}
        days = (np.datetime64("2040-01-01", "D") - self._FIRST_DAY).astype(np.int64)
        self._n_days = int(days)
        region = np.frombuffer(COUNTY_CODE.encode(), np.uint8) - 48
        self._region = region.astype(np.int64)

    def allocate(self, birth: np.ndarray, male: np.ndarray, block: str = "persons") -> pd.Series:
        """Return one new ID number per person.

        Parameters
        ----------
        birth : numpy.ndarray
            Birth dates (``datetime64[D]``); a date whose sequence numbers are used up moves to
            the next day.
        male : numpy.ndarray
            Sex of each person (the 17th digit is odd for men).
        block : str
            ``"persons"`` or ``"workers"``.

        Returns
        -------
        pandas.Series
            18-character ID numbers (``str`` dtype), in input order.
        """
        start, stop = self._BLOCKS[block]
        size = stop - start
        fill = self._fill.setdefault(block, np.zeros(self._n_days * 2, np.int64))
        day_no = (np.asarray(birth, "datetime64[D]") - self._FIRST_DAY).astype(np.int64)
        male = np.asarray(male, bool)
        k = np.empty(len(day_no), np.int64)
        todo = np.arange(len(day_no))
        while len(todo):
            bucket = (day_no[todo] * 2 + male[todo]).astype(np.int32)
            order = np.argsort(bucket, kind="stable")
            sb = bucket[order]
            first = np.r_[True, sb[1:] != sb[:-1]]
            run_start = np.maximum.accumulate(np.where(first, np.arange(len(sb)), 0))
            kk = fill[sb] + np.arange(len(sb)) - run_start
            ok = kk < size
            k[todo[order[ok]]] = kk[ok]
            fill += np.bincount(sb[ok], minlength=len(fill))
            todo = todo[order[~ok]]
            day_no[todo] += 1
        # Spread the numbers of each day over the block (a fixed shuffle per day and sex).
        bucket = day_no * 2 + male
        shift = (bucket * 2654435761) % size
        half = self._perm[start + (k + shift) % size]
        seq = 2 * half + np.where(male, 1, 2)
        return self._strings(day_no, seq)

    def _strings(self, day_no: np.ndarray, seq: np.ndarray) -> pd.Series:
        """Format region + birth date + sequence + check digit (vectorised)."""
        present = np.flatnonzero(np.bincount(day_no))
        lookup = np.zeros(present[-1] + 1, np.int64)
        lookup[present] = np.arange(len(present))
        dates = self._FIRST_DAY + present
        years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        ymd_table = years * 10000 + months * 100 + dom
        day_code = lookup[day_no]
        # The check digit is a weighted sum mod 11, so it splits into parts: region, birth
        # date and sequence. check_digits on rows holding one part each gives the parts.
        rows = np.zeros((len(ymd_table) + 1001, 17), np.int64)
        rows[0, :6] = self._region
        rows[1:1001, 14:] = np.arange(1000)[:, None] // 10 ** np.arange(2, -1, -1) % 10
        rows[1001:, 6:14] = ymd_table[:, None] // 10 ** np.arange(7, -1, -1) % 10
        part = _CHECK_ORDER[check_digits(rows).view(np.uint32)]
        total = (part[0] + part[1:1001][seq] + part[1001:][day_code]) % 11
        check_code = _CHECK_CODE[total]
        head = text([f"{COUNTY_CODE}{d:08d}" for d in ymd_table], day_code)
        tail = text([f"{s:03d}{c}" for s in range(1000) for c in "0123456789X"],
                    seq * 11 + check_code)
        return joined(head, tail)


class PhoneBook:
    """Unique synthetic mobile numbers (11 digits, 13x/15x/18x/17x/19x prefixes)."""

    PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155,
                         156, 157, 158, 159, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189,
                         199])

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._used: list[np.ndarray] = []

    def draw(self, n: int) -> np.ndarray:
        """Draw ``n`` new numbers (as int64), distinct from each other and from earlier draws."""
        out = []
        have = 0
        while have < n:
            need = n - have
            cand = (self._rng.choice(self.PREFIXES, need) * 100_000_000
                    + self._rng.integers(0, 100_000_000, need))
            # Sort-based membership tests: much faster than np.isin/np.unique on large arrays.
            order = np.argsort(cand, kind="stable")
            ordered = cand[order]
            bad = np.r_[False, ordered[1:] == ordered[:-1]]
            for used in self._used:
                pos = np.minimum(np.searchsorted(used, ordered), len(used) - 1)
                bad |= used[pos] == ordered
            fresh = np.zeros(need, bool)
            fresh[order] = ~bad
            accepted = cand[fresh]
            out.append(accepted)
            have += len(accepted)
            self._used.append(np.sort(accepted))
        return np.concatenate(out)[:n]

    @staticmethod
    def strings(numbers: np.ndarray, present: np.ndarray | None = None) -> pd.Series:
        """Format numbers as 11-digit strings; positions where ``present`` is False are missing."""
        numbers = np.asarray(numbers, np.int64)
        quad = [f"{i:04d}" for i in range(10000)]
        prefix = numbers // 100_000_000
        mid = numbers // 10_000 % 10_000
        low = numbers % 10_000
        prefix_code = np.where(present if present is not None else True, prefix - 100, -1)
        return joined(text([str(p) for p in range(100, 200)], prefix_code),
                      text(quad, mid), text(quad, low))

