//go:build !race

package constrain_test

const raceEnabled = false
