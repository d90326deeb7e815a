package agent

import (
	"slices"
	"testing"
)

func TestCitations(t *testing.T) {
	known := func(id string) bool { return id == "s1" || id == "s2" || id == "s10" }
	tests := []struct {
		answer string
		want   []string
	}{
		{"", nil},
		{"No citations.", nil},
		{"A [s1].", []string{"s1"}},
		{"A [s2, s1] and [s1].", []string{"s2", "s1"}},
		{"A [s1,s10,].", []string{"s1", "s10"}},
		{"A [ s2 , unknown ] [s3].", []string{"s2"}},
		{"Unclosed [s1", nil},
		{"[] [,] [s10]", []string{"s10"}},
	}
	for _, tt := range tests {
		if got := citations(nil, tt.answer, known); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("citations(%q) = %q, want %q", tt.answer, got, tt.want)
		}
		// With room given: the same ids, nil when none.
		var room [2]string
		if got := citations(room[:1], tt.answer, known); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("citations(%q) with room = %q, want %q", tt.answer, got, tt.want)
		}
	}
}
