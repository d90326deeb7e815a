package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The documents' prose. A document's first sentence is what an extractive
// answer quotes, so it is drawn from many sentence shapes with random
// words in every slot: no two documents say the same thing, and a model
// can only write the answer by copying it from the document in front of
// it, never from what it remembers of training.

// word is an English word in the forms the sentences need, and a Chinese
// one of the same meaning.
type word struct{ en, zh string }

// verb is an English verb as "it ___s" and "to ___", and its Chinese.
type verb struct{ s, base, zh string }

var (
	nouns = []word{
		{"tokens", "词元"}, {"embeddings", "嵌入"}, {"vectors", "向量"}, {"queries", "查询"}, {"documents", "文档"},
		{"prompts", "提示"}, {"weights", "权重"}, {"layers", "层"}, {"gradients", "梯度"}, {"caches", "缓存"},
		{"servers", "服务器"}, {"clients", "客户端"}, {"requests", "请求"}, {"schemas", "模式"}, {"graphs", "图"},
		{"tables", "表"}, {"indexes", "索引"}, {"files", "文件"}, {"logs", "日志"}, {"metrics", "指标"},
		{"traces", "追踪"}, {"batches", "批次"}, {"kernels", "内核"}, {"threads", "线程"}, {"workers", "工作进程"},
		{"queues", "队列"}, {"messages", "消息"}, {"events", "事件"}, {"records", "记录"}, {"images", "图像"},
		{"labels", "标签"}, {"features", "特征"}, {"parameters", "参数"}, {"adapters", "适配器"}, {"checkpoints", "检查点"},
		{"datasets", "数据集"}, {"benchmarks", "基准"}, {"pipelines", "流水线"}, {"plugins", "插件"}, {"modules", "模块"},
		{"functions", "函数"}, {"tools", "工具"}, {"agents", "智能体"}, {"plans", "计划"}, {"answers", "答案"},
		{"citations", "引用"}, {"sources", "来源"}, {"chunks", "文本块"}, {"snippets", "片段"}, {"summaries", "摘要"},
		{"translations", "译文"}, {"scores", "分数"}, {"rankings", "排名"}, {"keys", "键"}, {"values", "值"},
		{"attention heads", "注意力头"}, {"experts", "专家"}, {"routers", "路由器"}, {"tensors", "张量"}, {"matrices", "矩阵"},
		{"sessions", "会话"}, {"users", "用户"}, {"tasks", "任务"}, {"errors", "错误"}, {"retries", "重试"},
		{"budgets", "预算"}, {"rules", "规则"}, {"policies", "策略"}, {"permissions", "权限"}, {"certificates", "证书"},
		{"networks", "网络"}, {"ports", "端口"}, {"streams", "数据流"}, {"packets", "数据包"}, {"strings", "字符串"},
		{"dates", "日期"}, {"maps", "地图"}, {"orders", "订单"}, {"payments", "支付"}, {"customers", "客户"},
		{"products", "产品"}, {"reviews", "评论"}, {"videos", "视频"}, {"papers", "论文"}, {"questions", "问题"},
		{"sentences", "句子"}, {"characters", "字符"}, {"languages", "语言"}, {"models", "模型"}, {"samples", "样本"},
		{"experiments", "实验"}, {"contexts", "上下文"}, {"templates", "模板"}, {"replies", "回复"}, {"settings", "设置"},
	}
	adjectives = []word{
		{"small", "小型"}, {"large", "大型"}, {"fast", "快速"}, {"sparse", "稀疏"}, {"dense", "稠密"},
		{"local", "本地"}, {"remote", "远程"}, {"open", "开放"}, {"private", "私有"}, {"shared", "共享"},
		{"distributed", "分布式"}, {"parallel", "并行"}, {"incremental", "增量"}, {"lightweight", "轻量"}, {"robust", "稳健"},
		{"simple", "简单"}, {"modular", "模块化"}, {"secure", "安全"}, {"efficient", "高效"}, {"compact", "紧凑"},
		{"adaptive", "自适应"}, {"hybrid", "混合"}, {"recursive", "递归"}, {"streaming", "流式"}, {"cached", "带缓存"},
		{"typed", "强类型"}, {"stateless", "无状态"}, {"multilingual", "多语言"}, {"quantized", "量化"}, {"noisy", "嘈杂"},
		{"long", "长"}, {"short", "短"}, {"old", "旧"}, {"new", "新"}, {"structured", "结构化"},
	}
	verbs = []verb{
		{"compresses", "compress", "压缩"}, {"ranks", "rank", "排序"}, {"stores", "store", "存储"}, {"splits", "split", "切分"},
		{"merges", "merge", "合并"}, {"encodes", "encode", "编码"}, {"decodes", "decode", "解码"}, {"routes", "route", "路由"},
		{"caches", "cache", "缓存"}, {"filters", "filter", "过滤"}, {"sorts", "sort", "排序"}, {"indexes", "index", "索引"},
		{"retrieves", "retrieve", "检索"}, {"summarizes", "summarize", "总结"}, {"translates", "translate", "翻译"},
		{"validates", "validate", "校验"}, {"schedules", "schedule", "调度"}, {"replicates", "replicate", "复制"},
		{"measures", "measure", "测量"}, {"predicts", "predict", "预测"}, {"generates", "generate", "生成"},
		{"tracks", "track", "跟踪"}, {"labels", "label", "标注"}, {"normalizes", "normalize", "归一化"},
		{"serializes", "serialize", "序列化"}, {"checks", "check", "检查"}, {"combines", "combine", "组合"},
		{"samples", "sample", "采样"}, {"explains", "explain", "解释"}, {"cleans", "clean", "清洗"},
	}
	orgs = []string{"Acme Labs", "Nimbus AI", "Orbit Research", "Lumen Systems", "Kestrel Data", "Quanta Works", "Helix Cloud", "Pine Analytics", "Rivet Software", "Zephyr Institute"}
)

// sentence is one first sentence in both languages, with the fact (a
// value both contain) an answer that quotes it must keep.
type sentence struct{ en, zh, fact string }

// slots are the random fillers of one sentence.
type slots struct {
	n1, n2, n3 word
	a1, a2     word
	v1, v2     verb
	person     string
	org        string
	year, num  string
}

func drawSlots(r *rand.Rand) slots {
	pick := func() word { return nouns[r.IntN(len(nouns))] }
	s := slots{
		n1: pick(), n2: pick(), n3: pick(),
		a1: adjectives[r.IntN(len(adjectives))], a2: adjectives[r.IntN(len(adjectives))],
		v1: verbs[r.IntN(len(verbs))], v2: verbs[r.IntN(len(verbs))],
		person: people[r.IntN(len(people))], org: orgs[r.IntN(len(orgs))],
		year: fmt.Sprint(1950 + r.IntN(75)), num: fmt.Sprint(2 + r.IntN(998)),
	}
	for s.n2 == s.n1 {
		s.n2 = pick()
	}
	return s
}

// describe writes the first sentence of a document about a thing named
// name (zh in Chinese) of kind k ("" when the name says it all).
func describe(r *rand.Rand, name, zh string, k word) sentence {
	s := drawSlots(r)
	kind, kindZh := k.en, k.zh
	if kind == "" {
		kind, kindZh = "system", "系统"
	}
	switch r.IntN(10) {
	case 0:
		return sentence{
			fmt.Sprintf("%s is a %s %s that %s %s and %s, first described by %s in %s.", name, s.a1.en, kind, s.v1.s, s.n1.en, s.n2.en, s.person, s.year),
			fmt.Sprintf("%s是一种%s%s，用于%s%s和%s，由 %s 于 %s 年首次提出。", zh, s.a1.zh, kindZh, s.v1.zh, s.n1.zh, s.n2.zh, s.person, s.year),
			s.year}
	case 1:
		return sentence{
			fmt.Sprintf("%s %s %s %s before it %s them, using about %s %s.", name, s.v1.s, s.a1.en, s.n1.en, s.v2.s, s.num, s.n2.en),
			fmt.Sprintf("%s先%s%s%s，再%s它们，大约使用 %s 个%s。", zh, s.v1.zh, s.a1.zh, s.n1.zh, s.v2.zh, s.num, s.n2.zh),
			s.num}
	case 2:
		return sentence{
			fmt.Sprintf("According to %s, %s %s %s %s times faster than older %s.", s.person, name, s.v1.s, s.n1.en, s.num, s.n2.en),
			fmt.Sprintf("据 %s 介绍，%s%s%s的速度比旧的%s快 %s 倍。", s.person, zh, s.v1.zh, s.n1.zh, s.n2.zh, s.num),
			s.num}
	case 3:
		return sentence{
			fmt.Sprintf("%s is the %s %s that %s built at %s to %s %s.", name, s.a1.en, kind, s.person, s.org, s.v1.base, s.n1.en),
			fmt.Sprintf("%s是 %s 在 %s 构建的%s%s，用来%s%s。", zh, s.person, s.org, s.a1.zh, kindZh, s.v1.zh, s.n1.zh),
			s.org}
	case 4:
		return sentence{
			fmt.Sprintf("Released in %s, the %s %s %s %s %s into %s %s.", s.year, name, kind, s.v1.s, s.a1.en, s.n1.en, s.a2.en, s.n2.en),
			fmt.Sprintf("%s%s于 %s 年发布，它把%s%s%s成%s%s。", zh, kindZh, s.year, s.a1.zh, s.n1.zh, s.v1.zh, s.a2.zh, s.n2.zh),
			s.year}
	case 5:
		return sentence{
			fmt.Sprintf("%s keeps %s %s in %s %s and needs %s MB of memory.", name, s.a1.en, s.n1.en, s.a2.en, s.n2.en, s.num),
			fmt.Sprintf("%s把%s%s保存在%s%s中，需要 %s MB 内存。", zh, s.a1.zh, s.n1.zh, s.a2.zh, s.n2.zh, s.num),
			s.num}
	case 6:
		return sentence{
			fmt.Sprintf("%s, maintained by %s, lets %s %s their %s without %s.", name, s.org, s.n1.en, s.v1.base, s.n2.en, s.n3.en),
			fmt.Sprintf("%s由 %s 维护，让%s无需%s就能%s自己的%s。", zh, s.org, s.n1.zh, s.n3.zh, s.v1.zh, s.n2.zh),
			s.org}
	case 7:
		return sentence{
			fmt.Sprintf("%s was written by %s in %s and %s %s for %s %s.", name, s.person, s.year, s.v1.s, s.n1.en, s.a1.en, s.n2.en),
			fmt.Sprintf("%s由 %s 于 %s 年编写，为%s%s%s%s。", zh, s.person, s.year, s.a1.zh, s.n2.zh, s.v1.zh, s.n1.zh),
			s.person}
	case 8:
		return sentence{
			fmt.Sprintf("%s uses %s %s to %s %s, and each step takes %s ms.", name, s.num, s.n1.en, s.v1.base, s.n2.en, fmt.Sprint(1+r.IntN(90))),
			fmt.Sprintf("%s使用 %s 个%s来%s%s，每一步需要若干毫秒。", zh, s.num, s.n1.zh, s.v1.zh, s.n2.zh),
			s.num}
	default:
		return sentence{
			fmt.Sprintf("The %s %s %s %s for %s: it %s %s and %s %s.", name, kind, s.v1.s, s.n1.en, s.person, s.v2.s, s.n2.en, s.v1.s, s.n3.en),
			fmt.Sprintf("%s%s为 %s %s%s：它%s%s，也%s%s。", zh, kindZh, s.person, s.v1.zh, s.n1.zh, s.v2.zh, s.n2.zh, s.v1.zh, s.n3.zh),
			s.person}
	}
}

// bodySentence is a sentence of a document's body after the first: more
// random prose, or one of the fixed extras.
func bodySentence(r *rand.Rand, zh bool) string {
	if r.IntN(3) == 0 {
		x := extras[r.IntN(len(extras))]
		s := x.en
		if zh {
			s = x.zh
		}
		if strings.Contains(s, "%d") {
			s = fmt.Sprintf(s, 2+r.IntN(60))
		}
		return s
	}
	sl := drawSlots(r)
	subj := []word{{"It", "它"}, {"The design", "这个设计"}, {"In practice it", "在实践中它"}, {"Its first version", "它的第一个版本"}}[r.IntN(4)]
	var en, z string
	switch r.IntN(4) {
	case 0:
		en = fmt.Sprintf("%s %s %s %s with %s %s.", subj.en, sl.v1.s, sl.a1.en, sl.n1.en, sl.a2.en, sl.n2.en)
		z = fmt.Sprintf("%s用%s%s%s%s%s。", subj.zh, sl.a2.zh, sl.n2.zh, sl.v1.zh, sl.a1.zh, sl.n1.zh)
	case 1:
		en = fmt.Sprintf("Teams at %s use it to %s %s.", sl.org, sl.v1.base, sl.n1.en)
		z = fmt.Sprintf("%s 的团队用它来%s%s。", sl.org, sl.v1.zh, sl.n1.zh)
	case 2:
		en = fmt.Sprintf("A later version added %s %s and %s support.", sl.a1.en, sl.n1.en, sl.n2.en)
		z = fmt.Sprintf("后来的版本增加了%s%s和%s支持。", sl.a1.zh, sl.n1.zh, sl.n2.zh)
	default:
		en = fmt.Sprintf("%s measured %s %s per second on %s %s.", sl.person, sl.num, sl.n1.en, sl.a1.en, sl.n2.en)
		z = fmt.Sprintf("%s 测得它在%s%s上每秒处理 %s 个%s。", sl.person, sl.a1.zh, sl.n2.zh, sl.num, sl.n1.zh)
	}
	if zh {
		return z
	}
	return en
}
