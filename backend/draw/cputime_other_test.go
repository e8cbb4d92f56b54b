//go:build !unix

package draw_test

func cpuTime() int64 { return 0 }
