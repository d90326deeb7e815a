//go:build !race

package research_test

const raceEnabled = false
