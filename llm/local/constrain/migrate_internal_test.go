package constrain

import (
	"math/rand/v2"
	"testing"
)

// TestTableMigration shrinks the memo table so that matchers move to fresh
// tables mid-output, and checks they accept exactly what a matcher on an
// unbounded table accepts.
func TestTableMigration(t *testing.T) {
	schema := `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","maxLength":6}},"b":{"type":"integer","minimum":3,"maximum":999}},"required":["a","b"]}`
	ref, err := CompileSchema([]byte(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := maxConfigs
	maxConfigs = 8
	defer func() { maxConfigs = old }()
	g, err := CompileSchema([]byte(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	alphabet := []byte(`{}[]",:0123456789abxyz\` + "\xc3\xa9")
	first := g.tab.Load()
	for range 100 {
		m, mr := g.NewMatcher(), ref.NewMatcher()
		for range 60 {
			for range 12 { // try bytes until one is accepted
				b := []byte{alphabet[r.IntN(len(alphabet))]}
				ok := m.Accept(b)
				if ok != mr.Accept(b) {
					t.Fatalf("migration changed acceptance")
				}
				if m.Done() != mr.Done() || m.Remaining() != mr.Remaining() {
					t.Fatalf("migration changed state")
				}
				if ok {
					break
				}
			}
		}

	}
	if g.tab.Load() == first {
		t.Fatal("the table was never replaced")
	}
}
