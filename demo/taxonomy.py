"""Departments and the two-level case taxonomy of the demo city (DOMAIN §2, §3).

These are seed data, not code the system depends on: a city edits departments and
categories in the admin. Time limits use the published tiers — urgent the same working day,
ordinary 2–3 working days, complex 7, at most 15 — and sign-for limits in working hours.
`weight` (relative frequency), `setting` (where it happens) and `examples` (report texts)
only drive the generated case history.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Category, Department, DepartmentUnit
from grids.models import Area


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    unit_name: str  # "{area}" becomes the district's name


# The 16 departments of the Wuxi plan, in the plan's order. County-level cities (江阴市,
# 宜兴市) have a 局 where urban districts have a 分局 of the city bureau.
DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("zuzhi", "组织", "{area}委组织部"),
    DepartmentSpec("zongzhi", "综治", "{area}综治中心"),
    DepartmentSpec("gongan", "公安", "{area}公安分局"),
    DepartmentSpec("minzheng", "民政", "{area}民政局"),
    DepartmentSpec("sifa", "司法", "{area}司法局"),
    DepartmentSpec("renshe", "人社", "{area}人社局"),
    DepartmentSpec("guotu", "国土", "{area}国土分局"),
    DepartmentSpec("huanbao", "环保", "{area}环保局"),
    DepartmentSpec("zhujian", "住建", "{area}住建局"),
    DepartmentSpec("shuili", "水利", "{area}水利局"),
    DepartmentSpec("nongye", "农业", "{area}农业农村局"),
    DepartmentSpec("wenhua", "文化", "{area}文体旅游局"),
    DepartmentSpec("weisheng", "卫生", "{area}卫健委"),
    DepartmentSpec("chengguan", "城管", "{area}城管局"),
    DepartmentSpec("anjian", "安监", "{area}安监局"),
    DepartmentSpec("xiaofang", "消防", "{area}消防救援大队"),
)


def unit_name(spec: DepartmentSpec, area_name: str) -> str:
    name = spec.unit_name.format(area=area_name)
    if area_name.endswith("市") and name.endswith("分局"):
        name = name[: -len("分局")] + "局"
    return name


# (sign-for working hours, handling working days)
SAME_DAY = (1, 0)
TWO_DAYS = (4, 2)
THREE_DAYS = (4, 3)
COMPLEX = (8, 7)
MAJOR = (8, 15)

SEV = Category.Severity


@dataclass(frozen=True)
class LeafSpec:
    code: str
    name: str
    department: str
    severity: int
    limits: tuple[int, int]
    weight: float = 1.0
    self_resolvable: bool = False
    setting: str = "any"  # "urban", "rural" or "any": where reports of it come from
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str
    leaves: tuple[LeafSpec, ...]


L = LeafSpec

TAXONOMY: tuple[GroupSpec, ...] = (
    GroupSpec("01", "矛盾纠纷", (
        L("0101", "邻里纠纷", "sifa", SEV.LOW, THREE_DAYS, 3.0, True, "any",
          ("楼上楼下因漏水问题发生争执，双方情绪激动", "两户居民因楼道堆物问题发生口角")),
        L("0102", "家庭纠纷", "sifa", SEV.LOW, THREE_DAYS, 1.5, True, "any",
          ("兄弟二人因老人赡养问题发生争吵", "夫妻矛盾激化，邻居反映有摔砸声")),
        L("0103", "物业纠纷", "zhujian", SEV.MEDIUM, COMPLEX, 2.0, False, "urban",
          ("小区业主与物业公司因停车收费问题发生纠纷", "多名业主反映物业撤场后无人管理")),
        L("0104", "劳资纠纷", "renshe", SEV.HIGH, COMPLEX, 1.2, False, "any",
          ("十余名工人聚集在工地门口讨要拖欠工资", "某装修公司拖欠员工三个月工资")),
        L("0105", "土地承包纠纷", "guotu", SEV.MEDIUM, MAJOR, 0.8, False, "rural",
          ("两户村民因承包地边界问题发生争执", "村民反映承包田被他人占用种植")),
        L("0106", "征地拆迁纠纷", "guotu", SEV.HIGH, MAJOR, 0.5, False, "any",
          ("被拆迁户对补偿标准有异议，多次到社区反映",)),
    )),
    GroupSpec("02", "治安防控", (
        L("0201", "可疑人员", "gongan", SEV.HIGH, SAME_DAY, 0.8, False, "any",
          ("有陌生人员多次在小区内徘徊并查看车辆", "发现有人在电瓶车停放处形迹可疑")),
        L("0202", "涉赌涉黄线索", "gongan", SEV.HIGH, TWO_DAYS, 0.5, False, "any",
          ("群众反映某棋牌室夜间有聚众赌博现象",)),
        L("0203", "群租房", "gongan", SEV.MEDIUM, COMPLEX, 1.5, False, "urban",
          ("一套住房被隔成多间出租，居住人员十余人", "居民反映楼内群租人员进出频繁")),
        L("0204", "流动人口未登记", "gongan", SEV.LOW, THREE_DAYS, 1.2, True, "any",
          ("出租屋新入住人员未办理居住登记",)),
        L("0205", "寄递物流安全", "gongan", SEV.MEDIUM, THREE_DAYS, 0.4, False, "urban",
          ("快递网点未落实实名收寄制度",)),
    )),
    GroupSpec("03", "安全隐患", (
        L("0301", "消防通道堵塞", "xiaofang", SEV.HIGH, SAME_DAY, 3.0, False, "urban",
          ("小区消防通道被私家车长期占用", "楼道内堆放大量纸箱杂物堵塞安全出口")),
        L("0302", "电动车违规充电", "xiaofang", SEV.HIGH, SAME_DAY, 3.0, True, "urban",
          ("居民从楼上私拉电线给电动车充电（飞线充电）", "电动车停放在楼道内充电")),
        L("0303", "消防设施损坏", "xiaofang", SEV.MEDIUM, THREE_DAYS, 1.5, False, "urban",
          ("楼道灭火器过期，消火栓箱内水带缺失",)),
        L("0304", "燃气安全隐患", "anjian", SEV.URGENT, SAME_DAY, 1.0, False, "any",
          ("餐饮店燃气软管老化开裂，闻到燃气味", "居民家中使用不合格的燃气灶具")),
        L("0305", "危化品违规存放", "anjian", SEV.URGENT, SAME_DAY, 0.4, False, "any",
          ("小作坊内违规存放大量油漆稀料",)),
        L("0306", "生产经营场所隐患", "anjian", SEV.HIGH, THREE_DAYS, 1.2, False, "any",
          ("小微企业车间内电线私拉乱接", "“三合一”场所内住人")),
        L("0307", "建筑施工安全", "zhujian", SEV.HIGH, THREE_DAYS, 0.8, False, "urban",
          ("工地脚手架未设置防护网，靠近人行道", "施工围挡倾斜有倒塌危险")),
    )),
    GroupSpec("04", "市容环境", (
        L("0401", "占道经营", "chengguan", SEV.LOW, TWO_DAYS, 4.0, False, "urban",
          ("流动摊贩在路口占道经营，影响通行", "菜场门口摊位占用人行道")),
        L("0402", "乱堆乱放", "chengguan", SEV.LOW, TWO_DAYS, 3.5, True, "any",
          ("小区绿化带内堆放建筑垃圾", "沿街店铺在人行道堆放货物")),
        L("0403", "暴露垃圾", "chengguan", SEV.LOW, TWO_DAYS, 3.0, True, "any",
          ("路边垃圾桶满溢，周边有暴露垃圾", "河边空地有人倾倒生活垃圾")),
        L("0404", "乱贴乱画", "chengguan", SEV.LOW, TWO_DAYS, 2.0, True, "urban",
          ("单元门口张贴大量小广告",)),
        L("0405", "违章搭建", "chengguan", SEV.MEDIUM, MAJOR, 1.5, False, "any",
          ("顶楼住户在屋面搭建彩钢棚", "一楼住户私自圈占公共绿地搭建围墙")),
        L("0406", "户外广告破损", "chengguan", SEV.MEDIUM, THREE_DAYS, 0.8, False, "urban",
          ("沿街店招松动，大风天有坠落危险",)),
        L("0407", "非机动车乱停放", "chengguan", SEV.LOW, TWO_DAYS, 2.0, True, "urban",
          ("地铁站口共享单车大量堆积", "盲道上停满电动车")),
    )),
    GroupSpec("05", "生态环境", (
        L("0501", "噪声扰民", "huanbao", SEV.MEDIUM, THREE_DAYS, 2.5, False, "urban",
          ("工地夜间施工噪声扰民", "广场舞音响音量过大，居民投诉")),
        L("0502", "餐饮油烟", "huanbao", SEV.MEDIUM, COMPLEX, 1.5, False, "urban",
          ("沿街饭店油烟直排，影响楼上住户",)),
        L("0503", "违法排污", "huanbao", SEV.HIGH, COMPLEX, 0.8, False, "any",
          ("小作坊向雨水管网排放污水", "企业夜间偷排废水")),
        L("0504", "露天焚烧", "huanbao", SEV.MEDIUM, SAME_DAY, 1.2, False, "rural",
          ("田间有人焚烧秸秆，烟雾较大", "村民在空地焚烧垃圾")),
        L("0505", "扬尘污染", "huanbao", SEV.MEDIUM, THREE_DAYS, 1.0, False, "any",
          ("渣土车未密闭运输，沿路撒漏", "工地裸土未覆盖")),
    )),
    GroupSpec("06", "城乡建设", (
        L("0601", "道路破损", "zhujian", SEV.MEDIUM, THREE_DAYS, 1.5, False, "any",
          ("路面出现较大坑洼，电动车通行危险",)),
        L("0602", "井盖缺失", "zhujian", SEV.URGENT, SAME_DAY, 0.8, False, "urban",
          ("人行道上窨井盖缺失，已临时放置警示物", "井盖破损下陷")),
        L("0603", "路灯损坏", "chengguan", SEV.LOW, THREE_DAYS, 1.5, False, "any",
          ("小区主干道路灯连续多盏不亮",)),
        L("0604", "老旧小区设施损坏", "zhujian", SEV.MEDIUM, COMPLEX, 1.2, False, "urban",
          ("老旧小区单元门禁损坏", "楼道扶手锈蚀断裂")),
        L("0605", "河道堤防隐患", "shuili", SEV.HIGH, THREE_DAYS, 0.6, False, "rural",
          ("河道护岸局部坍塌", "汛期圩堤出现渗水")),
        L("0606", "排水不畅积水", "shuili", SEV.MEDIUM, TWO_DAYS, 1.2, False, "any",
          ("雨后路口积水严重，排水口堵塞",)),
    )),
    GroupSpec("07", "民生服务", (
        L("0701", "困难群众救助", "minzheng", SEV.MEDIUM, COMPLEX, 1.0, False, "any",
          ("低保户家中失火，生活陷入困难", "重病患者家庭申请临时救助")),
        L("0702", "独居老人关爱", "minzheng", SEV.MEDIUM, THREE_DAYS, 1.2, True, "any",
          ("独居老人多日未出门，邻居担心", "高龄老人行动不便需要助餐服务")),
        L("0703", "就业援助", "renshe", SEV.LOW, COMPLEX, 0.6, False, "any",
          ("失业人员希望获得就业培训信息",)),
        L("0704", "社保医保咨询", "renshe", SEV.LOW, THREE_DAYS, 0.8, True, "any",
          ("居民咨询城乡居民医保缴费事宜",)),
        L("0705", "残疾人帮扶", "minzheng", SEV.MEDIUM, COMPLEX, 0.5, False, "any",
          ("残疾人家庭申请无障碍改造",)),
    )),
    GroupSpec("08", "公共卫生", (
        L("0801", "传染病疫情线索", "weisheng", SEV.URGENT, SAME_DAY, 0.2, False, "any",
          ("同一楼栋多人出现发热腹泻症状",)),
        L("0802", "病媒生物孳生", "weisheng", SEV.LOW, THREE_DAYS, 1.0, False, "any",
          ("小区积水处蚊虫孳生严重", "菜场周边鼠害严重")),
        L("0803", "非法行医", "weisheng", SEV.HIGH, COMPLEX, 0.3, False, "any",
          ("居民楼内有无证诊所提供输液服务",)),
        L("0804", "严重精神障碍患者管控", "weisheng", SEV.HIGH, SAME_DAY, 0.3, False, "any",
          ("在册严重精神障碍患者近期情绪不稳、拒绝服药",)),
    )),
    GroupSpec("09", "农业农村", (
        L("0901", "违法占用耕地", "guotu", SEV.HIGH, MAJOR, 0.8, False, "rural",
          ("村民在基本农田上建房", "耕地被堆放建筑材料")),
        L("0902", "动物疫情", "nongye", SEV.URGENT, SAME_DAY, 0.2, False, "rural",
          ("养殖户家禽出现异常死亡",)),
        L("0903", "农资质量问题", "nongye", SEV.MEDIUM, COMPLEX, 0.4, False, "rural",
          ("村民反映购买的化肥疑似假冒",)),
        L("0904", "水产养殖污染", "nongye", SEV.MEDIUM, COMPLEX, 0.4, False, "rural",
          ("鱼塘清塘尾水直排河道",)),
    )),
    GroupSpec("10", "文化教育", (
        L("1001", "网吧违规接纳未成年人", "wenhua", SEV.MEDIUM, THREE_DAYS, 0.4, False, "urban",
          ("网吧内有未成年人上网",)),
        L("1002", "文物保护", "wenhua", SEV.HIGH, COMPLEX, 0.2, False, "any",
          ("历史建筑外墙被私自改造",)),
        L("1003", "校园周边环境", "zongzhi", SEV.MEDIUM, THREE_DAYS, 0.6, False, "urban",
          ("学校门口上下学时段有流动摊贩聚集",)),
    )),
    GroupSpec("11", "特殊人群", (
        L("1101", "社区矫正人员动态", "sifa", SEV.MEDIUM, TWO_DAYS, 0.3, False, "any",
          ("社区矫正对象未按时报到",)),
        L("1102", "刑满释放人员帮教", "sifa", SEV.MEDIUM, COMPLEX, 0.2, False, "any",
          ("刑满释放人员返回社区，需落实帮教措施",)),
        L("1103", "重点人员动态", "zongzhi", SEV.HIGH, SAME_DAY, 0.3, False, "any",
          ("重点人员近期有赴外地聚集的苗头",)),
    )),
    GroupSpec("12", "基层党建", (
        L("1201", "党员服务需求", "zuzhi", SEV.LOW, COMPLEX, 0.3, False, "any",
          ("流动党员希望就近参加组织生活",)),
        L("1202", "基层组织建设", "zuzhi", SEV.LOW, MAJOR, 0.2, False, "any",
          ("居民反映小区党群服务站长期无人值守",)),
    )),
)


def leaves() -> list[LeafSpec]:
    return [leaf for group in TAXONOMY for leaf in group.leaves]


def write_taxonomy(areas: dict[str, Area]) -> tuple[dict[tuple[str, str], DepartmentUnit], list[Category]]:
    """The 16 departments, a unit of each in every district, and the category tree.
    Returns units by (department code, district code) and the leaf categories."""
    departments = {d.code: Department(code=d.code, name=d.name) for d in DEPARTMENTS}
    Department.objects.bulk_create(departments.values())
    districts = [a for a in areas.values() if a.level == Area.Level.DISTRICT]
    units = {
        (spec.code, district.code): DepartmentUnit(
            department=departments[spec.code], area=district, name=unit_name(spec, district.name)
        )
        for spec in DEPARTMENTS
        for district in districts
    }
    DepartmentUnit.objects.bulk_create(units.values())
    groups = [Category(code=g.code, name=g.name) for g in TAXONOMY]
    Category.objects.bulk_create(groups)
    leaves = [
        Category(
            code=leaf.code, name=leaf.name, parent=group_row, default_department=departments[leaf.department],
            severity=leaf.severity, self_resolvable=leaf.self_resolvable,
            sign_for_hours=leaf.limits[0], handle_days=leaf.limits[1],
        )
        for group_row, group in zip(groups, TAXONOMY, strict=True)
        for leaf in group.leaves
    ]
    Category.objects.bulk_create(leaves)
    return units, leaves
