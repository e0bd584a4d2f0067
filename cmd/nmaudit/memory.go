package main

import (
	"os"
	"runtime/debug"
)

// Memory: a run holds its registry and every verdict until the report is written; with Go's
// default GC pacing the heap may grow to twice that before a collection, which for a
// 200,000-row registry meant ~300 MiB of RSS on a laptop an office also works on. A soft limit
// sized to the run keeps the peak near what the run needs, for a few percent of CPU.

const (
	memoryFloor  = 200 << 20 // enough for any registry up to ~200,000 rows
	memoryPerRow = 1000      // bytes per registry row beyond that, measured with room to spare
)

// limitMemory sets the runtime's soft memory limit for a run over rows registry rows, unless
// the user set GOMEMLIMIT (which the runtime has already applied). It never lowers the limit
// below what the run's live data needs: the limit is soft, and a run larger than it only makes
// the collector work harder, within the runtime's own CPU cap.
func limitMemory(rows int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(int64(memoryFloor), int64(rows)*memoryPerRow))
}
