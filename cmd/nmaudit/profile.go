package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profileEnv names a file to write a CPU profile of the whole run to, and profileHeapEnv one for
// a heap profile taken at the end: for measuring a user's run as the user runs it (make bench
// and the closing notes' profiles), with the built binary and no other change.
const (
	profileEnv     = "NMAUDIT_CPUPROFILE"
	profileHeapEnv = "NMAUDIT_HEAPPROFILE"
)

// startProfiles starts what the environment asks for and returns the func that stops it.
func startProfiles() func() {
	stop := func() {}
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			stop = func() { pprof.StopCPUProfile(); f.Close() }
		} else {
			fmt.Fprintln(os.Stderr, "nmaudit:", profileEnv, err)
		}
	}
	heap := os.Getenv(profileHeapEnv)
	return func() {
		stop()
		if heap == "" {
			return
		}
		f, err := os.Create(heap)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nmaudit:", profileHeapEnv, err)
			return
		}
		runtime.GC()
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
}
