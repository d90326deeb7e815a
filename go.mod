module github.com/plait-ai/plait

go 1.26.0

require (
	github.com/dlclark/regexp2/v2 v2.13.0
	github.com/google/uuid v1.6.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	golang.org/x/sys v0.49.0
	golang.org/x/time v0.16.0
)

require golang.org/x/text v0.14.0 // indirect
