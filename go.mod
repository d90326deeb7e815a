module github.com/plait-ai/plait

go 1.26

require github.com/dlclark/regexp2/v2 v2.13.0
