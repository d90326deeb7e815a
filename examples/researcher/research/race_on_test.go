//go:build race

package research_test

// raceEnabled reports a build with the race detector, under which the
// embedded model runs tens of times slower.
const raceEnabled = true
