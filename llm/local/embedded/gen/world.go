package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// topic is something the knowledge base holds a document about. Fact is a
// substring of both Text and ZhText: what an answer must contain.
type topic struct {
	Name, ZhName string
	Text, ZhText string
	Fact         string
}

var realTopics = []topic{
	{"Transformer", "Transformer", "The Transformer is a neural network architecture built on self-attention, introduced in 2017.", "Transformer 是一种基于自注意力的神经网络架构，于 2017 年提出。", "2017"},
	{"BERT", "BERT", "BERT is an encoder-only language model released by Google in 2018.", "BERT 是谷歌于 2018 年发布的仅编码器语言模型。", "2018"},
	{"GPT", "GPT", "GPT is a decoder-only language model trained to predict the next token.", "GPT 是一种训练来预测下一个 token 的仅解码器语言模型。", "token"},
	{"T5", "T5", "T5 treats every task as text-to-text and was released in 2019.", "T5 把每个任务都当作 text-to-text（文本到文本），于 2019 年发布。", "text-to-text"},
	{"RAG", "检索增强生成", "RAG adds retrieved documents to the prompt so answers cite sources.", "检索增强生成（RAG）把检索到的文档加入提示，使回答引用来源。", "RAG"},
	{"chain of thought", "思维链", "Chain of thought prompting asks the model to reason step by step.", "思维链提示让模型 step by step 地推理。", "step by step"},
	{"Ollama", "Ollama", "Ollama runs GGUF models locally and serves them on port 11434.", "Ollama 在本地运行 GGUF 模型，并在端口 11434 提供服务。", "11434"},
	{"LoRA", "LoRA", "LoRA fine-tunes a model by training low-rank adapters of rank 8 or 16.", "LoRA 通过训练秩为 8 或 16 的低秩适配器来微调模型。", "16"},
	{"retrieval-augmented generation", "检索增强生成", "Retrieval-augmented generation (RAG) retrieves documents and adds them to the prompt before the model answers.", "检索增强生成（RAG）在模型回答之前检索文档并把它们加入提示。", "RAG"},
	{"fine-tuning", "微调", "Fine-tuning continues training a pre-trained model on task data, often with LoRA.", "微调在任务数据上继续训练预训练模型，常用 LoRA。", "LoRA"},
	{"prompt engineering", "提示工程", "Prompt engineering designs the input text, for example with few-shot examples.", "提示工程设计输入文本，例如使用 few-shot 示例。", "few-shot"},
	{"LLM agents", "大模型智能体", "An LLM agent plans steps and calls tools in a loop such as ReAct.", "大模型智能体规划步骤，并以 ReAct 这样的循环调用工具。", "ReAct"},
	{"local deployment", "本地部署", "Local deployment runs a quantized GGUF model on your own machine.", "本地部署在自己的机器上运行量化的 GGUF 模型。", "GGUF"},
	{"self-attention", "自注意力", "Self-attention lets every token attend to every other token, as the 2017 Transformer does.", "自注意力让每个 token 关注其他所有 token，正如 2017 年的 Transformer。", "2017"},
}

// extras are sentences that follow a document's first one: the body a
// real note has, with numbers that are not the answer.
var extras = []struct{ en, zh string }{
	{"It is described in more detail in the references of this note.", "本文的参考资料中有更详细的描述。"},
	{"Several later systems build on it.", "后来的许多系统都以它为基础。"},
	{"Its main advantage is simplicity.", "它的主要优点是简单。"},
	{"Practitioners often compare it with older approaches.", "实践者常把它与更早的方法比较。"},
	{"A typical setup takes %d minutes to configure.", "典型的配置需要 %d 分钟。"},
	{"Version %d added support for larger inputs.", "第 %d 版增加了对更大输入的支持。"},
	{"It is maintained by a team of %d people.", "它由一个 %d 人的团队维护。"},
	{"Its quality depends on the data it is given.", "它的质量取决于所给的数据。"},
	{"Critics point out that it needs careful tuning before it works well on new problems.", "批评者指出，它在新问题上表现良好之前需要仔细调优。"},
	{"The original paper reports results on %d benchmarks and compares several variants.", "原论文报告了 %d 个基准上的结果，并比较了几个变体。"},
	{"In production, teams usually monitor its latency and memory use.", "在生产环境中，团队通常会监控它的延迟和内存占用。"},
	{"A common mistake is to apply it without first measuring the baseline.", "一个常见的错误是在没有先测量基线的情况下使用它。"},
	{"Open-source implementations exist in Go, Python and Rust.", "Go、Python 和 Rust 都有开源实现。"},
	{"It was revised %d years later to fix a subtle problem with long inputs.", "%d 年后它经过修订，修复了长输入上的一个细微问题。"},
	{"Most tutorials start with a small example and then scale it up step by step.", "大多数教程从一个小例子开始，再逐步扩大规模。"},
	{"Its name is often abbreviated in papers and talks.", "在论文和演讲中，它的名字常被缩写。"},
}

// document is a knowledge-base document as the researcher's read_doc
// returns it.
type document struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"`
	Text   string `json:"text"`
}

// hit is a search hit as the researcher's search_kb returns it.
type hit struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// document writes tp's document in the example's language: for rich
// catalogs a Markdown note with a heading and a few more sentences (hard
// wrapped in English, a sentence a line or run on in Chinese), else the
// one sentence.
func (b *builder) document(tp topic) document {
	title, first := tp.Name, tp.Text
	if b.zh() {
		title, first = tp.ZhName, tp.ZhText
	}
	if !b.cat.Rich {
		return document{ID: docID(b.r), Title: title, Text: first}
	}
	sents := []string{first}
	for range 1 + b.r.IntN(6) {
		sents = append(sents, bodySentence(b.r, b.zh()))
	}
	var body string
	if b.zh() {
		sep := ""
		if b.r.IntN(2) == 0 {
			sep = "\n"
		}
		body = strings.Join(sents, sep)
	} else {
		body = wrap(strings.Join(sents, " "), 70+b.r.IntN(10))
	}
	// Real notes go on with lists and more paragraphs.
	if b.r.IntN(2) == 0 {
		var l strings.Builder
		l.WriteString(b.pickT("\n\nKey points:\n", "\n\n要点：\n"))
		numbered := b.r.IntN(2) == 0
		for i := range 2 + b.r.IntN(3) {
			if numbered {
				fmt.Fprintf(&l, "\n%d. ", i+1)
			} else {
				l.WriteString("\n- ")
			}
			l.WriteString(bodySentence(b.r, b.zh()))
		}
		body += l.String()
	}
	if b.r.IntN(3) == 0 {
		s1, s2 := bodySentence(b.r, b.zh()), bodySentence(b.r, b.zh())
		more := s1 + s2
		if !b.zh() {
			more = wrap(s1+" "+s2, 70+b.r.IntN(10))
		}
		body += "\n\n" + more
	}
	if len(title) > 0 && title[0] >= 'a' && title[0] <= 'z' {
		title = strings.ToUpper(title[:1]) + title[1:]
	}
	return document{ID: slug(tp.Name), Title: title, Source: "bundled", Text: "# " + title + "\n\n" + body + "\n"}
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		if i > 0 {
			if n+1+len(w) > width {
				b.WriteByte('\n')
				n = 0
			} else {
				b.WriteByte(' ')
				n++
			}
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// slug is a document id made from a name, as the researcher's knowledge
// base names documents after their files.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "doc"
	}
	return b.String()
}

// snippet is the start of a document's body, whitespace collapsed, cut
// at n bytes with an ellipsis, as the researcher's search_kb writes it.
func snippet(text string, n int) string {
	body := text
	if strings.HasPrefix(strings.TrimSpace(body), "#") {
		if i := strings.Index(body, "\n"); i >= 0 {
			body = body[i+1:]
		}
	}
	body = strings.Join(strings.Fields(body), " ")
	if len(body) <= n {
		return body
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut] + "…"
}

// firstSentence is the first sentence of a document's body, with its
// line breaks made spaces: what an extractive answer quotes.
func firstSentence(text string) string {
	body := snippet(text, len(text)+1)
	for i, c := range body {
		switch c {
		case '。', '！', '？':
			return body[:i+len(string(c))]
		case '.', '!', '?':
			if i+1 == len(body) || body[i+1] == ' ' {
				return body[:i+1]
			}
		}
	}
	return body
}

var (
	syllables = []string{"ka", "lo", "mi", "ra", "ten", "vo", "zu", "pel", "dor", "qi", "xan", "bri", "fo", "gal", "nu", "sel", "tor", "wen", "yo", "har"}
	kinds     = []struct{ en, zh string }{{"protocol", "协议"}, {"model", "模型"}, {"algorithm", "算法"}, {"database", "数据库"}, {"compiler", "编译器"}, {"library", "库"}}
	people    = []string{"Ada Lin", "Bo Chen", "Carla Diaz", "Dev Patel", "Emi Sato", "Femi Ade", "Gus Berg", "Hana Kim", "Ivan Petrov", "Jia Wang"}
	cities    = []struct{ en, zh string }{{"Paris", "巴黎"}, {"Beijing", "北京"}, {"Tokyo", "东京"}, {"Berlin", "柏林"}, {"Shanghai", "上海"}, {"Cairo", "开罗"}, {"Lima", "利马"}, {"Oslo", "奥斯陆"}}
	skies     = []struct{ en, zh string }{{"sunny", "晴"}, {"cloudy", "多云"}, {"rainy", "雨"}, {"snowy", "雪"}, {"windy", "大风"}}
	noteTexts = []struct{ en, zh string }{
		{"buy milk tomorrow", "明天买牛奶"}, {"call Bo at 5 pm", "下午五点给 Bo 打电话"}, {"the meeting moved to Friday", "会议改到周五"},
		{"review the RAG draft", "审阅 RAG 草稿"}, {"backup the database tonight", "今晚备份数据库"}, {"book a room for 3 people", "为 3 人订房间"},
	}
)

func syntheticTopic(r *rand.Rand) topic {
	n := 2 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	name := strings.ToUpper(b.String()[:1]) + b.String()[1:]
	k := kinds[r.IntN(len(kinds))]
	kw := word{k.en, k.zh}
	full, fullZh := "the "+name+" "+k.en, name+" "+k.zh
	if r.IntN(2) == 0 {
		full, fullZh = name, name
	}
	s := describe(r, name, name, full, fullZh, kw)
	s.en = upperFirst(s.en)
	return topic{Name: name + " " + k.en, ZhName: name + " " + k.zh, Text: s.en, ZhText: s.zh, Fact: s.fact}
}

// pickTopic draws a topic: a made-up one, or one of the real topics'
// names with made-up facts. Real names never come with the same text
// twice, so a model learns to copy what the documents say rather than to
// recall what it was trained on.
func pickTopic(r *rand.Rand) topic {
	if r.IntN(4) == 0 {
		rt := realTopics[r.IntN(len(realTopics))]
		s := describe(r, rt.Name, rt.ZhName, rt.Name, rt.ZhName, word{})
		return topic{Name: rt.Name, ZhName: rt.ZhName, Text: upperFirst(s.en), ZhText: s.zh, Fact: s.fact}
	}
	return syntheticTopic(r)
}

func upperFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func docID(r *rand.Rand) string { return fmt.Sprintf("doc-%d", 100+r.IntN(900)) }
