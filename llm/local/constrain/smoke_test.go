package constrain

import "testing"

func TestSmoke(t *testing.T) {
	g, err := CompileSchema([]byte(`{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","maxLength":3},"c":{"enum":["x","y"]}},"required":["a"]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`{"a":1}`, `{"a":-12,"b":"abc"}`, `{"a":0,"c":"y"}`, `{"a":1,"b":"abcd"}`, `{"b":"x"}`, `{"a":01}`} {
		m := g.NewMatcher()
		ok := m.Accept([]byte(s))
		t.Logf("%s accept=%v done=%v rem=%d", s, ok, m.Done(), m.Remaining())
	}
	st, r, c := g.Stats()
	t.Log(st, r, c)
}
