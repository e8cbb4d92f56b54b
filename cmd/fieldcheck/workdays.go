package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

// runWorkdays prints the date N working days after DATE (DATE itself not
// counted), then the notices whose holidays the count went through.
func runWorkdays(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) != 2 {
		return usageError("usage: fieldcheck workdays DATE N   (e.g. fieldcheck workdays 2026-09-18 20)")
	}
	from, err := backend.ParseDate(args[0])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return usageError("N must be a whole number of working days, not %q", args[1])
	}
	due, err := backend.AddWorkingDays(from, n)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, due)
	first, _ := strconv.Atoi(string(from)[:4])
	last, _ := strconv.Atoi(string(due)[:4])
	for y := first; y <= last; y++ {
		notice, err := backend.NoticeOf(y)
		if err != nil {
			return err
		}
		src := []string{notice.Title}
		for _, s := range []string{notice.Number, string(notice.Issued)} {
			if s != "" {
				src = append(src, s)
			}
		}
		fmt.Fprintf(stdout, "%d 年节假日：%s\n", y, strings.Join(src, "，"))
		if notice.Note != "" {
			fmt.Fprintf(stdout, "  注：%s\n", notice.Note)
		}
	}
	return nil
}
