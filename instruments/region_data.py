"""China's administrative divisions (GB/T 2260): provinces, prefecture-level and county-level divisions.

The list ships as `instruments/data/regions.tsv.gz` (3,212 divisions with Chinese and English names and
parent codes; its first line names the source and version, and `instruments/data/README.md` says how
it is rebuilt). Migration 0005 loads it; tests/conftest.py reloads it after transactional tests flush
the database. Nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DIVISIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.tsv.gz"

# Provincial level only: what migration 0002 loaded before the full list shipped (kept for that migration).
PROVINCES = [
    ("110000", "Beijing", "北京市"),
    ("120000", "Tianjin", "天津市"),
    ("130000", "Hebei", "河北省"),
    ("140000", "Shanxi", "山西省"),
    ("150000", "Inner Mongolia", "内蒙古自治区"),
    ("210000", "Liaoning", "辽宁省"),
    ("220000", "Jilin", "吉林省"),
    ("230000", "Heilongjiang", "黑龙江省"),
    ("310000", "Shanghai", "上海市"),
    ("320000", "Jiangsu", "江苏省"),
    ("330000", "Zhejiang", "浙江省"),
    ("340000", "Anhui", "安徽省"),
    ("350000", "Fujian", "福建省"),
    ("360000", "Jiangxi", "江西省"),
    ("370000", "Shandong", "山东省"),
    ("410000", "Henan", "河南省"),
    ("420000", "Hubei", "湖北省"),
    ("430000", "Hunan", "湖南省"),
    ("440000", "Guangdong", "广东省"),
    ("450000", "Guangxi", "广西壮族自治区"),
    ("460000", "Hainan", "海南省"),
    ("500000", "Chongqing", "重庆市"),
    ("510000", "Sichuan", "四川省"),
    ("520000", "Guizhou", "贵州省"),
    ("530000", "Yunnan", "云南省"),
    ("540000", "Tibet", "西藏自治区"),
    ("610000", "Shaanxi", "陕西省"),
    ("620000", "Gansu", "甘肃省"),
    ("630000", "Qinghai", "青海省"),
    ("640000", "Ningxia", "宁夏回族自治区"),
    ("650000", "Xinjiang", "新疆维吾尔自治区"),
    ("710000", "Taiwan", "台湾省"),
    ("810000", "Hong Kong", "香港特别行政区"),
    ("820000", "Macao", "澳门特别行政区"),
]


@dataclass(frozen=True)
class Division:
    code: str
    parent_code: str  # "" for a provincial-level division
    level: int  # 1 provincial, 2 prefecture-level, 3 county-level
    name_zh: str
    name_en: str


@cache
def national_divisions() -> tuple[Division, ...]:
    """Every division in the shipped list, parents before children (sorted by level, then code)."""
    with gzip.open(DIVISIONS_FILE, "rt", encoding="utf-8") as lines:
        rows = [line.rstrip("\n").split("\t") for line in lines if not line.startswith("#")]
    header, body = rows[0], rows[1:]
    if header != ["code", "parent", "level", "name_zh", "name_en"]:
        raise ValueError(f"{DIVISIONS_FILE.name}: unexpected columns {header}")
    divisions = [Division(code, parent, int(level), zh, en) for code, parent, level, zh, en in body]
    return tuple(sorted(divisions, key=lambda division: (division.level, division.code)))


def regions_load(region_model) -> int:
    """Create or update every shipped division, with parent links; returns how many were created.

    Idempotent and set-based (a handful of queries per level), so migrations and the test suite's
    reload after a flush stay fast. Regions that are not in the list (added by hand) are kept.
    `region_model` is the historical model in a migration, the real one elsewhere.
    """
    existing = {
        code: (pk, name_zh, name_en, parent_id, level)
        for code, pk, name_zh, name_en, parent_id, level in region_model.objects.values_list(
            "code", "id", "name_zh", "name_en", "parent_id", "level"
        )
    }
    ids = {code: values[0] for code, values in existing.items()}
    created = 0
    for level in (1, 2, 3):
        divisions = [division for division in national_divisions() if division.level == level]
        missing, changed = [], []
        for division in divisions:
            parent_id = ids.get(division.parent_code) if division.parent_code else None
            wanted = (division.name_zh, division.name_en, parent_id, division.level)
            if division.code not in existing:
                missing.append(
                    region_model(
                        code=division.code,
                        name_zh=division.name_zh,
                        name_en=division.name_en,
                        parent_id=parent_id,
                        level=division.level,
                    )
                )
            elif existing[division.code][1:] != wanted:
                changed.append(
                    region_model(
                        pk=existing[division.code][0],
                        code=division.code,
                        name_zh=division.name_zh,
                        name_en=division.name_en,
                        parent_id=parent_id,
                        level=division.level,
                    )
                )
        region_model.objects.bulk_create(missing, batch_size=500)
        region_model.objects.bulk_update(changed, ["name_zh", "name_en", "parent", "level"], batch_size=500)
        created += len(missing)
        if missing:
            ids.update(region_model.objects.filter(level=level).values_list("code", "id"))
    return created
