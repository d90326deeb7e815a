module github.com/plait-ai/plait

go 1.26

require (
	github.com/dlclark/regexp2/v2 v2.13.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
)

require golang.org/x/text v0.14.0 // indirect
