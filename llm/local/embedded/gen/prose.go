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

// shapes are the first sentences' forms in both languages, with {slot}
// placeholders (see [slots.fill]); fact names the slot an answer must
// keep.
var shapes = []struct{ en, zh, fact string }{
	{"{name} is a {a1} {kind} that {v1} {n1} and {n2}, first described by {person} in {year}.", "{zh}是一种{a1}{kind}，用于{v1}{n1}和{n2}，由 {person} 于 {year} 年首次提出。", "year"},
	{"{name} {v1} {a1} {n1} before it {v2} them, using about {num} {n2}.", "{zh}先{v1}{a1}{n1}，再{v2}它们，大约使用 {num} 个{n2}。", "num"},
	{"According to {person}, {name} {v1} {n1} {num} times faster than older {n2}.", "据 {person} 介绍，{zh}{v1}{n1}的速度比旧的{n2}快 {num} 倍。", "num"},
	{"{name} is the {a1} {kind} that {person} built at {org} to {v1base} {n1}.", "{zh}是 {person} 在 {org} 构建的{a1}{kind}，用来{v1}{n1}。", "org"},
	{"Released in {year}, the {name} {kind} {v1} {a1} {n1} into {a2} {n2}.", "{zh}{kind}于 {year} 年发布，它把{a1}{n1}{v1}成{a2}{n2}。", "year"},
	{"{name} keeps {a1} {n1} in {a2} {n2} and needs {num} MB of memory.", "{zh}把{a1}{n1}保存在{a2}{n2}中，需要 {num} MB 内存。", "num"},
	{"{name}, maintained by {org}, lets {n1} {v1base} their {n2} without {n3}.", "{zh}由 {org} 维护，让{n1}无需{n3}就能{v1}自己的{n2}。", "org"},
	{"{name} was written by {person} in {year} and {v1} {n1} for {a1} {n2}.", "{zh}由 {person} 于 {year} 年编写，为{a1}{n2}{v1}{n1}。", "person"},
	{"{name} uses {num} {n1} to {v1base} {n2}, and each step takes {ms} ms.", "{zh}使用 {num} 个{n1}来{v1}{n2}，每一步需要若干毫秒。", "num"},
	{"The {name} {kind} {v1} {n1} for {person}: it {v2} {n2} and {v1} {n3}.", "{zh}{kind}为 {person} {v1}{n1}：它{v2}{n2}，也{v1}{n3}。", "person"},
}

// bodyShapes are the forms of the sentences after the first; {subj} is
// one of bodySubjects.
var bodyShapes = []struct{ en, zh string }{
	{"{subj} {v1} {a1} {n1} with {a2} {n2}.", "{subj}用{a2}{n2}{v1}{a1}{n1}。"},
	{"Teams at {org} use it to {v1base} {n1}.", "{org} 的团队用它来{v1}{n1}。"},
	{"A later version added {a1} {n1} and {n2} support.", "后来的版本增加了{a1}{n1}和{n2}支持。"},
	{"{person} measured {num} {n1} per second on {a1} {n2}.", "{person} 测得它在{a1}{n2}上每秒处理 {num} 个{n1}。"},
}

var bodySubjects = []word{{"It", "它"}, {"The design", "这个设计"}, {"In practice it", "在实践中它"}, {"Its first version", "它的第一个版本"}}

// fill replaces the placeholders of an English (zh false) or Chinese
// text with the slots' words.
func (s *slots) fill(text string, zh bool, extra ...string) string {
	pick := func(w word) string {
		if zh {
			return w.zh
		}
		return w.en
	}
	v1, v2 := s.v1.s, s.v2.s
	if zh {
		v1, v2 = s.v1.zh, s.v2.zh
	}
	kv := append([]string{
		"{n1}", pick(s.n1), "{n2}", pick(s.n2), "{n3}", pick(s.n3),
		"{a1}", pick(s.a1), "{a2}", pick(s.a2),
		"{v1}", v1, "{v2}", v2, "{v1base}", s.v1.base,
		"{person}", s.person, "{org}", s.org, "{year}", s.year, "{num}", s.num,
	}, extra...)
	return strings.NewReplacer(kv...).Replace(text)
}

// value is the slot a shape's fact names.
func (s *slots) value(name string) string {
	switch name {
	case "year":
		return s.year
	case "num":
		return s.num
	case "org":
		return s.org
	default:
		return s.person
	}
}

// describe writes the first sentence of a document about a thing named
// name (zh in Chinese) of kind k (zero when the name says it all). full
// and fullZh are how a sentence names it on its own ("the Galyo
// protocol"); shapes that name the kind themselves ("the {name} {kind}")
// use the bare name.
func describe(r *rand.Rand, name, zh, full, fullZh string, k word) sentence {
	s := drawSlots(r)
	if k.en == "" {
		k = word{"system", "系统"}
	}
	sh := shapes[r.IntN(len(shapes))]
	if !strings.Contains(sh.en, "{name} {kind}") {
		name = full
	}
	if !strings.Contains(sh.zh, "{zh}{kind}") {
		zh = fullZh
	}
	extra := []string{"{name}", name, "{zh}", zh}
	if strings.Contains(sh.en, "{ms}") {
		extra = append(extra, "{ms}", fmt.Sprint(1+r.IntN(90)))
	}
	return sentence{
		en:   s.fill(sh.en, false, append(extra, "{kind}", k.en)...),
		zh:   s.fill(sh.zh, true, append(extra, "{kind}", k.zh)...),
		fact: s.value(sh.fact),
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
	subj := bodySubjects[r.IntN(len(bodySubjects))]
	sh := bodyShapes[r.IntN(len(bodyShapes))]
	text, sj := sh.en, subj.en
	if zh {
		text, sj = sh.zh, subj.zh
	}
	return sl.fill(text, zh, "{subj}", sj)
}
