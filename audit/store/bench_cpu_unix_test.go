//go:build unix

package store

import (
	"syscall"
	"time"
)

// processCPU is the user and system time this process has used, all threads counted: the
// Writer's goroutine does most of a save's work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
