module github.com/plait-ai/plait

go 1.26
