//go:build unix

package draw_test

import "syscall"

// cpuTime returns the CPU time the process has used, user and system, in
// nanoseconds: benchmarks report it next to wall time because the machine
// they run on may be shared.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
