module github.com/plait-ai/plait

go 1.26.0

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/tmc/langchaingo v0.1.14 // indirect
	golang.org/x/time v0.16.0 // indirect
)
