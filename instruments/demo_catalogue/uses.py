"""What units in Baotou use each category for, and what a provider offers per top-level category."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation

# What units in Baotou use each category for: (Chinese, English), one drawn per instrument.
APPLICATIONS = {
    "electron-optics": [
        ("稀土永磁材料显微组织观察", "microstructure of rare-earth permanent magnets"),
        ("钢铁夹杂物与断口分析", "inclusions and fracture surfaces of steel"),
        ("催化剂与纳米材料形貌表征", "morphology of catalysts and nanomaterials"),
    ],
    "mass-spectrometry": [
        ("高纯稀土氧化物痕量杂质分析", "trace impurities in high-purity rare-earth oxides"),
        ("食品与药品中有害物质检测", "contaminants in food and medicines"),
        ("环境样品有机污染物筛查", "screening of organic pollutants in environmental samples"),
    ],
    "x-ray": [
        ("稀土精矿与冶炼渣物相分析", "phases in rare-earth concentrate and smelting slag"),
        ("钢材残余奥氏体与织构测定", "retained austenite and texture of steel"),
        ("矿石与耐火材料成分分析", "composition of ores and refractories"),
    ],
    "spectroscopy": [
        ("稀土配分与杂质元素测定", "rare-earth distribution and impurity elements"),
        ("钢铁与铝合金成分分析", "composition of steel and aluminium alloys"),
        ("发光材料与高分子结构表征", "phosphors and polymer structure"),
    ],
    "chromatography": [
        ("药物与代谢物分析", "drugs and metabolites"),
        ("农产品农药残留检测", "pesticide residues in farm produce"),
        ("萃取剂与有机溶剂纯度分析", "purity of extractants and solvents"),
    ],
    "magnetic-resonance": [
        ("有机合成与稀土配合物结构解析", "structures of organic and rare-earth complexes"),
        ("自由基与顺磁中心研究", "radicals and paramagnetic centres"),
    ],
    "electrochemistry": [
        ("储氢合金与电池材料性能评价", "hydrogen-storage alloys and battery materials"),
        ("钢铁腐蚀与防护研究", "corrosion and protection of steel"),
    ],
    "microscopy-imaging": [
        ("金属材料显微组织评级", "rating of metal microstructures"),
        ("细胞与组织形态学观察", "cell and tissue morphology"),
        ("材料表面形貌与磁畴观察", "surface topography and magnetic domains"),
    ],
    "thermal-analysis": [
        ("稀土化合物热分解过程研究", "thermal decomposition of rare-earth compounds"),
        ("钢的相变与热物性测定", "phase transformations and thermal properties of steel"),
    ],
    "biochemical-separation": [
        ("蛋白质与病毒纯化", "purification of proteins and viruses"),
        ("胶原蛋白与明胶产品研发", "collagen and gelatin development"),
    ],
    "environmental-analysis": [
        ("黄河包头段水质监测", "water quality of the Yellow River at Baotou"),
        ("煤炭与焦炭质量检验", "quality of coal and coke"),
        ("钢铁与稀土金属中气体元素分析", "gases in steel and rare-earth metals"),
    ],
    "sample-preparation": [
        ("矿石与合金样品前处理", "preparation of ore and alloy samples"),
        ("土壤与农产品样品前处理", "preparation of soil and farm-produce samples"),
    ],
    "mechanical-testing": [
        ("钢材与焊接接头力学性能检验", "mechanical testing of steel and welded joints"),
        ("装甲车辆与重型机械零部件试验", "parts of armoured vehicles and heavy machinery"),
        ("轻合金与复合材料力学性能", "mechanical properties of light alloys and composites"),
    ],
    "optoelectronic-testing": [("光伏电池与组件性能测试", "performance of solar cells and modules")],
    "acoustics-vibration": [("风电机组与重型装备振动测试", "vibration of wind turbines and heavy equipment")],
    "particle-size": [("稀土粉体与抛光粉粒度控制", "particle size of rare-earth powders and polishing powder")],
    "materials-physical": [
        ("稀土永磁材料磁性能测量", "magnetic properties of rare-earth permanent magnets"),
        ("功能材料电输运与比热测量", "transport and heat capacity of functional materials"),
    ],
    "length-metrology": [("机械零部件几何量检测与校准", "dimensional inspection and calibration of parts")],
    "mass-force-metrology": [("力值与压力仪表检定", "calibration of force and pressure instruments")],
    "thermal-metrology": [("冶金用温度仪表检定", "calibration of metallurgical temperature instruments")],
    "time-frequency": [("时间频率量值传递", "time and frequency dissemination")],
    "electromagnetic-metrology": [("电学仪表与电能表检定", "calibration of electrical instruments and meters")],
    "optical-metrology": [("光源与照明产品检测", "testing of light sources and luminaires")],
    "ionizing-radiation-metrology": [("辐射防护仪表检定", "calibration of radiation-protection instruments")],
    "oscilloscopes": [("电子电路与电力电子测试", "testing of circuits and power electronics")],
    "signal-generators": [("通信与雷达信号模拟", "simulation of communication and radar signals")],
    "network-spectrum-analyzers": [
        ("射频器件与天线测试", "RF components and antennas"),
        ("电机与变频器能效测试", "efficiency of motors and inverters"),
    ],
    "semiconductor-testing": [
        ("单晶硅与光伏硅片质量检测", "quality of monocrystalline silicon and PV wafers"),
        ("功率器件参数测试", "parameters of power devices"),
    ],
    "communication-testing": [("通信终端与电磁兼容测试", "communication terminals and EMC")],
    "ocean-hydrology": [("黄河包头段水文测验", "hydrological surveys of the Yellow River at Baotou")],
    "marine-geophysics": [("水库淤积与河床调查", "reservoir sediment and riverbed surveys")],
    "marine-biology": [("湖库藻类监测", "algae monitoring in lakes and reservoirs")],
    "underwater-acoustics": [("水声换能器校准", "calibration of underwater transducers")],
    "seismic": [("白云鄂博矿区地震监测", "seismic monitoring of the Bayan Obo mining area")],
    "gravity-magnetic": [("铁矿与稀土矿勘查", "exploration of iron and rare-earth deposits")],
    "electrical-prospecting": [("地下水与工程地质勘查", "groundwater and engineering geology")],
    "drilling-logging": [("矿产勘查钻孔测井", "logging of exploration boreholes")],
    "weather-radar": [("风电场风资源评估", "wind resource assessment for wind farms")],
    "atmospheric-radiation": [("太阳能资源观测", "solar resource observation")],
    "atmospheric-composition": [("城市大气颗粒物来源解析", "sources of urban particulate matter")],
    "surface-meteorology": [("草原生态与气象观测", "grassland ecology and weather")],
    "non-destructive-testing": [
        ("铸锻件与焊缝无损检测", "non-destructive testing of castings, forgings and welds"),
        ("承压设备定期检验", "periodic inspection of pressure equipment"),
    ],
    "security-inspection": [("物流与口岸安全检查", "security screening at logistics hubs and ports")],
    "fire-explosion-testing": [("建材燃烧性能与粉尘防爆检测", "fire behaviour of materials and dust explosions")],
    "solid-state-lasers": [("激光光谱与材料加工研究", "laser spectroscopy and processing")],
    "gas-lasers": [("非金属材料切割加工", "cutting of non-metals")],
    "fiber-lasers": [("激光焊接与表面强化", "laser welding and surface hardening")],
    "ultrafast-lasers": [("超快动力学研究", "ultrafast dynamics")],
    "semiconductor-lasers": [("气体传感与精密光谱", "gas sensing and precision spectroscopy")],
    "materials-processing": [
        ("稀土永磁与合金材料制备", "preparation of rare-earth magnets and alloys"),
        ("陶瓷与粉末冶金材料烧结", "sintering of ceramics and powder metallurgy"),
    ],
    "micro-nano-fabrication": [("功能薄膜与器件制备", "functional thin films and devices")],
    "additive-manufacturing": [("金属零件快速成形", "rapid manufacture of metal parts")],
    "environmental-chambers": [("产品环境适应性试验", "environmental testing of products")],
    "high-performance-computing": [
        ("材料计算与数值模拟", "materials computation and simulation"),
        ("大数据分析与人工智能训练", "big-data analysis and AI training"),
    ],
    "storage-systems": [("科研数据存储与备份", "research data storage and backup")],
    "visualisation": [("三维数据可视化与展示", "3D data visualisation")],
    "radiation-detection": [("稀土矿与尾矿放射性监测", "radioactivity of rare-earth ore and tailings")],
    "accelerators": [("辐照加工与改性", "irradiation processing and modification")],
    "nuclear-spectroscopy": [("放射性核素分析", "radionuclide analysis")],
    "optical-telescopes": [("天文教学与观测实习", "astronomy teaching and observing practice")],
    "radio-telescopes": [("射电天文教学", "radio astronomy teaching")],
    "solar-instruments": [("太阳观测科普", "solar observation for the public")],
    "medical-imaging": [("疾病动物模型影像研究", "imaging of disease models")],
    "cell-analysis": [
        ("免疫细胞分析与分选", "analysis and sorting of immune cells"),
        ("肿瘤细胞药物筛选", "drug screening on tumour cells"),
    ],
    "gene-sequencing": [
        ("病原体检测与基因分型", "pathogen detection and genotyping"),
        ("牧草与家畜基因组研究", "genomics of forage and livestock"),
    ],
    "laboratory-animal": [("实验动物饲养与行为研究", "animal housing and behaviour studies")],
    "other-general": [("实验室公共支撑", "shared laboratory support")],
}

# What a provider offers, per top-level category: (Chinese, English) alternatives.
SERVICES = {
    "analytical": [
        (
            "样品测试与数据解析；可预约培训后自主上机，也可委托测试。",
            "Sample testing and data interpretation; book hands-on time after training, or send samples.",
        ),
        (
            "委托分析测试，出具 CMA 检测报告；提供方法开发咨询。",
            "Contract analysis with CMA-accredited reports; method development advice.",
        ),
    ],
    "physical-testing": [
        (
            "按国家标准开展性能测试并出具报告；可定制试验方案。",
            "Tests to national standards with a report; custom test programmes on request.",
        ),
        ("测试、数据处理与结果解读；提供操作培训。", "Testing, data processing and interpretation; operator training."),
    ],
    "metrology": [
        ("计量检定、校准与测试，出具检定证书或校准证书。", "Verification, calibration and testing with certificates."),
    ],
    "electronic-measurement": [
        (
            "电子电气产品测试与调试；可预约自主使用。",
            "Testing and debugging of electronic products; self-service bookings.",
        ),
    ],
    "marine": [
        (
            "野外测验与数据处理；可随仪器派出技术人员。",
            "Field surveys and data processing; technicians can go with the instrument.",
        ),
    ],
    "earth-exploration": [
        (
            "野外勘查与数据处理解释；提供技术方案咨询。",
            "Field surveys with processing and interpretation; survey design advice.",
        ),
    ],
    "atmospheric": [
        ("观测数据共享与定制观测服务。", "Shared observation data and custom observation campaigns."),
    ],
    "special-inspection": [
        ("检验检测并出具报告；可上门检测。", "Inspection with a report; on-site testing available."),
    ],
    "lasers": [
        ("激光加工与实验平台开放使用；提供工艺咨询。", "Laser processing and experiments; process advice."),
    ],
    "process-testing": [
        ("样品制备、工艺试验与小批量试制。", "Sample preparation, process trials and small batches."),
    ],
    "computing": [
        (
            "计算资源按机时开放；提供软件安装与并行优化支持。",
            "Computing time by the hour; software installation and parallel tuning support.",
        ),
    ],
    "nuclear": [
        ("放射性检测与辐照服务，出具检测报告。", "Radioactivity measurements and irradiation, with reports."),
    ],
    "astronomical": [
        ("天文教学与科普观测开放预约。", "Teaching and public observing sessions by booking."),
    ],
    "medical-research": [
        (
            "实验技术服务与数据分析；需通过伦理与生物安全审查。",
            "Experimental services and data analysis; ethics and biosafety approval required.",
        ),
    ],
    "other": [("公共平台开放使用。", "Open use of a shared facility.")],
}
