"""The demo city platform: Shanghai, 47 verified units, 945 instruments worth about 350 million CNY.

Everything is generated from a seeded random.Random, so every run produces the same data; writing
is keyed on credit codes, (unit, asset number) and usernames, so a second run adds nothing.
Unit names are invented (believable, not real institutions); credit codes are valid but fictitious.
"""

# ruff: noqa: S311 - a seeded PRNG makes demo data deterministic; nothing here is security-related
# ruff: noqa: RUF001 - Chinese text uses full-width punctuation and specifications use real unit symbols

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Instrument, InstrumentCategory, Membership, Region, Unit
from .validators import USCC_ALPHABET, uscc_build

SEED = 20260401
UNIT_COUNT = 47
INSTRUMENT_COUNT = 945
TOTAL_VALUE = Decimal("350000000.00")
# One institute listed 130 instruments in a single bulk import; the demo keeps that unit.
BIG_UNIT_INDEX = 12
BIG_UNIT_INSTRUMENTS = 130

SHANGHAI = "310000"
DISTRICTS = [
    ("310101", "Huangpu", "黄浦区"),
    ("310104", "Xuhui", "徐汇区"),
    ("310105", "Changning", "长宁区"),
    ("310106", "Jing'an", "静安区"),
    ("310107", "Putuo", "普陀区"),
    ("310109", "Hongkou", "虹口区"),
    ("310110", "Yangpu", "杨浦区"),
    ("310112", "Minhang", "闵行区"),
    ("310113", "Baoshan", "宝山区"),
    ("310114", "Jiading", "嘉定区"),
    ("310115", "Pudong", "浦东新区"),
    ("310116", "Jinshan", "金山区"),
    ("310117", "Songjiang", "松江区"),
    ("310118", "Qingpu", "青浦区"),
    ("310120", "Fengxian", "奉贤区"),
    ("310151", "Chongming", "崇明区"),
]

U, R, M, E = (
    Unit.Kind.UNIVERSITY,
    Unit.Kind.RESEARCH_INSTITUTE,
    Unit.Kind.METROLOGY_INSTITUTE,
    Unit.Kind.ENTERPRISE,
)

# (Chinese name, English name, kind, district, profile, accreditations, instrument weight)
UNITS = [
    ("申江大学", "Shenjiang University", U, "310110", "comprehensive", ["CMA"], 4.0),
    ("浦江理工大学", "Pujiang University of Science and Technology", U, "310112", "materials", ["CMA"], 3.2),
    ("华东海洋大学", "East China Maritime University", U, "310115", "marine", [], 2.2),
    ("沪西师范大学", "Huxi Normal University", U, "310104", "chemistry", [], 1.8),
    ("东海医科大学", "Donghai Medical University", U, "310101", "medical", ["CMA"], 2.8),
    ("松江工程技术大学", "Songjiang University of Engineering and Technology", U, "310117", "manufacturing", [], 1.6),
    ("嘉定汽车工程学院", "Jiading Institute of Automotive Engineering", U, "310114", "inspection", [], 1.2),
    ("宝山冶金大学", "Baoshan University of Metallurgy", U, "310113", "materials", ["CMA"], 1.8),
    ("长宁电子信息学院", "Changning College of Electronics and Information", U, "310105", "electronics", [], 1.3),
    ("临港材料科学大学", "Lingang University of Materials Science", U, "310115", "materials", [], 1.9),
    ("奉贤化工学院", "Fengxian Institute of Chemical Technology", U, "310120", "chemistry", [], 1.1),
    ("虹口理工学院", "Hongkou Institute of Technology", U, "310109", "comprehensive", [], 1.0),
    ("上海微纳电子研究所", "Shanghai Institute of Micro- and Nanoelectronics", R, "310104", "electronics", ["CNAS"], 0),
    ("上海先进光学研究院", "Shanghai Academy of Advanced Optics", R, "310112", "optics", ["CNAS"], 2.0),
    ("上海有机功能材料研究所", "Shanghai Institute of Functional Organic Materials", R, "310104", "chemistry", [], 2.1),
    ("上海生物医药创新研究院", "Shanghai Institute for Biomedical Innovation", R, "310115", "bio", ["CNAS"], 2.4),
    (
        "上海海洋环境监测研究中心",
        "Shanghai Marine Environment Monitoring Research Centre",
        R,
        "310151",
        "marine",
        [],
        1.0,
    ),
    ("上海大气环境科学研究所", "Shanghai Institute of Atmospheric Environment Sciences", R, "310106", "atmos", [], 1.2),
    ("上海地球物理勘探研究所", "Shanghai Institute of Geophysical Exploration", R, "310107", "earth", [], 1.1),
    ("上海核技术应用研究所", "Shanghai Institute of Applied Nuclear Technology", R, "310114", "nuclear", ["CMA"], 1.0),
    ("上海天文与空间观测中心", "Shanghai Centre for Astronomy and Space Observation", R, "310117", "astro", [], 0.7),
    (
        "上海硅酸盐与陶瓷研究所",
        "Shanghai Institute of Silicate and Ceramics Research",
        R,
        "310105",
        "materials",
        [],
        1.7,
    ),
    (
        "上海脑与类脑智能研究院",
        "Shanghai Institute of Brain and Brain-inspired Intelligence",
        R,
        "310104",
        "bio",
        [],
        1.3,
    ),
    ("上海高性能计算中心", "Shanghai High-Performance Computing Centre", R, "310115", "computing", [], 0.6),
    ("上海农业生物技术研究所", "Shanghai Institute of Agricultural Biotechnology", R, "310118", "bio", [], 1.0),
    ("上海新能源材料研究院", "Shanghai Research Institute of New Energy Materials", R, "310114", "materials", [], 1.4),
    (
        "上海东方计量测试研究院",
        "Shanghai Dongfang Institute of Metrology and Testing",
        M,
        "310104",
        "metrology",
        ["CMA", "CNAS"],
        2.2,
    ),
    (
        "上海市产品质量检验研究院",
        "Shanghai Institute of Product Quality Inspection",
        M,
        "310107",
        "inspection",
        ["CMA", "CNAS"],
        1.6,
    ),
    (
        "上海市特种设备检测研究院",
        "Shanghai Special Equipment Inspection Institute",
        M,
        "310109",
        "inspection",
        ["CMA", "CNAS"],
        1.2,
    ),
    ("浦江食品药品检测中心", "Pujiang Food and Drug Testing Centre", M, "310112", "environment", ["CMA", "CNAS"], 1.3),
    (
        "上海市环境监测技术中心",
        "Shanghai Environmental Monitoring Technology Centre",
        M,
        "310106",
        "environment",
        ["CMA"],
        1.2,
    ),
    (
        "上海市建筑材料检测研究院",
        "Shanghai Institute of Building Materials Testing",
        M,
        "310113",
        "inspection",
        ["CMA", "CNAS"],
        1.0,
    ),
    (
        "上海市电子产品检测中心",
        "Shanghai Electronic Products Testing Centre",
        M,
        "310105",
        "metrology",
        ["CMA", "CNAS"],
        1.0,
    ),
    (
        "上海市纤维与纺织品检验所",
        "Shanghai Fibre and Textile Inspection Institute",
        M,
        "310120",
        "chemistry",
        ["CMA"],
        0.7,
    ),
    (
        "上海申微半导体设备有限公司",
        "Shanghai Shenwei Semiconductor Equipment Co., Ltd.",
        E,
        "310115",
        "electronics",
        [],
        0.9,
    ),
    (
        "上海恒谱分析仪器有限公司",
        "Shanghai Hengpu Analytical Instruments Co., Ltd.",
        E,
        "310117",
        "chemistry",
        ["CNAS"],
        0.8,
    ),
    (
        "上海汇能新材料科技有限公司",
        "Shanghai Huineng New Materials Technology Co., Ltd.",
        E,
        "310116",
        "materials",
        [],
        0.6,
    ),
    ("上海启明生物医药有限公司", "Shanghai Qiming Biopharmaceutical Co., Ltd.", E, "310115", "bio", [], 0.8),
    (
        "上海博远检测技术有限公司",
        "Shanghai Boyuan Testing Technology Co., Ltd.",
        E,
        "310112",
        "environment",
        ["CMA", "CNAS"],
        0.8,
    ),
    (
        "上海东岳汽车零部件研究有限公司",
        "Shanghai Dongyue Automotive Components Research Co., Ltd.",
        E,
        "310114",
        "inspection",
        [],
        0.6,
    ),
    (
        "上海金山石化分析测试有限公司",
        "Shanghai Jinshan Petrochemical Analysis and Testing Co., Ltd.",
        E,
        "310116",
        "chemistry",
        ["CNAS"],
        0.6,
    ),
    ("上海临港激光科技有限公司", "Shanghai Lingang Laser Technology Co., Ltd.", E, "310115", "optics", [], 0.5),
    (
        "上海宝联金属材料检测有限公司",
        "Shanghai Baolian Metal Materials Testing Co., Ltd.",
        E,
        "310113",
        "inspection",
        ["CNAS"],
        0.6,
    ),
    (
        "上海青浦智能制造研究院有限公司",
        "Shanghai Qingpu Intelligent Manufacturing Research Institute Co., Ltd.",
        E,
        "310118",
        "manufacturing",
        [],
        0.6,
    ),
    (
        "上海崇明生态环境科技有限公司",
        "Shanghai Chongming Eco-environment Technology Co., Ltd.",
        E,
        "310151",
        "environment",
        [],
        0.4,
    ),
    (
        "上海虹桥航空材料检测有限公司",
        "Shanghai Hongqiao Aviation Materials Testing Co., Ltd.",
        E,
        "310105",
        "inspection",
        ["CNAS"],
        0.5,
    ),
    (
        "上海奉贤美谷化妆品检测有限公司",
        "Shanghai Fengxian Beauty Valley Cosmetics Testing Co., Ltd.",
        E,
        "310120",
        "environment",
        ["CMA"],
        0.4,
    ),
]

PROFILES = {
    "comprehensive": [
        "electron-optics",
        "mass-spectrometry",
        "x-ray",
        "spectroscopy",
        "chromatography",
        "magnetic-resonance",
        "thermal-analysis",
        "mechanical-testing",
        "network-spectrum-analyzers",
        "high-performance-computing",
        "cell-analysis",
        "microscopy-imaging",
    ],
    "materials": [
        "electron-optics",
        "x-ray",
        "thermal-analysis",
        "mechanical-testing",
        "materials-physical",
        "spectroscopy",
        "particle-size",
        "micro-nano-fabrication",
        "materials-processing",
    ],
    "marine": [
        "ocean-hydrology",
        "marine-geophysics",
        "marine-biology",
        "underwater-acoustics",
        "environmental-analysis",
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
    ],
    "medical": [
        "medical-imaging",
        "cell-analysis",
        "gene-sequencing",
        "mass-spectrometry",
        "microscopy-imaging",
        "biochemical-separation",
        "laboratory-animal",
    ],
    "bio": [
        "gene-sequencing",
        "cell-analysis",
        "biochemical-separation",
        "microscopy-imaging",
        "laboratory-animal",
        "mass-spectrometry",
        "magnetic-resonance",
    ],
    "electronics": [
        "oscilloscopes",
        "signal-generators",
        "network-spectrum-analyzers",
        "semiconductor-testing",
        "communication-testing",
        "micro-nano-fabrication",
        "electron-optics",
    ],
    "optics": [
        "solid-state-lasers",
        "fiber-lasers",
        "ultrafast-lasers",
        "optoelectronic-testing",
        "spectroscopy",
        "optical-metrology",
    ],
    "atmos": [
        "weather-radar",
        "atmospheric-radiation",
        "atmospheric-composition",
        "surface-meteorology",
        "environmental-analysis",
    ],
    "earth": [
        "seismic",
        "gravity-magnetic",
        "electrical-prospecting",
        "drilling-logging",
        "x-ray",
        "mass-spectrometry",
    ],
    "nuclear": ["radiation-detection", "accelerators", "nuclear-spectroscopy", "ionizing-radiation-metrology"],
    "astro": ["optical-telescopes", "radio-telescopes", "solar-instruments", "high-performance-computing"],
    "computing": ["high-performance-computing", "storage-systems", "visualisation"],
    "metrology": [
        "length-metrology",
        "mass-force-metrology",
        "thermal-metrology",
        "time-frequency",
        "electromagnetic-metrology",
        "optical-metrology",
        "oscilloscopes",
        "signal-generators",
    ],
    "inspection": [
        "non-destructive-testing",
        "mechanical-testing",
        "environmental-chambers",
        "security-inspection",
        "fire-explosion-testing",
        "length-metrology",
    ],
    "manufacturing": [
        "additive-manufacturing",
        "materials-processing",
        "mechanical-testing",
        "length-metrology",
        "environmental-chambers",
        "non-destructive-testing",
    ],
    "environment": [
        "environmental-analysis",
        "chromatography",
        "mass-spectrometry",
        "spectroscopy",
        "atmospheric-composition",
        "sample-preparation",
    ],
}


@dataclass(frozen=True)
class InstrumentTemplate:
    category: str
    name_zh: str
    name_en: str
    value_range: tuple[int, int]  # in 10,000 CNY (万元), before scaling to the platform total
    makes: tuple[tuple[str, str, str], ...]  # (manufacturer, country, model)
    spec: str


T = InstrumentTemplate
TEMPLATES = [
    T(
        "electron-optics",
        "场发射扫描电子显微镜",
        "Field-emission scanning electron microscope",
        (280, 520),
        (("Hitachi", "Japan", "SU8230"), ("Carl Zeiss", "Germany", "Sigma 300"), ("Thermo Fisher", "USA", "Apreo 2")),
        "分辨率 0.8 nm @ 15 kV；加速电压 0.02–30 kV；配 EDS 能谱",
    ),
    T(
        "electron-optics",
        "透射电子显微镜",
        "Transmission electron microscope",
        (600, 1500),
        (("JEOL", "Japan", "JEM-2100F"), ("Thermo Fisher", "USA", "Talos F200X")),
        "点分辨率 0.19 nm；加速电压 200 kV；STEM-HAADF、EDS",
    ),
    T(
        "electron-optics",
        "聚焦离子束双束电镜",
        "Focused ion beam / SEM dual-beam system",
        (500, 1100),
        (("Thermo Fisher", "USA", "Helios 5 UX"), ("Carl Zeiss", "Germany", "Crossbeam 550")),
        "离子束分辨率 2.5 nm；TEM 制样；三维重构",
    ),
    T(
        "mass-spectrometry",
        "液相色谱-串联质谱联用仪",
        "Liquid chromatography tandem mass spectrometer",
        (180, 420),
        (("Agilent", "USA", "6470B"), ("SCIEX", "USA", "Triple Quad 6500+"), ("Waters", "USA", "Xevo TQ-XS")),
        "质量范围 5–2000 m/z；MRM 通道 ≥ 4000",
    ),
    T(
        "mass-spectrometry",
        "高分辨轨道阱质谱仪",
        "High-resolution Orbitrap mass spectrometer",
        (350, 700),
        (("Thermo Fisher", "USA", "Orbitrap Exploris 480"),),
        "分辨率 480,000 FWHM；质量精度 < 1 ppm",
    ),
    T(
        "mass-spectrometry",
        "电感耦合等离子体质谱仪",
        "Inductively coupled plasma mass spectrometer",
        (120, 260),
        (("Agilent", "USA", "7900"), ("PerkinElmer", "USA", "NexION 2000")),
        "检出限 ppt 级；质量范围 2–260 amu",
    ),
    T(
        "mass-spectrometry",
        "气相色谱-质谱联用仪",
        "Gas chromatograph-mass spectrometer",
        (60, 140),
        (("Shimadzu", "Japan", "GCMS-QP2020 NX"), ("Agilent", "USA", "8890-5977B")),
        "EI/CI 源；质量范围 1.5–1090 m/z",
    ),
    T(
        "x-ray",
        "X射线衍射仪",
        "X-ray diffractometer",
        (90, 260),
        (
            ("Bruker", "Germany", "D8 Advance"),
            ("Rigaku", "Japan", "SmartLab 9kW"),
            ("Malvern Panalytical", "Netherlands", "Empyrean"),
        ),
        "Cu 靶；测角精度 0.0001°；薄膜与粉末衍射",
    ),
    T(
        "x-ray",
        "X射线光电子能谱仪",
        "X-ray photoelectron spectrometer",
        (380, 650),
        (("Thermo Fisher", "USA", "ESCALAB Xi+"), ("Kratos", "UK", "AXIS Supra+")),
        "能量分辨率 ≤ 0.45 eV；单色化 Al Kα",
    ),
    T(
        "x-ray",
        "X射线荧光光谱仪",
        "X-ray fluorescence spectrometer",
        (70, 160),
        (("Rigaku", "Japan", "ZSX Primus IV"), ("Bruker", "Germany", "S8 Tiger")),
        "元素范围 Be–U；波长色散",
    ),
    T(
        "spectroscopy",
        "激光共聚焦拉曼光谱仪",
        "Confocal Raman spectrometer",
        (90, 220),
        (("Horiba", "France", "LabRAM HR Evolution"), ("Renishaw", "UK", "inVia Qontor")),
        "光谱分辨率 ≤ 0.3 cm⁻¹；532/633/785 nm 激光",
    ),
    T(
        "spectroscopy",
        "傅里叶变换红外光谱仪",
        "Fourier-transform infrared spectrometer",
        (40, 120),
        (("Thermo Fisher", "USA", "Nicolet iS50"), ("Bruker", "Germany", "INVENIO R")),
        "光谱范围 7800–350 cm⁻¹；分辨率 0.09 cm⁻¹",
    ),
    T(
        "spectroscopy",
        "电感耦合等离子体发射光谱仪",
        "ICP optical emission spectrometer",
        (50, 110),
        (("Agilent", "USA", "5110"), ("PerkinElmer", "USA", "Avio 550 Max")),
        "波长范围 167–785 nm；同步垂直双向观测",
    ),
    T(
        "chromatography",
        "高效液相色谱仪",
        "High-performance liquid chromatograph",
        (25, 70),
        (("Waters", "USA", "Arc HPLC"), ("Agilent", "USA", "1260 Infinity II"), ("Shimadzu", "Japan", "LC-20AD")),
        "四元梯度；二极管阵列检测器",
    ),
    T(
        "chromatography",
        "超高效液相色谱仪",
        "Ultra-high-performance liquid chromatograph",
        (50, 110),
        (("Waters", "USA", "ACQUITY UPLC H-Class"), ("Thermo Fisher", "USA", "Vanquish Flex")),
        "耐压 1300 bar；PDA 与荧光检测",
    ),
    T(
        "chromatography",
        "气相色谱仪",
        "Gas chromatograph",
        (20, 55),
        (("Agilent", "USA", "8890"), ("Shimadzu", "Japan", "GC-2030"), ("Fuli", "China", "GC9790Plus")),
        "FID/ECD/TCD 检测器；顶空进样",
    ),
    T(
        "magnetic-resonance",
        "核磁共振波谱仪 (600 MHz)",
        "NMR spectrometer (600 MHz)",
        (700, 1400),
        (("Bruker", "Germany", "AVANCE NEO 600"), ("JEOL", "Japan", "JNM-ECZ600R")),
        "超低温探头；1H 灵敏度 ≥ 6000:1",
    ),
    T(
        "magnetic-resonance",
        "核磁共振波谱仪 (400 MHz)",
        "NMR spectrometer (400 MHz)",
        (250, 450),
        (("Bruker", "Germany", "AVANCE NEO 400"),),
        "BBO 宽带探头；自动进样 24 位",
    ),
    T(
        "magnetic-resonance",
        "电子顺磁共振波谱仪",
        "Electron paramagnetic resonance spectrometer",
        (260, 500),
        (("Bruker", "Germany", "EMXplus"),),
        "X 波段；变温 4–500 K",
    ),
    T(
        "electrochemistry",
        "电化学工作站",
        "Electrochemical workstation",
        (8, 30),
        (
            ("Metrohm Autolab", "Netherlands", "PGSTAT302N"),
            ("CH Instruments", "China", "CHI760E"),
            ("BioLogic", "France", "VSP-300"),
        ),
        "电位范围 ±10 V；阻抗 10 µHz–1 MHz",
    ),
    T(
        "microscopy-imaging",
        "激光扫描共聚焦显微镜",
        "Confocal laser scanning microscope",
        (200, 480),
        (("Leica", "Germany", "STELLARIS 8"), ("Carl Zeiss", "Germany", "LSM 980"), ("Nikon", "Japan", "AX R")),
        "405/488/561/640 nm；超分辨 Airyscan",
    ),
    T(
        "microscopy-imaging",
        "原子力显微镜",
        "Atomic force microscope",
        (120, 300),
        (("Bruker", "Germany", "Dimension Icon"), ("Oxford Instruments", "UK", "Cypher ES")),
        "Z 向噪声 < 30 pm；PeakForce 模式",
    ),
    T(
        "thermal-analysis",
        "同步热分析仪",
        "Simultaneous thermal analyser",
        (40, 110),
        (("Netzsch", "Germany", "STA 449 F3"), ("Mettler Toledo", "Switzerland", "TGA/DSC 3+")),
        "室温–1600 °C；TG-DSC 同步",
    ),
    T(
        "thermal-analysis",
        "差示扫描量热仪",
        "Differential scanning calorimeter",
        (25, 70),
        (("TA Instruments", "USA", "DSC 2500"), ("Netzsch", "Germany", "DSC 214 Polyma")),
        "温度范围 −180–725 °C",
    ),
    T(
        "biochemical-separation",
        "超速离心机",
        "Ultracentrifuge",
        (60, 140),
        (("Beckman Coulter", "USA", "Optima XPN-100"), ("Thermo Fisher", "USA", "Sorvall WX+")),
        "最高转速 100,000 rpm；RCF 802,000 ×g",
    ),
    T(
        "biochemical-separation",
        "蛋白纯化系统",
        "Protein purification system",
        (45, 90),
        (("Cytiva", "Sweden", "ÄKTA pure 25"),),
        "流速 0.001–25 mL/min；多波长检测",
    ),
    T(
        "environmental-analysis",
        "总有机碳分析仪",
        "Total organic carbon analyser",
        (30, 70),
        (("Shimadzu", "Japan", "TOC-L CPH"), ("Elementar", "Germany", "vario TOC cube")),
        "检测范围 4 µg/L–30,000 mg/L",
    ),
    T(
        "environmental-analysis",
        "离子色谱仪",
        "Ion chromatograph",
        (35, 80),
        (("Thermo Fisher", "USA", "Dionex ICS-6000"), ("Metrohm", "Switzerland", "940 Professional IC")),
        "抑制电导检测；阴阳离子同时分析",
    ),
    T(
        "sample-preparation",
        "微波消解仪",
        "Microwave digestion system",
        (25, 55),
        (("CEM", "USA", "MARS 6"), ("Anton Paar", "Austria", "Multiwave 7000")),
        "最高 300 °C / 199 bar",
    ),
    T(
        "mechanical-testing",
        "电子万能材料试验机",
        "Universal testing machine",
        (45, 150),
        (("Instron", "USA", "5985"), ("Zwick/Roell", "Germany", "Z250"), ("MTS", "USA", "E45.305")),
        "最大载荷 250 kN；精度 0.5 级",
    ),
    T(
        "mechanical-testing",
        "电液伺服疲劳试验机",
        "Servo-hydraulic fatigue testing system",
        (120, 380),
        (("MTS", "USA", "Landmark 370.25"), ("Instron", "USA", "8802")),
        "动态载荷 ±250 kN；频率 0.01–100 Hz",
    ),
    T(
        "mechanical-testing",
        "纳米压痕仪",
        "Nanoindenter",
        (150, 320),
        (("Bruker", "Germany", "Hysitron TI 980"), ("KLA", "USA", "iMicro")),
        "载荷分辨率 < 1 nN；位移分辨率 0.006 nm",
    ),
    T(
        "optoelectronic-testing",
        "太阳能电池量子效率测试系统",
        "Solar cell quantum efficiency system",
        (40, 90),
        (("Enlitech", "China", "QE-R"), ("Newport", "USA", "IQE-200B")),
        "波长 300–1800 nm",
    ),
    T(
        "acoustics-vibration",
        "激光多普勒测振仪",
        "Laser Doppler vibrometer",
        (90, 240),
        (("Polytec", "Germany", "PSV-500"),),
        "频率 0–25 MHz；全场扫描",
    ),
    T(
        "particle-size",
        "激光粒度分析仪",
        "Laser diffraction particle size analyser",
        (35, 80),
        (("Malvern Panalytical", "UK", "Mastersizer 3000"), ("Bettersize", "China", "BT-9300ST")),
        "测量范围 0.01–3500 µm",
    ),
    T(
        "materials-physical",
        "综合物性测量系统",
        "Physical property measurement system",
        (350, 650),
        (("Quantum Design", "USA", "PPMS DynaCool"),),
        "温度 1.8–400 K；磁场 ±9 T",
    ),
    T(
        "materials-physical",
        "比表面与孔径分析仪",
        "Surface area and porosity analyser",
        (25, 60),
        (("Micromeritics", "USA", "ASAP 2460"), ("Quantachrome", "USA", "Autosorb-iQ")),
        "比表面 ≥ 0.0005 m²/g；微孔分析",
    ),
    T(
        "length-metrology",
        "三坐标测量机",
        "Coordinate measuring machine",
        (80, 260),
        (("Hexagon", "Sweden", "Global S 9.15.8"), ("Carl Zeiss", "Germany", "CONTURA 10/16/6")),
        "MPE_E = 1.5 + L/350 µm",
    ),
    T(
        "length-metrology",
        "激光干涉仪",
        "Laser interferometer",
        (40, 90),
        (("Renishaw", "UK", "XL-80"), ("Keysight", "USA", "5530")),
        "线性精度 ±0.5 ppm",
    ),
    T(
        "mass-force-metrology",
        "标准力源机",
        "Deadweight force standard machine",
        (120, 300),
        (("GTM", "Germany", "DKM 100 kN"), ("NIM Instruments", "China", "BZLJ-100K")),
        "不确定度 2×10⁻⁵ (k=2)",
    ),
    T(
        "thermal-metrology",
        "标准铂电阻温度计检定装置",
        "Standard platinum resistance thermometer system",
        (30, 80),
        (("Fluke Calibration", "USA", "1595A"), ("Isotech", "UK", "microK 70")),
        "测温范围 −196–660 °C；0.1 mK 分辨",
    ),
    T(
        "time-frequency",
        "氢原子钟",
        "Hydrogen maser",
        (300, 600),
        (("Microsemi", "USA", "MHM 2010"), ("Shanghai Astronomical Instruments", "China", "SOHM-4")),
        "日稳定度 2×10⁻¹⁵",
    ),
    T(
        "electromagnetic-metrology",
        "多功能校准源",
        "Multi-product calibrator",
        (30, 70),
        (("Fluke Calibration", "USA", "5730A"), ("Transmille", "UK", "4010")),
        "直流电压不确定度 3.5 ppm",
    ),
    T(
        "optical-metrology",
        "光谱辐射计",
        "Spectroradiometer",
        (40, 100),
        (("Konica Minolta", "Japan", "CS-2000A"), ("Instrument Systems", "Germany", "CAS 140D")),
        "波长 380–780 nm；亮度 0.003–500,000 cd/m²",
    ),
    T(
        "ionizing-radiation-metrology",
        "电离室剂量标准装置",
        "Ionisation chamber dosimetry standard",
        (90, 200),
        (("PTW", "Germany", "UNIDOS Tango"),),
        "空气比释动能；不确定度 0.5 %",
    ),
    T(
        "oscilloscopes",
        "高速数字示波器",
        "High-speed digital oscilloscope",
        (60, 220),
        (("Keysight", "USA", "UXR0334A"), ("Tektronix", "USA", "MSO68B"), ("RIGOL", "China", "DS70000")),
        "带宽 8–33 GHz；采样率 128 GSa/s",
    ),
    T(
        "signal-generators",
        "矢量信号发生器",
        "Vector signal generator",
        (40, 120),
        (("Rohde & Schwarz", "Germany", "SMW200A"), ("Keysight", "USA", "M9384B")),
        "频率 100 kHz–44 GHz",
    ),
    T(
        "network-spectrum-analyzers",
        "矢量网络分析仪",
        "Vector network analyser",
        (80, 260),
        (("Keysight", "USA", "N5227B"), ("Rohde & Schwarz", "Germany", "ZNA67"), ("Ceyear", "China", "3672E")),
        "频率 10 MHz–67 GHz；动态范围 130 dB",
    ),
    T(
        "network-spectrum-analyzers",
        "频谱分析仪",
        "Spectrum analyser",
        (50, 150),
        (("Rohde & Schwarz", "Germany", "FSW43"), ("Keysight", "USA", "N9040B")),
        "频率 2 Hz–43.5 GHz",
    ),
    T(
        "semiconductor-testing",
        "半导体参数分析仪",
        "Semiconductor parameter analyser",
        (70, 180),
        (("Keysight", "USA", "B1500A"), ("Tektronix", "USA", "4200A-SCS")),
        "电流分辨率 0.1 fA；C-V 测量",
    ),
    T(
        "semiconductor-testing",
        "探针台",
        "Probe station",
        (40, 130),
        (("FormFactor", "USA", "MPS150"), ("MPI", "China", "TS2000-SE")),
        "8 英寸晶圆；−60–300 °C",
    ),
    T(
        "communication-testing",
        "5G 无线综合测试仪",
        "5G wireless communications tester",
        (120, 280),
        (("Rohde & Schwarz", "Germany", "CMX500"), ("Keysight", "USA", "UXM 5G")),
        "FR1/FR2；NSA 与 SA 模式",
    ),
    T(
        "micro-nano-fabrication",
        "电子束光刻系统",
        "Electron-beam lithography system",
        (900, 1800),
        (("Raith", "Germany", "EBPG 5200"), ("JEOL", "Japan", "JBX-8100FS")),
        "最小线宽 < 8 nm；100 kV",
    ),
    T(
        "micro-nano-fabrication",
        "电感耦合等离子体刻蚀机",
        "Inductively coupled plasma etcher",
        (180, 420),
        (("Oxford Instruments", "UK", "PlasmaPro 100 Cobra"), ("NAURA", "China", "GSE C200")),
        "氯基/氟基刻蚀；6 英寸",
    ),
    T(
        "micro-nano-fabrication",
        "原子层沉积系统",
        "Atomic layer deposition system",
        (120, 280),
        (("Beneq", "Finland", "TFS 200"), ("Picosun", "Finland", "R-200 Advanced")),
        "热/等离子体 ALD；8 英寸",
    ),
    T(
        "materials-processing",
        "放电等离子烧结炉",
        "Spark plasma sintering furnace",
        (150, 350),
        (("Fuji Electronic", "Japan", "SPS-3.20MK-V"),),
        "最高 2200 °C；压力 200 kN",
    ),
    T(
        "additive-manufacturing",
        "金属激光选区熔化 3D 打印机",
        "Metal laser powder-bed fusion printer",
        (250, 600),
        (("EOS", "Germany", "M 290"), ("BLT", "China", "BLT-S310")),
        "成形尺寸 250×250×325 mm；400 W 激光",
    ),
    T(
        "environmental-chambers",
        "高低温湿热试验箱",
        "Temperature and humidity test chamber",
        (15, 45),
        (("ESPEC", "Japan", "PL-3KPH"), ("Weiss Technik", "Germany", "ClimeEvent C/340")),
        "−70–180 °C；10–98 % RH",
    ),
    T(
        "environmental-chambers",
        "电动振动试验系统",
        "Electrodynamic shaker system",
        (60, 180),
        (("Brüel & Kjær", "Denmark", "LDS V8900"), ("Suzhou Sushi", "China", "DC-6000")),
        "推力 60 kN；频率 2–2700 Hz",
    ),
    T(
        "non-destructive-testing",
        "工业 CT 检测系统",
        "Industrial computed tomography system",
        (300, 800),
        (("Waygate Technologies", "Germany", "phoenix v|tome|x m"), ("Zeiss", "Germany", "METROTOM 1500")),
        "分辨率 < 1 µm；300 kV 射线源",
    ),
    T(
        "non-destructive-testing",
        "相控阵超声检测仪",
        "Phased-array ultrasonic flaw detector",
        (25, 60),
        (("Evident", "Japan", "OmniScan X3"), ("Doppler", "China", "Phascan II")),
        "64 阵元；TFM 全聚焦",
    ),
    T(
        "security-inspection",
        "X射线安全检查设备",
        "X-ray security inspection system",
        (30, 90),
        (("Nuctech", "China", "CX6040BI"), ("Smiths Detection", "UK", "HI-SCAN 6040-2is")),
        "双能分辨；穿透钢板 38 mm",
    ),
    T(
        "fire-explosion-testing",
        "锥形量热仪",
        "Cone calorimeter",
        (50, 110),
        (("Fire Testing Technology", "UK", "iCone Classic"),),
        "热辐射 0–100 kW/m²；ISO 5660",
    ),
    T(
        "ocean-hydrology",
        "多参数温盐深剖面仪",
        "CTD profiler",
        (60, 150),
        (("Sea-Bird Scientific", "USA", "SBE 911plus"), ("RBR", "Canada", "RBRmaestro3")),
        "深度 10,500 m；电导率精度 0.0003 S/m",
    ),
    T(
        "ocean-hydrology",
        "声学多普勒流速剖面仪",
        "Acoustic Doppler current profiler",
        (40, 110),
        (("Teledyne RDI", "USA", "Workhorse 300 kHz"), ("Nortek", "Norway", "Signature500")),
        "剖面范围 165 m",
    ),
    T(
        "marine-geophysics",
        "多波束测深系统",
        "Multibeam echosounder",
        (250, 600),
        (("Kongsberg", "Norway", "EM 712"), ("R2Sonic", "USA", "2024")),
        "测深 3–3000 m；波束 512",
    ),
    T(
        "marine-biology",
        "流式细胞浮游生物分析仪",
        "Imaging flow cytobot",
        (120, 260),
        (("McLane", "USA", "IFCB"),),
        "粒径 10–150 µm；原位连续观测",
    ),
    T(
        "underwater-acoustics",
        "水听器校准系统",
        "Hydrophone calibration system",
        (80, 200),
        (("Brüel & Kjær", "Denmark", "Type 8104 kit"),),
        "频率 0.1 Hz–180 kHz",
    ),
    T(
        "seismic",
        "宽频带地震仪",
        "Broadband seismometer",
        (30, 80),
        (("Nanometrics", "Canada", "Trillium 120"), ("Güralp", "UK", "CMG-3T")),
        "频带 120 s–150 Hz",
    ),
    T(
        "gravity-magnetic",
        "相对重力仪",
        "Relative gravimeter",
        (80, 180),
        (("Scintrex", "Canada", "CG-6"), ("Micro-g LaCoste", "USA", "gPhoneX")),
        "读数分辨率 0.1 µGal",
    ),
    T(
        "electrical-prospecting",
        "高密度电法仪",
        "Multi-electrode resistivity system",
        (30, 70),
        (("ABEM", "Sweden", "Terrameter LS 2"), ("Chongqing Pentium", "China", "WGMD-9")),
        "电极 64–256 道",
    ),
    T(
        "drilling-logging",
        "数字测井系统",
        "Digital well-logging system",
        (90, 220),
        (("Mount Sopris", "USA", "Matrix"),),
        "自然伽马、声波、电阻率",
    ),
    T(
        "weather-radar",
        "测风激光雷达",
        "Doppler wind lidar",
        (120, 280),
        (("Leosphere", "France", "WindCube 100S"), ("Everise", "China", "WindMast WP350")),
        "探测距离 3 km；风速精度 0.1 m/s",
    ),
    T(
        "atmospheric-radiation",
        "太阳辐射观测系统",
        "Solar radiation station",
        (30, 70),
        (("Kipp & Zonen", "Netherlands", "SOLYS2"),),
        "直射、散射与总辐射",
    ),
    T(
        "atmospheric-composition",
        "气溶胶质谱仪",
        "Aerosol mass spectrometer",
        (300, 520),
        (("Aerodyne", "USA", "HR-ToF-AMS"),),
        "时间分辨 1 min；PM1 化学组分",
    ),
    T(
        "atmospheric-composition",
        "温室气体分析仪",
        "Greenhouse gas analyser",
        (40, 90),
        (("Picarro", "USA", "G2401"), ("LI-COR", "USA", "LI-7810")),
        "CO2/CH4/CO/H2O 同步测量",
    ),
    T(
        "surface-meteorology",
        "自动气象站",
        "Automatic weather station",
        (8, 25),
        (("Vaisala", "Finland", "MAWS301"), ("Huayun", "China", "DZZ5")),
        "温湿压风雨 1 分钟观测",
    ),
    T(
        "solid-state-lasers",
        "可调谐钛宝石激光器",
        "Tunable Ti:sapphire laser",
        (90, 220),
        (("Coherent", "USA", "Chameleon Ultra II"), ("Spectra-Physics", "USA", "Mai Tai DeepSee")),
        "波长 680–1080 nm",
    ),
    T(
        "fiber-lasers",
        "高功率光纤激光器",
        "High-power fibre laser",
        (40, 160),
        (("IPG Photonics", "USA", "YLS-6000"), ("Raycus", "China", "RFL-C6000")),
        "输出功率 6 kW；BPP < 2.5",
    ),
    T(
        "ultrafast-lasers",
        "飞秒激光放大系统",
        "Femtosecond laser amplifier",
        (300, 700),
        (("Coherent", "USA", "Astrella"), ("Light Conversion", "Lithuania", "PHAROS")),
        "脉宽 < 35 fs；单脉冲能量 7 mJ",
    ),
    T(
        "high-performance-computing",
        "高性能计算集群",
        "High-performance computing cluster",
        (400, 1200),
        (("Sugon", "China", "TC6600"), ("Inspur", "China", "NF5688M6"), ("Lenovo", "China", "ThinkSystem SD650")),
        "峰值 1.2 PFLOPS；GPU 节点 32 个",
    ),
    T(
        "storage-systems",
        "并行存储系统",
        "Parallel storage system",
        (120, 350),
        (("DDN", "USA", "ES400NVX2"), ("Huawei", "China", "OceanStor Pacific")),
        "容量 4 PB；带宽 100 GB/s",
    ),
    T(
        "visualisation",
        "沉浸式可视化系统",
        "Immersive visualisation system",
        (80, 200),
        (("Barco", "Belgium", "F90-4K13"),),
        "LED 拼接 8K；三维立体显示",
    ),
    T(
        "radiation-detection",
        "高纯锗伽马能谱仪",
        "High-purity germanium gamma spectrometer",
        (60, 150),
        (("Mirion Canberra", "USA", "BE6530"), ("ORTEC", "USA", "GEM-C5970")),
        "能量分辨率 1.8 keV @ 1332 keV",
    ),
    T(
        "accelerators",
        "电子直线加速器",
        "Electron linear accelerator",
        (900, 1800),
        (("Varian", "USA", "TrueBeam"), ("CGN Dasheng", "China", "DZ-10/20")),
        "能量 10 MeV；辐照加工与研究",
    ),
    T(
        "nuclear-spectroscopy",
        "液体闪烁计数器",
        "Liquid scintillation counter",
        (60, 130),
        (("PerkinElmer", "USA", "Quantulus GCT 6220"), ("Hidex", "Finland", "300 SL")),
        "超低本底；α/β 甄别",
    ),
    T(
        "optical-telescopes",
        "1 米光学望远镜",
        "1-metre optical telescope",
        (900, 1600),
        (("Nanjing Astronomical Instruments", "China", "NAOC-1.0m"), ("PlaneWave", "USA", "PW1000")),
        "口径 1.0 m；CCD 4K×4K",
    ),
    T(
        "radio-telescopes",
        "13 米射电望远镜接收系统",
        "13-metre radio telescope receiver",
        (700, 1500),
        (("CETC 54th Institute", "China", "VGOS-13"),),
        "频率 2–14 GHz；VLBI",
    ),
    T(
        "solar-instruments",
        "太阳色球望远镜",
        "Solar chromosphere telescope",
        (150, 300),
        (("Nanjing Astronomical Instruments", "China", "ONSET"),),
        'Hα 线心成像；空间分辨 1"',
    ),
    T(
        "medical-imaging",
        "小动物活体成像系统",
        "In vivo small-animal imaging system",
        (180, 420),
        (("PerkinElmer", "USA", "IVIS Spectrum"), ("Bruker", "Germany", "In-Vivo Xtreme")),
        "生物发光与荧光三维成像",
    ),
    T(
        "medical-imaging",
        "小动物磁共振成像仪",
        "Preclinical MRI scanner",
        (800, 1500),
        (("Bruker", "Germany", "BioSpec 94/30"), ("MR Solutions", "UK", "FLEXIscan 7T")),
        "9.4 T；梯度 660 mT/m",
    ),
    T(
        "cell-analysis",
        "流式细胞分选仪",
        "Flow cytometer cell sorter",
        (250, 520),
        (("BD Biosciences", "USA", "FACSAria Fusion"), ("Beckman Coulter", "USA", "MoFlo Astrios EQ")),
        "5 激光 18 色；四路分选",
    ),
    T(
        "cell-analysis",
        "高内涵细胞成像分析系统",
        "High-content cell imaging system",
        (150, 300),
        (("Revvity", "USA", "Operetta CLS"), ("Molecular Devices", "USA", "ImageXpress Micro 4")),
        "共聚焦模式；活细胞长时程",
    ),
    T(
        "gene-sequencing",
        "高通量基因测序仪",
        "High-throughput DNA sequencer",
        (300, 900),
        (("Illumina", "USA", "NovaSeq 6000"), ("MGI", "China", "DNBSEQ-T7")),
        "单次通量 6 Tb；PE150",
    ),
    T(
        "gene-sequencing",
        "实时荧光定量 PCR 仪",
        "Real-time quantitative PCR system",
        (25, 60),
        (("Thermo Fisher", "USA", "QuantStudio 7 Pro"), ("Bio-Rad", "USA", "CFX Opus 384")),
        "384 孔；6 通道荧光",
    ),
    T(
        "laboratory-animal",
        "独立通气笼系统",
        "Individually ventilated cage system",
        (20, 50),
        (("Tecniplast", "Italy", "GM500"), ("Suhang", "China", "IVC-128")),
        "128 笼位；SPF 级",
    ),
    T(
        "other-general",
        "超纯水系统",
        "Ultrapure water system",
        (8, 20),
        (("Merck Millipore", "Germany", "Milli-Q IQ 7000"), ("Sartorius", "Germany", "arium pro")),
        "电阻率 18.2 MΩ·cm",
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
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
]
BUILDINGS = ["实验楼", "分析测试中心", "科研楼", "综合楼", "仪器共享平台", "材料楼", "生命科学楼", "测试大楼"]
ROADS = [
    "科学路",
    "创新路",
    "学府路",
    "张衡路",
    "华山路",
    "长阳路",
    "沪闵路",
    "宝杨路",
    "嘉松北路",
    "龙腾大道",
    "临港大道",
    "松卫北路",
    "淞沪路",
    "汶水路",
    "天山路",
    "金山大道",
]


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


def _unit_specs(rng: random.Random) -> list[UnitSpec]:
    specs = []
    districts = {code: zh for code, _en, zh in DISTRICTS}
    for index, (name, name_en, kind, district, profile, accreditations, weight) in enumerate(UNITS):
        authority = "91" if kind == Unit.Kind.ENTERPRISE else "12"
        organisation = f"{rng.randrange(10**6):06d}{index:02d}{rng.choice(USCC_ALPHABET)}"
        code = uscc_build(f"{authority}{district}{organisation}")
        domain = f"demo-unit-{index + 1:02d}.example.cn"
        specs.append(
            UnitSpec(
                index=index,
                profile=profile,
                weight=weight,
                fields={
                    "name": name,
                    "name_en": name_en,
                    "kind": kind,
                    "credit_code": code,
                    "region_code": district,
                    "address": f"上海市{districts[district]}{rng.choice(ROADS)}{rng.randrange(1, 1500)}号",
                    "contact_name": _person(rng),
                    "contact_phone": f"021-{rng.randrange(5000, 6999)}{rng.randrange(1000, 9999)}",
                    "contact_email": f"share@{domain}",
                    "website": f"https://www.{domain}/",
                    "accreditations": accreditations,
                    "description": f"{name}面向社会开放共享大型科研仪器，提供测试、分析与技术咨询服务。",
                },
            )
        )
    return specs


def _instrument_counts(specs: list[UnitSpec]) -> list[int]:
    """Instruments per unit, proportional to weight, the big institute fixed, summing to the total exactly."""
    remaining = INSTRUMENT_COUNT - BIG_UNIT_INSTRUMENTS
    weights = [spec.weight for spec in specs]
    total_weight = sum(weight for index, weight in enumerate(weights) if index != BIG_UNIT_INDEX)
    shares = [0.0 if index == BIG_UNIT_INDEX else remaining * w / total_weight for index, w in enumerate(weights)]
    counts = [max(1, math.floor(share)) for share in shares]
    counts[BIG_UNIT_INDEX] = BIG_UNIT_INSTRUMENTS
    order = sorted(
        (index for index in range(len(specs)) if index != BIG_UNIT_INDEX),
        key=lambda index: shares[index] - math.floor(shares[index]),
        reverse=True,
    )
    position = 0
    while sum(counts) != INSTRUMENT_COUNT:
        step = 1 if sum(counts) < INSTRUMENT_COUNT else -1
        index = order[position % len(order)]
        if counts[index] + step >= 1:
            counts[index] += step
        position += 1
    return counts


def _instrument_specs(rng: random.Random, specs: list[UnitSpec]) -> list[tuple[int, dict]]:
    """(unit index, instrument fields) for every demo instrument, values scaled to the platform total."""
    counts = _instrument_counts(specs)
    first_day = date(2008, 1, 1)
    span = (date(2025, 12, 31) - first_day).days
    raw: list[tuple[int, dict, float]] = []
    for spec, count in zip(specs, counts, strict=True):
        profile = set(PROFILES[spec.profile])
        candidates = [template for template in TEMPLATES if template.category in profile]
        # Cheaper instruments are more common than million-yuan ones, as on real city platforms.
        weights = [(template.value_range[0] * template.value_range[1]) ** -0.9 for template in candidates]
        for sequence in range(1, count + 1):
            template = rng.choices(candidates, weights=weights)[0]
            manufacturer, country, model = rng.choice(template.makes)
            low, high = template.value_range
            value = math.exp(rng.uniform(math.log(low), math.log(high))) * 10_000
            purchased = first_day + timedelta(days=rng.randrange(span))
            fields = {
                "asset_number": f"{purchased.year}-{sequence:04d}",
                "category_code": template.category,
                "name": template.name_zh,
                "name_en": template.name_en,
                "model_number": model,
                "manufacturer": manufacturer,
                "country_of_origin": country,
                "purchase_date": purchased,
                "location": f"{rng.choice(BUILDINGS)} {rng.choice('ABCDE')}{rng.randrange(101, 540)}",
                "status": Instrument.Status.MAINTENANCE if rng.random() < 0.04 else Instrument.Status.AVAILABLE,
                "description": (
                    f"{template.name_zh}（{manufacturer} {model}），{spec.fields['name']}购置，面向校内外开放共享。"
                ),
                "specifications": template.spec,
                "services": "样品测试、数据分析、操作培训；可预约上机或委托测试。",
                "requires_approval": rng.random() < 0.85,
                "min_credit_score": rng.choice([None, None, None, None, 600, 600, 650]),
                "contact_name": _person(rng),
                "contact_phone": f"021-{rng.randrange(5000, 6999)}{rng.randrange(1000, 9999)}",
            }
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
            deposit=_round_to(min(max(float(original) * 0.0005, 500), 20000), 100)
            if original >= 500_000
            else _money(0),
            requires_qualification=original >= 1_000_000 and rng.random() < 0.6,
        )
        result.append((unit_index, fields))
    return result


@dataclass
class SeedSummary:
    regions_created: int
    units_created: int
    instruments_created: int
    users_created: int
    units_total: int
    instruments_total: int
    value_total: Decimal

    def line(self) -> str:
        return (
            f"Demo city platform: {self.units_total} units, {self.instruments_total} instruments, "
            f"{self.value_total:,.2f} CNY in total (created now: {self.regions_created} regions, "
            f"{self.units_created} units, {self.instruments_created} instruments, {self.users_created} accounts)."
        )


DEMO_ACCOUNTS = [
    # (username, password, is_staff/superuser, unit index, role)
    ("admin", "admin-demo-2026", True, None, None),
    ("provider", "demo-2026", False, 0, Membership.Role.ADMIN),
    ("researcher", "demo-2026", False, 4, Membership.Role.MEMBER),
]


def _seed_regions() -> int:
    shanghai = Region.objects.get(code=SHANGHAI)
    existing = set(
        Region.objects.filter(code__in=[code for code, _en, _zh in DISTRICTS]).values_list("code", flat=True)
    )
    missing = [
        Region(code=code, name_en=name_en, name_zh=name_zh, parent=shanghai)
        for code, name_en, name_zh in DISTRICTS
        if code not in existing
    ]
    Region.objects.bulk_create(missing)
    return len(missing)


def _seed_units(specs: list[UnitSpec], status_date: datetime) -> tuple[list[Unit], int]:
    regions = {region.code: region for region in Region.objects.filter(code__in=[c for c, _e, _z in DISTRICTS])}
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
        if unit_index is not None:
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
        regions_created = _seed_regions()
        units, units_created = _seed_units(specs, status_date)
        instruments_created = _seed_instruments(units, instrument_specs)
        users_created = _seed_accounts(units)
    demo_instruments = Instrument.objects.filter(unit__in=units)
    return SeedSummary(
        regions_created=regions_created,
        units_created=units_created,
        instruments_created=instruments_created,
        users_created=users_created,
        units_total=len(units),
        instruments_total=demo_instruments.count(),
        value_total=demo_instruments.aggregate(total=Sum("original_value"))["total"] or Decimal("0"),
    )
