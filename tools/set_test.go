package tools_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/plait-ai/plait/tools"
)

// TestSetLookupSizes: a set finds each of its tools by name, and no other,
// at every size (small sets search a list, bigger ones a map), after
// adding, removing and selecting tools too.
func TestSetLookupSizes(t *testing.T) {
	mk := func(name string) tools.Tool {
		return tools.MustFunc(name, "", func(ctx context.Context, in struct{}) (string, error) { return name, nil })
	}
	for _, n := range []int{0, 1, 2, 8, 9, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var ts []tools.Tool
			for i := range n {
				ts = append(ts, mk(fmt.Sprintf("tool_%d", i)))
			}
			s := tools.MustSet(ts...)
			check := func(what string, s *tools.Set, present, absent []string) {
				t.Helper()
				for _, name := range present {
					if tool, ok := s.Tool(name); !ok || tool.Spec().Name != name {
						t.Errorf("%s: %q not found", what, name)
					}
				}
				for _, name := range absent {
					if _, ok := s.Tool(name); ok {
						t.Errorf("%s: %q found", what, name)
					}
				}
			}
			var names []string
			for i := range n {
				names = append(names, fmt.Sprintf("tool_%d", i))
			}
			check("new", s, names, []string{"tool", "tool_", fmt.Sprintf("tool_%d", n), ""})
			if err := s.Add(mk("extra")); err != nil {
				t.Fatal(err)
			}
			check("added", s, append(names, "extra"), []string{"extr", "extras"})
			if n > 0 {
				s.Remove(names[0])
				check("removed", s, append(names[1:], "extra"), names[:1])
				sub, err := s.Select("extra")
				if err != nil {
					t.Fatal(err)
				}
				check("selected", sub, []string{"extra"}, names)
			}
		})
	}
}
