//go:build !race

package sanitize

// raceEnabled lets slow exhaustive tests sample under the race detector.
const raceEnabled = false
