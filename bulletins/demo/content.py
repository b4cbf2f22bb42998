"""Demo content written for this project from public facts (not copied from any issue).

The published demo issue follows the real 日报 format: two sections, a dozen items, and three
headlines that rewrite items 1, 2 and 4 of 企业动态.
"""

import datetime as dt

PUBLISHED_ON = dt.date(2026, 11, 24)
DRAFT_ON = dt.date(2026, 11, 25)

# (section slug, body, headline, headline rank)
PUBLISHED_ITEMS = [
    (
        "company-news",
        "恒瑞医药宣布,其自主研发的GLP-1/GIP双受体激动剂HRS9531注射液的III期临床研究达到主要终点。"
        "研究显示,受试者治疗48周后体重较基线显著下降,安全性与同类药物一致。公司计划于近期向国家药监局提交上市申请。",
        "恒瑞医药GLP-1双靶点减重药III期达主要终点",
        1,
    ),
    (
        "company-news",
        "百济神州公告,公司已完成对一家欧洲早期抗体发现公司的收购,交易对价约2.1亿美元,"
        "将进一步扩充其在实体瘤领域的双特异性抗体平台。",
        "百济神州2.1亿美元收购欧洲抗体公司",
        2,
    ),
    (
        "company-news",
        "药明康德与一家美国生物技术公司签署多年期合作协议,将为后者的小分子候选药物提供从临床前研究到商业化生产的一体化服务。",
        "",
        None,
    ),
    (
        "company-news",
        "苏州某创新药企宣布完成约3亿元人民币B轮融资,由高瓴创投领投,礼来亚洲基金跟投。"
        "本轮融资将用于推进其PD-L1/4-1BB双抗的II期临床研究。",
        "创新药企完成3亿元B轮融资",
        3,
    ),
    (
        "company-news",
        "信达生物宣布任命一位具有跨国药企经验的高管为首席医学官,全面负责公司全球临床开发与医学事务。",
        "",
        None,
    ),
    (
        "company-news",
        "复星医药公布前三季度业绩,实现营业收入约305.6亿元人民币,创新药收入同比增长超过20%。",
        "",
        None,
    ),
    (
        "company-news",
        "一家专注于脑机接口的医疗器械公司向香港联交所递交上市申请,计划募集资金用于产品注册与商业化。",
        "",
        None,
    ),
    (
        "industry-news",
        "国家药监局批准了一款国产PD-1单抗联合化疗用于一线治疗晚期胃癌的新适应症上市申请。",
        "",
        None,
    ),
    (
        "industry-news",
        "美国食品药品监督管理局(FDA)批准了一款口服小分子药物用于治疗成人中重度斑块状银屑病,这是该类机制首个获批的口服疗法。",
        "",
        None,
    ),
    (
        "industry-news",
        "CDE发布《罕见病药物临床研发技术指导原则(征求意见稿)》,鼓励采用真实世界证据支持罕见病药物的注册申请。",
        "",
        None,
    ),
    (
        "industry-news",
        "欧洲药品管理局(EMA)人用药品委员会对一款阿尔茨海默病抗体药物给出积极意见,建议有条件批准上市。",
        "",
        None,
    ),
    (
        "industry-news",
        "国家医保局公布新一轮医保药品目录调整结果,新增药品中近半数为创新药,将于明年1月1日起执行。",
        "",
        None,
    ),
]

DRAFT_ITEMS = [
    (
        "company-news",
        "恒瑞医药宣布,其HRS9531注射液的上市许可申请已获国家药监局受理。",
        "恒瑞医药减重新药上市申请获受理",
        1,
    ),
    (
        "company-news",
        "百济神州宣布,其BTK抑制剂泽布替尼在一项头对头研究中显示出更优的无进展生存期。",
        "",
        None,
    ),
    (
        "industry-news",
        "美国食品药品监督管理局(FDA)发布新的指南草案,明确AI辅助药物研发工具的申报要求。",
        "",
        None,
    ),
]

# Two earlier published issues, so the archive, previous/next links and entity pages have history.
EARLIER_ISSUES = {
    dt.date(2026, 10, 28): [
        ("company-news",
         "百济神州公布第三季度业绩,产品收入同比增长超过30%,其中泽布替尼全球销售额继续领跑。",
         "百济神州三季度产品收入增长超30%", 1),
        ("company-news",
         "药明康德宣布完成对其一家海外细胞与基因治疗业务的出售,交易对价约5亿美元。",
         "药明康德出售海外细胞与基因治疗业务", 2),
        ("industry-news",
         "国家药监局发布《药品上市许可持有人委托生产现场检查指南》,进一步规范委托生产监管。",
         "", None),
        ("industry-news",
         "美国食品药品监督管理局(FDA)批准一款GLP-1受体激动剂口服片剂用于成人2型糖尿病的血糖控制。",
         "", None),
    ],
    dt.date(2026, 11, 23): [
        ("company-news",
         "信达生物宣布,其一款PD-1/IL-2双特异性抗体的II期临床研究数据将在欧洲肿瘤内科学会年会上以口头报告形式公布。",
         "信达生物双抗II期数据将口头报告", 1),
        ("company-news",
         "复星医药宣布与一家欧洲生物技术公司达成许可协议,获得一款ADC药物在中国内地、香港和澳门的独家开发及商业化权益,首付款约3000万美元。",
         "复星医药引进ADC药物", 2),
        ("company-news",
         "恒瑞医药宣布,其一款口服JAK1抑制剂的新适应症上市申请获国家药监局受理。",
         "", None),
        ("industry-news",
         "CDE发布《创新药临床试验审评审批30日通道工作程序》,对符合条件的创新药临床试验申请在30个工作日内完成审评审批。",
         "", None),
    ],
}  # fmt: skip
