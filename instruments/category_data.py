"""The two-level national classification of large scientific instruments, in both languages.

Loaded by a data migration; also used by tests and the demo data to find categories by code.
(code, English, Chinese, [(code, English, Chinese), ...])
"""

CATEGORY_TREE = [
    (
        "analytical",
        "Analytical instruments",
        "分析仪器",
        [
            ("electron-optics", "Electron optics", "电子光学仪器"),
            ("mass-spectrometry", "Mass spectrometry", "质谱仪器"),
            ("x-ray", "X-ray instruments", "X射线仪器"),
            ("spectroscopy", "Spectroscopy", "光谱仪器"),
            ("chromatography", "Chromatography", "色谱仪器"),
            ("magnetic-resonance", "Magnetic resonance", "波谱仪器"),
            ("electrochemistry", "Electrochemistry", "电化学仪器"),
            ("microscopy-imaging", "Microscopy and image analysis", "显微镜及图像分析仪器"),
            ("thermal-analysis", "Thermal analysis", "热分析仪器"),
            ("biochemical-separation", "Biochemical separation and analysis", "生化分离分析仪器"),
            ("environmental-analysis", "Environmental and agricultural analysis", "环境与农业分析仪器"),
            ("sample-preparation", "Sample preparation", "样品前处理及制备仪器"),
        ],
    ),
    (
        "physical-testing",
        "Physical property testing",
        "物理性能测试仪器",
        [
            ("mechanical-testing", "Mechanical testing", "力学性能测试仪器"),
            ("optoelectronic-testing", "Optoelectronic measurement", "光电测量仪器"),
            ("acoustics-vibration", "Acoustics and vibration", "声学振动仪器"),
            ("particle-size", "Particle size measurement", "颗粒度测量仪器"),
            ("materials-physical", "Physical properties of materials", "材料物性测试仪器"),
        ],
    ),
    (
        "metrology",
        "Metrology instruments",
        "计量仪器",
        [
            ("length-metrology", "Length and geometry", "长度计量仪器"),
            ("mass-force-metrology", "Mass, force and pressure", "力学计量仪器"),
            ("thermal-metrology", "Temperature", "热学计量仪器"),
            ("time-frequency", "Time and frequency", "时间频率计量仪器"),
            ("electromagnetic-metrology", "Electromagnetic", "电磁学计量仪器"),
            ("optical-metrology", "Optical radiation", "光学计量仪器"),
            ("ionizing-radiation-metrology", "Ionising radiation", "电离辐射计量仪器"),
        ],
    ),
    (
        "electronic-measurement",
        "Electronic measurement instruments",
        "电子测量仪器",
        [
            ("oscilloscopes", "Oscilloscopes", "示波器"),
            ("signal-generators", "Signal generators", "信号发生器"),
            ("network-spectrum-analyzers", "Network and spectrum analysers", "网络与频谱分析仪"),
            ("semiconductor-testing", "Semiconductor parameter testing", "半导体参数测试仪器"),
            ("communication-testing", "Communication testing", "通信测试仪器"),
        ],
    ),
    (
        "marine",
        "Marine instruments",
        "海洋仪器",
        [
            ("ocean-hydrology", "Ocean hydrology", "海洋水文测量仪器"),
            ("marine-geophysics", "Marine geology and geophysics", "海洋地质地球物理调查仪器"),
            ("marine-biology", "Marine biology and chemistry", "海洋生物与化学调查仪器"),
            ("underwater-acoustics", "Underwater acoustics", "水声测量仪器"),
        ],
    ),
    (
        "earth-exploration",
        "Earth exploration instruments",
        "地球探测仪器",
        [
            ("seismic", "Seismic", "地震仪器"),
            ("gravity-magnetic", "Gravity and magnetic prospecting", "重磁勘探仪器"),
            ("electrical-prospecting", "Electrical prospecting", "电法勘探仪器"),
            ("drilling-logging", "Drilling and logging", "钻探与测井仪器"),
        ],
    ),
    (
        "atmospheric",
        "Atmospheric sounding instruments",
        "大气探测仪器",
        [
            ("weather-radar", "Weather radar and lidar", "气象雷达与激光雷达"),
            ("atmospheric-radiation", "Atmospheric radiation", "大气辐射测量仪器"),
            ("atmospheric-composition", "Atmospheric composition", "大气成分探测仪器"),
            ("surface-meteorology", "Surface meteorology", "地面气象观测仪器"),
        ],
    ),
    (
        "special-inspection",
        "Special inspection instruments",
        "特种检测仪器",
        [
            ("non-destructive-testing", "Non-destructive testing", "无损检测仪器"),
            ("security-inspection", "Security inspection", "安全检查仪器"),
            ("fire-explosion-testing", "Fire and explosion testing", "防爆与消防检测仪器"),
        ],
    ),
    (
        "lasers",
        "Lasers",
        "激光器",
        [
            ("solid-state-lasers", "Solid-state lasers", "固体激光器"),
            ("gas-lasers", "Gas lasers", "气体激光器"),
            ("fiber-lasers", "Fibre lasers", "光纤激光器"),
            ("ultrafast-lasers", "Ultrafast lasers", "超快激光器"),
            ("semiconductor-lasers", "Semiconductor lasers", "半导体激光器"),
        ],
    ),
    (
        "process-testing",
        "Process testing instruments",
        "工艺试验仪器",
        [
            ("materials-processing", "Materials processing", "材料加工与处理仪器"),
            ("micro-nano-fabrication", "Micro- and nanofabrication", "微纳加工仪器"),
            ("additive-manufacturing", "Additive manufacturing", "增材制造设备"),
            ("environmental-chambers", "Environmental test chambers", "环境试验设备"),
        ],
    ),
    (
        "computing",
        "Computers and ancillary equipment",
        "计算机及其配套设备",
        [
            ("high-performance-computing", "High-performance computing", "高性能计算设备"),
            ("storage-systems", "Storage systems", "存储设备"),
            ("visualisation", "Visualisation systems", "可视化设备"),
        ],
    ),
    (
        "nuclear",
        "Nuclear instruments",
        "核仪器",
        [
            ("radiation-detection", "Radiation detection", "辐射探测仪器"),
            ("accelerators", "Accelerators", "加速器"),
            ("nuclear-spectroscopy", "Nuclear spectroscopy", "核谱仪器"),
        ],
    ),
    (
        "astronomical",
        "Astronomical instruments",
        "天文仪器",
        [
            ("optical-telescopes", "Optical telescopes", "光学望远镜"),
            ("radio-telescopes", "Radio telescopes", "射电望远镜"),
            ("solar-instruments", "Solar observation", "太阳观测仪器"),
        ],
    ),
    (
        "medical-research",
        "Medical research instruments",
        "医学科研仪器",
        [
            ("medical-imaging", "Medical imaging", "医学影像仪器"),
            ("cell-analysis", "Cell analysis and sorting", "细胞分析仪器"),
            ("gene-sequencing", "Gene sequencing", "基因测序仪器"),
            ("laboratory-animal", "Laboratory animal equipment", "实验动物设备"),
        ],
    ),
    (
        "other",
        "Other instruments",
        "其他仪器",
        [
            ("other-general", "Other", "其他"),
        ],
    ),
]
