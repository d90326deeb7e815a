//go:build race

package local

// raceEnabled reports a build with the race detector, which makes the
// pure-Go numeric loops ten to fifty times slower: the tests that check
// numbers, not concurrency, then run a smaller sample.
const raceEnabled = true
