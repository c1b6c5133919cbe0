"""What the people of the demo write: purposes, reasons, tags, incident reports, contests (Chinese and English)."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation

PURPOSES = [
    ("稀土永磁样品显微组织观察", "Microstructure of rare-earth magnet samples"),
    ("催化剂样品物相分析", "Phase analysis of catalyst samples"),
    ("钢材夹杂物成分测定", "Composition of inclusions in steel"),
    ("高纯氧化物杂质元素测定", "Impurities in high-purity oxides"),
    ("研究生课题样品测试", "Samples for a graduate thesis"),
    ("国家自然科学基金项目样品分析", "Samples of an NSFC project"),
    ("企业委托检测", "Contract testing for a company"),
    ("方法开发与验证", "Method development and validation"),
    ("细胞样品检测", "Cell samples"),
    ("环境样品分析", "Environmental samples"),
]
PROJECT_CODES = ["NSFC-22175031", "MOST-2023YFA1501", "NMGKJ-2024ZD12", "BTKJ-2025-017", "", "", ""]
REFUSALS = [
    "该时段仪器已安排教学实验，请改约其他时间。 The instrument is reserved for teaching then; pick another time.",
    "样品类型不适用于本仪器，建议委托测试。 This sample type does not suit the instrument; please send samples.",
    "申请人尚未完成安全培训。 The requester has not completed the safety training yet.",
    "仪器计划维护，暂停开放。 Maintenance is planned for that time.",
]
PROVIDER_CANCELS = [
    "仪器故障，需厂家维修。 The instrument failed and awaits the manufacturer's engineer.",
    "停电检修。 Planned power outage in the building.",
]
REQUESTER_CANCELS = ["样品未按时制备好。 Samples not ready.", "课题计划调整。 Plans changed.", ""]
GOOD_TAGS = [["专业", "professional"], ["准时", "on time"], ["数据可靠", "reliable data"], ["耐心指导", "helpful"]]
BAD_TAGS = [["响应慢", "slow to answer"], ["仪器状态差", "instrument in poor condition"]]
REQUESTER_GOOD_TAGS = [["守时", "punctual"], ["操作规范", "careful"], ["样品规范", "well-prepared samples"]]
REQUESTER_BAD_TAGS = [["迟到", "late"], ["操作不规范", "careless operation"], ["未清理", "left a mess"]]
# (kind, severity, estimated loss in CNY, the provider's report)
INCIDENTS = [
    ("damage", "general", "3000", "样品台划伤，更换样品台。 Sample stage scratched; the stage was replaced."),
    ("misuse", "minor", "0", "未按规程关闭真空系统。 The vacuum system was not shut down by the procedure."),
    ("damage", "minor", "800", "进样针弯折。 The autosampler needle was bent."),
    ("misuse", "general", "0", "超出培训范围擅自修改仪器参数。 Instrument parameters changed beyond the training."),
    (
        "damage",
        "serious",
        "48000",
        "违规操作导致探测器损坏。 The detector was destroyed by operating against the rules.",
    ),
]
CONTESTS = [
    "划痕在使用前已存在，登记时已告知值班老师。 The scratch was there before; I told the staff at check-in.",
    "操作均按培训要求进行。 I followed the procedure I was trained in.",
]
DISPUTE_UPHELD = "值班记录与照片证实了损坏情况。 The duty log and photographs confirm the report."
DISPUTE_DISMISSED = "使用前的检查记录已注明该问题，不能归责于申请人。 The pre-use check already noted it."
ENDORSEMENT_NOTE = "长期合作共享仪器。 Long-standing partner in sharing instruments."
RED_LIST_REASON = "守信记录良好，经审核列入红名单。 A consistent record of kept commitments, checked."
BLACK_LIST_REJECTED = "失约均因仪器方原因，核实后不予列入。 The provider caused the missed bookings; not listed."
BLACK_LIST_REASON = (
    "一年内多次失约、迟到取消或超量占用，经核实列入黑名单。 "
    "Repeated no-shows, late cancellations or overruns within a year, verified."
)
REPAIR_PROOF = (
    "已参加平台诚信培训并签署信用承诺书，此后预约全部按时履约。 "
    "Took the platform's credit training and signed the commitment; every booking since was kept."
)
REPAIR_GRANTED = "整改材料属实，准予信用修复。 The correction is proven; credit repair granted."
OBJECTION = (
    "部分失约系课题组统一调整计划所致，且已提前电话告知仪器方。 "
    "Some of the missed bookings followed a change of the group's plans, and I phoned the provider ahead."
)
OBJECTION_DISMISSED = "预约系统记录显示未提前取消，异议不成立。 The records show no cancellation in time."
