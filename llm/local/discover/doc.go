// Package discover finds GGUF models on the local machine, so the runtime
// can load a model by name:
//
//   - a path to a .gguf file;
//   - a name in Ollama's local store ("qwen2.5:0.5b", "llama3.2",
//     "user/model:tag"): Ollama's manifests
//     (models/manifests/registry.ollama.ai/library/NAME/TAG) point to the
//     GGUF layer among its blobs, so models fetched with `ollama pull` run
//     without the Ollama server. The store is $OLLAMA_MODELS, or
//     ~/.ollama/models;
//   - a file in a models directory named by $PLAIT_MODELS (several
//     directories separated by the OS path-list separator), by its name
//     without ".gguf".
//
// [List] reports every model found with its size, architecture,
// quantization and parameter count, read from the GGUF header.
//
//	m, err := discover.Find("qwen2.5:0.5b")
//	if err != nil { ... } // errors.Is(err, discover.ErrNotFound)
//	f, err := gguf.Open(m.Path)
//
// The functions are safe for concurrent use; a [Finder] is a plain value.
package discover
