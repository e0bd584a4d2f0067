//go:build race

package sheet_test

// raceEnabled: the race detector slows byte-crunching tests tenfold; those with no goroutines
// to check (bombs, multi-MiB files) run in the ordinary test run only.
const raceEnabled = true
