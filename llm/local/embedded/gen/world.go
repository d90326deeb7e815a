package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
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
	p := people[r.IntN(len(people))]
	year := fmt.Sprint(1950 + r.IntN(75))
	switch r.IntN(2) {
	case 0:
		return topic{
			Name: name + " " + k.en, ZhName: name + " " + k.zh,
			Text:   fmt.Sprintf("The %s %s was first described by %s in %s.", name, k.en, p, year),
			ZhText: fmt.Sprintf("%s %s由 %s 于 %s 年首次提出。", name, k.zh, p, year),
			Fact:   year,
		}
	default:
		v := fmt.Sprint(2 + r.IntN(98))
		return topic{
			Name: name + " " + k.en, ZhName: name + " " + k.zh,
			Text:   fmt.Sprintf("The %s %s uses %s layers and was written by %s.", name, k.en, v, p),
			ZhText: fmt.Sprintf("%s %s使用 %s 层，由 %s 编写。", name, k.zh, v, p),
			Fact:   v + " layers",
		}
	}
}

func pickTopic(r *rand.Rand) topic {
	if r.IntN(4) == 0 {
		return realTopics[r.IntN(len(realTopics))]
	}
	t := syntheticTopic(r)
	if strings.HasSuffix(t.Fact, " layers") {
		// Keep the fact a substring of both texts.
		t.Fact = strings.TrimSuffix(t.Fact, " layers")
	}
	return t
}

func docID(r *rand.Rand) string { return fmt.Sprintf("doc-%d", 100+r.IntN(900)) }
