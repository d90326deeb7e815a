// Package examples holds runnable programs that show plait in use, one per
// folder, each runnable with one command and covered by a test:
//
//	go run ./examples/researcher "question"   plan, search a knowledge base, cite documents
//	go run ./examples/service                 an HTTP service embedding an agent, history in SQLite
//	go run ./examples/ops "request"           guarded tools with human approval
//	go run ./examples/team "goal"             a coordinator with sub-agents as tools
//	go run ./examples/mcp "goal"              an agent using an MCP server's tools over stdio
//
// The logic of each lives in an importable package beside its main (research,
// support, opsagent, crew, todo), so that tests run it with scripted models.
package examples
