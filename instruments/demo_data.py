"""The demo city platform: Baotou, 47 verified units, 945 instruments worth 350,000,000.00 CNY.

The figures are those of the city platform the product is modelled on. Its units sit in Baotou's
districts and counties: Inner Mongolia's universities, institutes, metrology and inspection centres,
hospitals and enterprises. The institutions are named after real ones in Baotou (and a few invented
where a district needed one); every credit code, contact, address detail and instrument list is
fictitious, generated here. Instrument types, makes and specifications come from demo_catalogue.py.

Everything is drawn from a seeded random.Random, so every run produces the same data; writing is keyed
on credit codes, (unit, asset number) and usernames, so a second run adds nothing.
"""

# ruff: noqa: S311 - a seeded PRNG makes demo data deterministic; nothing here is security-related
# ruff: noqa: RUF001 - Chinese text uses full-width punctuation

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from .category_data import CATEGORY_TREE
from .demo_catalogue import APPLICATIONS, SERVICES, TEMPLATES, InstrumentTemplate
from .models import Instrument, InstrumentCategory, Membership, Region, Unit
from .validators import USCC_ALPHABET, uscc_build

SEED = 20260401
UNIT_COUNT = 47
INSTRUMENT_COUNT = 945
TOTAL_VALUE = Decimal("350000000.00")
# One institute listed 130 instruments in a single bulk import; in the demo that is the rare-earth institute.
BIG_UNIT_NAME = "包头稀土研究院"
BIG_UNIT_INSTRUMENTS = 130
# A unit owns at most this many instruments of one type (each of a different make where the type has several).
MAX_COPIES = 4
WEIGHT_EXPONENT = 0.15
# How many instruments of one type the platform lists at most: a city has a few XPS or TEMs, more HPLCs.
# (upper end of the type's price range in 10,000 CNY, at most): 38 dear, 66 middling and 79 cheaper types.
PLATFORM_MAX = [(300, 4), (100, 7), (0, 9)]

BAOTOU = "150200"
# Baotou's districts and counties (GB/T 2260): Chinese, English, and streets the addresses use.
DISTRICTS = {
    "150202": ("东河区", "Donghe District", ["巴彦塔拉大街", "南门外大街", "环城路", "和平路"]),
    "150203": ("昆都仑区", "Kundulun District", ["阿尔丁大街", "钢铁大街", "林荫路", "少先路", "友谊大街"]),
    "150204": ("青山区", "Qingshan District", ["青年路", "幸福路", "文化路", "民主路", "富强路"]),
    "150205": ("石拐区", "Shiguai District", ["石拐大街", "五当召路"]),
    "150206": ("白云鄂博矿区", "Bayan Obo Mining District", ["白云路", "矿山路"]),
    "150207": ("九原区", "Jiuyuan District", ["黄河大街", "建华南路", "滨河路", "稀土大街"]),
    "150221": ("土默特右旗", "Tumed Right Banner", ["萨拉齐镇人民路", "萨拉齐镇新华街"]),
    "150222": ("固阳县", "Guyang County", ["金山镇迎宾大街", "金山镇新建街"]),
    "150223": ("达尔罕茂明安联合旗", "Darhan Muminggan United Banner", ["百灵庙镇艾不盖路", "百灵庙镇乌兰街"]),
}

U, R, M, E, H = (  # H: hospitals, of kind "other"
    Unit.Kind.UNIVERSITY,
    Unit.Kind.RESEARCH_INSTITUTE,
    Unit.Kind.METROLOGY_INSTITUTE,
    Unit.Kind.ENTERPRISE,
    Unit.Kind.OTHER,
)

# (Chinese name, English name, kind, district, profile, accreditations, instrument weight)
UNITS = [
    # Universities and colleges
    ("内蒙古科技大学", "Inner Mongolia University of Science and Technology", U, "150203", "materials", ["CMA"], 4.0),
    ("包头医学院", "Baotou Medical College", U, "150202", "medical", ["CMA"], 2.6),
    ("包头师范学院", "Baotou Teachers' College", U, "150202", "teachers", [], 1.8),
    ("包头职业技术学院", "Baotou Vocational and Technical College", U, "150204", "manufacturing", [], 1.2),
    ("包头轻工职业技术学院", "Baotou Light Industry Vocational Technical College", U, "150203", "environment", [], 1.0),
    ("包头铁道职业技术学院", "Baotou Railway Vocational and Technical College", U, "150207", "inspection", [], 0.8),
    ("包头钢铁职业技术学院", "Baotou Iron and Steel Vocational Technical College", U, "150203", "steel", [], 0.9),
    # Research institutes
    (BIG_UNIT_NAME, "Baotou Research Institute of Rare Earths", R, "150207", "rare_earth", ["CMA", "CNAS"], 0),
    (
        "瑞科稀土冶金及功能材料国家工程研究中心",
        "National Engineering Research Center of Rare Earth Metallurgy and Functional Materials",
        R,
        "150207",
        "rare_earth",
        ["CNAS"],
        1.6,
    ),
    (
        "中国科学院包头稀土研发中心",
        "Baotou Rare Earth R&D Centre, Chinese Academy of Sciences",
        R,
        "150207",
        "materials",
        [],
        1.5,
    ),
    (
        "上海交通大学包头材料研究院",
        "Baotou Institute of Materials, Shanghai Jiao Tong University",
        R,
        "150207",
        "materials",
        [],
        1.3,
    ),
    (
        "北京科技大学包头创新研究院",
        "Baotou Innovation Institute, University of Science and Technology Beijing",
        R,
        "150207",
        "steel",
        [],
        1.0,
    ),
    (
        "包头市农牧业科学研究院",
        "Baotou Academy of Agricultural and Animal Husbandry Sciences",
        R,
        "150207",
        "bio",
        [],
        1.2,
    ),
    (
        "内蒙古自治区第一地质矿产勘查开发院",
        "First Geological and Mineral Exploration Institute of Inner Mongolia",
        R,
        "150203",
        "earth",
        ["CMA"],
        1.1,
    ),
    ("包头市气象台", "Baotou Meteorological Observatory", R, "150207", "atmos", [], 0.8),
    ("包头市生态环境科学研究院", "Baotou Academy of Eco-environmental Sciences", R, "150204", "environment", [], 0.9),
    (
        "包头核技术应用研究所",
        "Baotou Institute of Nuclear Technology Applications",
        R,
        "150204",
        "nuclear",
        ["CMA"],
        0.9,
    ),
    ("包头云计算与大数据研究院", "Baotou Institute of Cloud Computing and Big Data", R, "150207", "computing", [], 0.3),
    (
        "达尔罕茂明安联合旗草原生态研究站",
        "Darhan Muminggan Grassland Ecology Research Station",
        R,
        "150223",
        "grassland",
        [],
        0.5,
    ),
    # Metrology and inspection
    (
        "包头市计量测试研究院",
        "Baotou Institute of Metrology and Testing",
        M,
        "150202",
        "metrology",
        ["CMA", "CNAS"],
        2.2,
    ),
    (
        "包头市产品质量检验检测研究院",
        "Baotou Product Quality Inspection and Testing Institute",
        M,
        "150203",
        "inspection",
        ["CMA", "CNAS"],
        1.6,
    ),
    (
        "国家稀土产品质量检验检测中心（内蒙古）",
        "National Rare Earth Products Quality Inspection and Testing Centre (Inner Mongolia)",
        M,
        "150207",
        "rare_earth",
        ["CMA", "CNAS"],
        1.4,
    ),
    (
        "包头市特种设备检验所",
        "Baotou Special Equipment Inspection Institute",
        M,
        "150204",
        "inspection",
        ["CMA", "CNAS"],
        1.1,
    ),
    (
        "包头市食品药品检验检测中心",
        "Baotou Food and Drug Inspection and Testing Centre",
        M,
        "150202",
        "food",
        ["CMA", "CNAS"],
        1.2,
    ),
    (
        "包头市生态环境监测站",
        "Baotou Ecological Environment Monitoring Station",
        M,
        "150204",
        "environment",
        ["CMA"],
        1.1,
    ),
    ("包头海关技术中心", "Baotou Customs Technical Centre", M, "150207", "chemistry", ["CMA", "CNAS"], 1.0),
    (
        "包头市建设工程质量检测中心",
        "Baotou Construction Engineering Quality Testing Centre",
        M,
        "150203",
        "inspection",
        ["CMA"],
        0.9,
    ),
    ("包头市疾病预防控制中心", "Baotou Center for Disease Control and Prevention", M, "150202", "bio", ["CMA"], 1.0),
    (
        "土默特右旗农畜产品质量安全检测中心",
        "Tumed Right Banner Agricultural and Livestock Products Testing Centre",
        M,
        "150221",
        "food",
        ["CMA"],
        0.5,
    ),
    ("固阳县矿产品质量检测中心", "Guyang County Mineral Products Testing Centre", M, "150222", "mineral", ["CMA"], 0.5),
    ("石拐区煤炭质量检测中心", "Shiguai District Coal Quality Testing Centre", M, "150205", "coal", ["CMA"], 0.4),
    # Enterprises
    ("包头钢铁（集团）有限责任公司技术中心", "Baotou Steel Group R&D Centre", E, "150203", "steel", ["CNAS"], 2.0),
    (
        "中国北方稀土（集团）高科技股份有限公司",
        "China Northern Rare Earth (Group) High-Tech Co., Ltd.",
        E,
        "150203",
        "rare_earth",
        ["CNAS"],
        1.6,
    ),
    (
        "内蒙古第一机械集团有限公司",
        "Inner Mongolia First Machinery Group Co., Ltd.",
        E,
        "150204",
        "manufacturing",
        ["CNAS"],
        1.6,
    ),
    (
        "内蒙古北方重工业集团有限公司",
        "Inner Mongolia North Heavy Industries Group Co., Ltd.",
        E,
        "150204",
        "inspection",
        ["CNAS"],
        1.2,
    ),
    ("中核北方核燃料元件有限公司", "China North Nuclear Fuel Co., Ltd.", E, "150204", "nuclear", ["CNAS"], 0.9),
    ("包头铝业有限公司", "Baotou Aluminium Co., Ltd.", E, "150202", "steel", [], 0.8),
    ("包头天和磁材科技股份有限公司", "Baotou Tianhe Magnetics Technology Co., Ltd.", E, "150207", "magnets", [], 0.7),
    ("包头韵升强磁材料有限公司", "Baotou Yunsheng Strong Magnet Materials Co., Ltd.", E, "150207", "magnets", [], 0.6),
    (
        "双良硅材料（包头）有限公司",
        "Shuangliang Silicon Materials (Baotou) Co., Ltd.",
        E,
        "150204",
        "electronics",
        [],
        0.7,
    ),
    ("弘元新材料（包头）有限公司", "Hongyuan New Materials (Baotou) Co., Ltd.", E, "150204", "electronics", [], 0.6),
    ("包头东宝生物技术股份有限公司", "Baotou Dongbao Bio-Tech Co., Ltd.", E, "150207", "bio", ["CNAS"], 0.6),
    ("包钢集团白云鄂博铁矿", "Bayan Obo Iron Mine, Baotou Steel Group", E, "150206", "earth", [], 0.6),
    (
        "内蒙古达茂风电技术检测有限公司",
        "Darhan Muminggan Wind Power Testing Co., Ltd.",
        E,
        "150223",
        "windpower",
        [],
        0.4,
    ),
    ("包头华美稀土高科有限公司", "Baotou Huamei Rare Earth High-Tech Co., Ltd.", E, "150203", "magnets", [], 0.5),
    # Hospitals
    ("包头市中心医院", "Baotou Central Hospital", H, "150202", "medical", [], 0.8),
    ("包头医学院第一附属医院", "First Affiliated Hospital of Baotou Medical College", H, "150203", "medical", [], 0.9),
]

# Which categories of the national classification each kind of unit owns instruments in.
PROFILES = {
    "rare_earth": [
        "spectroscopy",
        "mass-spectrometry",
        "x-ray",
        "electron-optics",
        "thermal-analysis",
        "materials-physical",
        "particle-size",
        "sample-preparation",
        "environmental-analysis",
        "materials-processing",
        "electrochemistry",
        "microscopy-imaging",
        "radiation-detection",
        "magnetic-resonance",
        "micro-nano-fabrication",
    ],
    "materials": [
        "electron-optics",
        "x-ray",
        "thermal-analysis",
        "mechanical-testing",
        "materials-physical",
        "spectroscopy",
        "particle-size",
        "materials-processing",
        "microscopy-imaging",
        "micro-nano-fabrication",
        "additive-manufacturing",
        "high-performance-computing",
        "electrochemistry",
        "magnetic-resonance",
        "ocean-hydrology",
        "semiconductor-lasers",
    ],
    "steel": [
        "spectroscopy",
        "environmental-analysis",
        "mechanical-testing",
        "microscopy-imaging",
        "electron-optics",
        "x-ray",
        "thermal-analysis",
        "non-destructive-testing",
        "sample-preparation",
        "fiber-lasers",
        "length-metrology",
        "materials-processing",
    ],
    "magnets": [
        "materials-physical",
        "materials-processing",
        "spectroscopy",
        "x-ray",
        "electron-optics",
        "particle-size",
        "environmental-analysis",
        "environmental-chambers",
        "length-metrology",
    ],
    "chemistry": [
        "mass-spectrometry",
        "chromatography",
        "spectroscopy",
        "magnetic-resonance",
        "electrochemistry",
        "thermal-analysis",
        "sample-preparation",
        "x-ray",
        "environmental-analysis",
        "radiation-detection",
        "security-inspection",
        "other-general",
    ],
    "teachers": [
        "spectroscopy",
        "chromatography",
        "magnetic-resonance",
        "electrochemistry",
        "microscopy-imaging",
        "optical-telescopes",
        "radio-telescopes",
        "solar-instruments",
        "solid-state-lasers",
        "ultrafast-lasers",
        "gene-sequencing",
        "other-general",
    ],
    "medical": [
        "medical-imaging",
        "cell-analysis",
        "gene-sequencing",
        "mass-spectrometry",
        "microscopy-imaging",
        "biochemical-separation",
        "laboratory-animal",
        "chromatography",
        "other-general",
    ],
    "bio": [
        "gene-sequencing",
        "cell-analysis",
        "biochemical-separation",
        "microscopy-imaging",
        "chromatography",
        "mass-spectrometry",
        "laboratory-animal",
        "environmental-analysis",
        "other-general",
    ],
    "food": [
        "chromatography",
        "mass-spectrometry",
        "spectroscopy",
        "sample-preparation",
        "environmental-analysis",
        "gene-sequencing",
        "biochemical-separation",
        "other-general",
    ],
    "electronics": [
        "semiconductor-testing",
        "oscilloscopes",
        "signal-generators",
        "network-spectrum-analyzers",
        "communication-testing",
        "optoelectronic-testing",
        "micro-nano-fabrication",
        "electron-optics",
        "spectroscopy",
    ],
    "metrology": [
        "length-metrology",
        "mass-force-metrology",
        "thermal-metrology",
        "time-frequency",
        "electromagnetic-metrology",
        "optical-metrology",
        "ionizing-radiation-metrology",
        "oscilloscopes",
        "signal-generators",
        "network-spectrum-analyzers",
        "underwater-acoustics",
    ],
    "inspection": [
        "non-destructive-testing",
        "mechanical-testing",
        "environmental-chambers",
        "security-inspection",
        "fire-explosion-testing",
        "length-metrology",
        "spectroscopy",
        "acoustics-vibration",
        "communication-testing",
    ],
    "manufacturing": [
        "additive-manufacturing",
        "materials-processing",
        "mechanical-testing",
        "length-metrology",
        "environmental-chambers",
        "non-destructive-testing",
        "fiber-lasers",
        "gas-lasers",
        "solid-state-lasers",
        "acoustics-vibration",
    ],
    "environment": [
        "environmental-analysis",
        "chromatography",
        "mass-spectrometry",
        "spectroscopy",
        "atmospheric-composition",
        "sample-preparation",
        "marine-biology",
        "ocean-hydrology",
        "marine-geophysics",
    ],
    "earth": [
        "seismic",
        "gravity-magnetic",
        "electrical-prospecting",
        "drilling-logging",
        "x-ray",
        "mass-spectrometry",
        "spectroscopy",
        "magnetic-resonance",
    ],
    "mineral": ["x-ray", "spectroscopy", "sample-preparation", "environmental-analysis", "mass-spectrometry"],
    "coal": ["environmental-analysis", "sample-preparation", "x-ray", "spectroscopy", "thermal-analysis"],
    "nuclear": [
        "radiation-detection",
        "accelerators",
        "nuclear-spectroscopy",
        "ionizing-radiation-metrology",
        "mass-spectrometry",
        "non-destructive-testing",
    ],
    "atmos": [
        "weather-radar",
        "atmospheric-radiation",
        "atmospheric-composition",
        "surface-meteorology",
        "high-performance-computing",
    ],
    "grassland": ["surface-meteorology", "atmospheric-radiation", "environmental-analysis", "gene-sequencing"],
    "computing": ["high-performance-computing", "storage-systems", "visualisation"],
    "windpower": [
        "weather-radar",
        "acoustics-vibration",
        "surface-meteorology",
        "electromagnetic-metrology",
        "network-spectrum-analyzers",
        "non-destructive-testing",
    ],
}

# What each kind of unit does, for its description: (Chinese, English).
FOCUS = {
    "rare_earth": (
        "从事稀土冶炼分离、稀土功能材料与分析检测研究",
        "works on rare-earth separation, functional materials and analysis",
    ),
    "materials": (
        "从事金属材料、稀土新材料与先进制造研究",
        "works on metals, new rare-earth materials and advanced manufacturing",
    ),
    "steel": (
        "从事钢铁与有色金属冶炼、加工与检验",
        "works on smelting, processing and testing of steel and non-ferrous metals",
    ),
    "magnets": (
        "生产和研发稀土永磁与稀土功能材料",
        "makes and develops rare-earth permanent magnets and functional materials",
    ),
    "chemistry": ("开展化学分析与进出口商品检验", "carries out chemical analysis and import and export inspection"),
    "teachers": (
        "开展化学、物理、生物与天文教学科研",
        "teaches and researches chemistry, physics, biology and astronomy",
    ),
    "medical": ("开展临床诊疗、医学教育与医学研究", "provides clinical care, medical education and research"),
    "bio": ("开展生物技术、疾病防控与农牧业研究", "works on biotechnology, disease control and farming research"),
    "food": ("承担食品、药品与农畜产品质量检验", "tests food, medicines and farm and livestock products"),
    "electronics": ("生产单晶硅与光伏材料并开展电子测试", "makes monocrystalline silicon and photovoltaic materials"),
    "metrology": (
        "承担全市计量检定、校准与量值传递",
        "provides the city's legal metrology, calibration and traceability",
    ),
    "inspection": (
        "承担产品质量、特种设备与工程质量检验",
        "inspects products, special equipment and construction quality",
    ),
    "manufacturing": (
        "从事装备制造、工艺试验与职业培训",
        "works on equipment manufacturing, process trials and training",
    ),
    "environment": ("开展生态环境监测与环境科学研究", "monitors the environment and researches environmental science"),
    "earth": ("从事地质矿产勘查与矿山开采", "works on geological exploration and mining"),
    "mineral": ("承担矿产品化学成分与物相检测", "analyses the composition and phases of mineral products"),
    "coal": ("承担煤炭与焦炭质量检验", "tests the quality of coal and coke"),
    "nuclear": ("从事核燃料元件制造与核技术应用", "works on nuclear fuel and nuclear technology applications"),
    "atmos": (
        "承担天气预报、气候与风能太阳能资源观测",
        "forecasts the weather and observes climate, wind and solar resources",
    ),
    "grassland": ("开展草原生态、气象与牧草研究", "researches grassland ecology, weather and forage"),
    "computing": ("提供科学计算、大数据与人工智能算力服务", "provides scientific computing, big-data and AI services"),
    "windpower": ("开展风电机组与风电场检测", "tests wind turbines and wind farms"),
}

# Buildings by kind of unit: (Chinese, English).
BUILDINGS = {
    U: [
        ("分析测试中心", "Analysis and Testing Centre"),
        ("材料楼", "Materials Building"),
        ("理化楼", "Physics and Chemistry Building"),
        ("生命科学楼", "Life Sciences Building"),
        ("工程训练中心", "Engineering Training Centre"),
        ("科技楼", "Science and Technology Building"),
    ],
    R: [
        ("综合实验楼", "Main Laboratory Building"),
        ("分析检测中心", "Analysis and Testing Centre"),
        ("中试基地", "Pilot Plant"),
        ("科研楼", "Research Building"),
    ],
    M: [
        ("检验检测大楼", "Inspection and Testing Building"),
        ("计量检定楼", "Calibration Building"),
        ("理化实验室", "Physical and Chemical Laboratory"),
    ],
    E: [
        ("技术中心实验楼", "R&D Centre Laboratory"),
        ("质检中心", "Quality Control Centre"),
        ("理化检测室", "Physical and Chemical Testing Room"),
    ],
    H: [
        ("医技楼", "Medical Technology Building"),
        ("中心实验室", "Central Laboratory"),
        ("科研楼", "Research Building"),
    ],
}
SHARING = [
    ("面向校内外及企业用户开放共享。", "Open to users from other institutions and companies."),
    ("可为包头市及周边企业提供检测服务。", "Serves companies in Baotou and the surrounding region."),
    ("纳入包头市大型科研仪器开放共享平台统一管理。", "Managed on the Baotou platform for sharing large instruments."),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈乌云"
GIVEN = [
    "伟",
    "芳",
    "敏",
    "静",
    "磊",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
    "建国",
    "晓东",
    "丽萍",
    "志强",
    "海燕",
    "文博",
    "思远",
    "佳怡",
    "子豪",
    "雨婷",
    "浩然",
    "晨曦",
    "巴特尔",
    "其其格",
    "斯琴",
]

TOP_OF = {child[0]: top[0] for top in CATEGORY_TREE for child in top[3]}


@dataclass
class UnitSpec:
    index: int
    fields: dict
    profile: str
    weight: float


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _round_to(value: float, step: int) -> Decimal:
    return Decimal(round(value / step) * step).quantize(Decimal("0.01"))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"0472-{rng.randrange(2100000, 6999999)}"


def _unit_specs(rng: random.Random) -> list[UnitSpec]:
    specs = []
    for index, (name, name_en, kind, district, profile, accreditations, weight) in enumerate(UNITS):
        district_zh, district_en, streets = DISTRICTS[district]
        authority = "91" if kind == Unit.Kind.ENTERPRISE else "12"
        organisation = f"{rng.randrange(10**6):06d}{index:02d}{rng.choice(USCC_ALPHABET)}"
        domain = f"demo-unit-{index + 1:02d}.example.cn"
        focus_zh, focus_en = FOCUS[profile]
        specs.append(
            UnitSpec(
                index=index,
                profile=profile,
                weight=weight,
                fields={
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "credit_code": uscc_build(f"{authority}{district}{organisation}"),
                    "region_code": district,
                    "address": f"内蒙古自治区包头市{district_zh}{rng.choice(streets)}{rng.randrange(1, 300)}号",
                    "contact_name": _person(rng),
                    "contact_phone": _phone(rng),
                    "contact_email": f"share@{domain}",
                    "website": f"https://www.{domain}/",
                    "accreditations": accreditations,
                    "description": (
                        f"{name}位于包头市{district_zh}，{focus_zh}，"
                        "通过包头市大型科研仪器开放共享平台向社会提供仪器共享与检测服务。"
                    ),
                    "description_en": (
                        f"{name_en}, in {district_en} of Baotou, {focus_en}. It offers its instruments and testing "
                        "services to other users through the Baotou platform for sharing large instruments."
                    ),
                },
            )
        )
    return specs


def _instrument_counts(specs: list[UnitSpec]) -> list[int]:
    """Instruments per unit, proportional to weight, the big institute fixed, summing to the total exactly."""
    big = next(spec.index for spec in specs if spec.fields["name"] == BIG_UNIT_NAME)
    remaining = INSTRUMENT_COUNT - BIG_UNIT_INSTRUMENTS
    total_weight = sum(spec.weight for spec in specs if spec.index != big)
    shares = [0.0 if spec.index == big else remaining * spec.weight / total_weight for spec in specs]
    counts = [max(1, math.floor(share)) for share in shares]
    counts[big] = BIG_UNIT_INSTRUMENTS
    order = sorted(
        (i for i in range(len(specs)) if i != big), key=lambda i: shares[i] - math.floor(shares[i]), reverse=True
    )
    position = 0
    while sum(counts) != INSTRUMENT_COUNT:
        step = 1 if sum(counts) < INSTRUMENT_COUNT else -1
        index = order[position % len(order)]
        if counts[index] + step >= 1:
            counts[index] += step
        position += 1
    return counts


def _weight(template: InstrumentTemplate) -> float:
    """Cheaper instruments are more common than million-yuan ones, as on real city platforms."""
    low, high = template.value_range
    return (low * high) ** -WEIGHT_EXPONENT


def platform_max(template: InstrumentTemplate) -> int:
    return next(most for price, most in PLATFORM_MAX if template.value_range[1] >= price)


def _pick_templates(
    rng: random.Random, candidates: list[InstrumentTemplate], count: int, platform: Counter[str]
) -> list[InstrumentTemplate]:
    """A unit's instruments: different types first (weighted sampling without replacement), then a few more of
    the cheaper types, never more than MAX_COPIES of one; types already common on the platform (PLATFORM_MAX)
    come last, so that no type fills the catalogue's pages."""

    def common(template: InstrumentTemplate) -> bool:
        return platform[template.name_en] >= platform_max(template)

    keyed = sorted(
        candidates, key=lambda template: (not common(template), rng.random() ** (1 / _weight(template))), reverse=True
    )
    chosen = keyed[:count]
    copies = Counter(template.name_en for template in chosen)
    platform.update(copies)
    while len(chosen) < count:
        open_ = [template for template in candidates if copies[template.name_en] < MAX_COPIES]
        open_ = [template for template in open_ if not common(template)] or open_
        template = rng.choices(open_, weights=[_weight(t) ** 2 for t in open_])[0]
        chosen.append(template)
        copies[template.name_en] += 1
        platform[template.name_en] += 1
    return chosen


def _instrument_fields(
    rng: random.Random, spec: UnitSpec, template: InstrumentTemplate, make_index: int, sequence: int
):
    make = template.makes[make_index % len(template.makes)]
    low, high = template.value_range
    value = math.exp(rng.uniform(math.log(low), math.log(high))) * 10_000
    purchased = date(2008, 1, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(2008, 1, 1)).days))
    application_zh, application_en = rng.choice(APPLICATIONS[template.category])
    sharing_zh, sharing_en = rng.choice(SHARING)
    services_zh, services_en = rng.choice(SERVICES[TOP_OF[template.category]])
    building_zh, building_en = rng.choice(BUILDINGS[spec.fields["kind"]])
    room = f"{rng.choice('ABCD')}{rng.randrange(1, 6)}{rng.randrange(1, 30):02d}"
    fields = {
        "asset_number": f"{purchased.year}-{sequence:04d}",
        "category_code": template.category,
        "name": template.name_zh,
        "name_en": template.name_en,
        "model_number": make.model,
        "manufacturer": make.manufacturer,
        "country_of_origin": make.country,
        "purchase_date": purchased,
        "location": f"{building_zh} {room}室",
        "location_en": f"{building_en}, room {room}",
        "status": Instrument.Status.MAINTENANCE if rng.random() < 0.04 else Instrument.Status.AVAILABLE,
        "description": (
            f"{template.name_zh}（{make.manufacturer} {make.model}），{purchased.year}年购置，"
            f"主要用于{application_zh}。{sharing_zh}"
        ),
        "description_en": (
            f"{template.name_en} ({make.manufacturer} {make.model}), purchased in {purchased.year}, used mainly for "
            f"{application_en}. {sharing_en}"
        ),
        "specifications": template.spec_zh,
        "specifications_en": template.spec_en,
        "services": services_zh,
        "services_en": services_en,
        "requires_approval": rng.random() < 0.85,
        "min_credit_score": rng.choice([None, None, None, None, 600, 600, 650]),
        "contact_name": _person(rng),
        "contact_phone": _phone(rng),
    }
    return fields, value


def _instrument_specs(rng: random.Random, specs: list[UnitSpec]) -> list[tuple[int, dict]]:
    """(unit index, instrument fields) for every demo instrument, values scaled to the platform total exactly."""
    counts = _instrument_counts(specs)
    platform: Counter[str] = Counter()  # instruments of each type on the platform so far
    raw: list[tuple[int, dict, float]] = []
    for spec, count in zip(specs, counts, strict=True):
        profile = set(PROFILES[spec.profile])
        candidates = [template for template in TEMPLATES if template.category in profile]
        # A second instrument of one type is of the next make, so a unit lists identical ones only when it owns
        # more of a type than there are makes.
        next_make: dict[str, int] = {}
        for sequence, template in enumerate(_pick_templates(rng, candidates, count, platform), start=1):
            make_index = next_make.setdefault(template.name_en, rng.randrange(len(template.makes)))
            next_make[template.name_en] += 1
            fields, value = _instrument_fields(rng, spec, template, make_index, sequence)
            raw.append((spec.index, fields, value))
    scale = float(TOTAL_VALUE) / sum(value for _index, _fields, value in raw)
    result = []
    for unit_index, fields, value in raw:
        original = _round_to(value * scale, 100)
        external = min(max(math.sqrt(float(original)) * rng.uniform(0.2, 0.3), 30), 3000)
        fields.update(
            original_value=original,
            hourly_rate_external=_round_to(external, 10),
            hourly_rate_internal=_round_to(external * rng.uniform(0.45, 0.7), 10),
            requires_qualification=original >= 1_000_000 and rng.random() < 0.6,
        )
        result.append((unit_index, fields))
    # Rounding to whole hundreds leaves a remainder: the most valuable instrument absorbs it, so the
    # platform total is exactly TOTAL_VALUE.
    largest = max(result, key=lambda row: row[1]["original_value"])[1]
    largest["original_value"] += TOTAL_VALUE - sum(fields["original_value"] for _index, fields in result)
    for _index, fields in result:
        original = fields["original_value"]
        fields["deposit"] = (
            _round_to(min(max(float(original) * 0.0005, 500), 20000), 100) if original >= 500_000 else _money(0)
        )
    return result


@dataclass
class SeedSummary:
    units_created: int
    instruments_created: int
    users_created: int
    units_total: int
    instruments_total: int
    value_total: Decimal

    def line(self) -> str:
        return (
            f"Demo city platform (Baotou): {self.units_total} units, {self.instruments_total} instruments, "
            f"{self.value_total:,.2f} CNY in total (created now: {self.units_created} units, "
            f"{self.instruments_created} instruments, {self.users_created} accounts)."
        )


DEMO_ACCOUNTS = [
    # (username, password, is_staff/superuser, unit index, role)
    ("admin", "admin-demo-2026", True, None, None),
    ("provider", "demo-2026", False, 0, Membership.Role.ADMIN),  # Inner Mongolia University of Science and Technology
    ("researcher", "demo-2026", False, 1, Membership.Role.MEMBER),  # Baotou Medical College
]


def _seed_units(specs: list[UnitSpec], status_date: datetime) -> tuple[list[Unit], int]:
    regions = {region.code: region for region in Region.objects.filter(code__in=list(DISTRICTS))}
    if len(regions) != len(DISTRICTS):
        raise RuntimeError("Baotou's districts are missing: run `python manage.py migrate` first.")
    codes = [spec.fields["credit_code"] for spec in specs]
    existing = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    missing = []
    for spec in specs:
        if spec.fields["credit_code"] in existing:
            continue
        fields = dict(spec.fields)
        region = regions[fields.pop("region_code")]
        unit = Unit(**fields, region=region, status=Unit.Status.VERIFIED, status_changed_at=status_date)
        unit.full_clean(validate_unique=False, validate_constraints=False)
        missing.append(unit)
    Unit.objects.bulk_create(missing)
    by_code = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    return [by_code[code] for code in codes], len(missing)


def _seed_instruments(units: list[Unit], instrument_specs: list[tuple[int, dict]]) -> int:
    categories = {category.code: category for category in InstrumentCategory.objects.all()}
    existing = set(Instrument.objects.filter(unit__in=units).values_list("unit_id", "asset_number"))
    missing = []
    for unit_index, spec in instrument_specs:
        unit = units[unit_index]
        if (unit.pk, spec["asset_number"]) in existing:
            continue
        fields = dict(spec)
        category = categories[fields.pop("category_code")]
        missing.append(Instrument(unit=unit, category=category, **fields))
    Instrument.objects.bulk_create(missing, batch_size=500)
    return len(missing)


def _seed_accounts(units: list[Unit]) -> int:
    user_model = get_user_model()
    created = 0
    for username, password, is_admin, unit_index, role in DEMO_ACCOUNTS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username, email=f"{username}@demo.example.cn", is_staff=is_admin, is_superuser=is_admin
            )
            user.set_password(password)
            user.save()
            created += 1
        if unit_index is not None and role is not None:
            Membership.objects.get_or_create(user=user, unit=units[unit_index], defaults={"role": role})
    return created


def demo_seed() -> SeedSummary:
    """Write the demo city platform; whatever already exists (by its natural key) is left alone."""
    from django.db.models import Sum
    from django.utils import timezone

    rng = random.Random(SEED)
    specs = _unit_specs(rng)
    instrument_specs = _instrument_specs(rng, specs)
    status_date = timezone.make_aware(datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - made aware right here
    with transaction.atomic():
        units, units_created = _seed_units(specs, status_date)
        instruments_created = _seed_instruments(units, instrument_specs)
        users_created = _seed_accounts(units)
    demo_instruments = Instrument.objects.filter(unit__in=units)
    return SeedSummary(
        units_created=units_created,
        instruments_created=instruments_created,
        users_created=users_created,
        units_total=len(units),
        instruments_total=demo_instruments.count(),
        value_total=demo_instruments.aggregate(total=Sum("original_value"))["total"] or Decimal("0"),
    )


def demo_units() -> list[Unit]:
    """The demo's 47 units in their fixed order (the order of UNITS), after demo_seed()."""
    codes = [spec.fields["credit_code"] for spec in _unit_specs(random.Random(SEED))]
    by_code = {unit.credit_code: unit for unit in Unit.objects.filter(credit_code__in=codes)}
    return [by_code[code] for code in codes]
