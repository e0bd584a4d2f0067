//go:build !unix

package sheet_test

import "time"

// cpuTime is not measured on this platform; benchmarks then report 0 cpu-s/op.
func cpuTime() time.Duration { return 0 }
