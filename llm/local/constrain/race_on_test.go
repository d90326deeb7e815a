//go:build race

package constrain_test

// raceEnabled lets the heaviest tests shrink under the race detector,
// which slows the trie walks about tenfold.
const raceEnabled = true
