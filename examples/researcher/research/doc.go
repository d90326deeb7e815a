// Package research builds the researcher example's agent: a knowledge base
// of Markdown notes about large language models (in English and Chinese,
// embedded in the binary, plus any documents the user adds), the tools to
// search and read it and to take notes, and a Researcher that runs a
// question to a report citing the documents it used.
//
//	kb, err := research.NewKB(ctx)           // the bundled notes
//	err = kb.AddDir(ctx, "./my-notes")       // and the user's own
//	r, err := research.New(research.Config{Model: model, KB: kb})
//	for ev, err := range r.Stream(ctx, "What is RAG?") { ... }
//	rep := research.ReportOf(kb, res)
//	fmt.Print(rep.Markdown())
//
// The command in the parent folder wires it to flags; a test runs the whole
// loop with a scripted model.
package research
