package gen

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Composed training goals never say what a held-out template says.
func TestComposedGoalsHoldOut(t *testing.T) {
	for _, lang := range []Lang{English, Chinese} {
		b := &builder{r: rand.New(rand.NewPCG(1, 2)), lang: lang}
		seen := map[string]bool{}
		for i := range 5000 {
			g := b.composeLookup(i%2 == 0)
			if heldOutGoals[g] {
				t.Fatalf("composed goal %q is a held-out template's", g)
			}
			if strings.Count(g, "%s") != 1 {
				t.Fatalf("composed goal %q has no single %%s", g)
			}
			seen[g] = true
		}
		if len(seen) < 100 {
			t.Errorf("%s: only %d distinct composed goals", lang, len(seen))
		}
	}
}
