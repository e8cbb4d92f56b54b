package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestWorkdaysCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  []string // lines of standard output, in order, each a prefix
		err  string
	}{
		{"OKAcrossGuoqing", []string{"2026-09-18", "20"}, 0, []string{"2026-10-22", "2026 年节假日：国务院办公厅关于2026年部分节假日安排的通知，2025-11-04", "  注："}, ""},
		{"OKIntoNextYear", []string{"2026-12-04", "20"}, 0, []string{"2027-01-04", "2026 年节假日：", "  注：", "2027 年节假日：国务院办公厅关于2027年部分节假日安排的通知", "  注："}, ""},
		{"OKWithNumber", []string{"2025-01-24", "2"}, 0, []string{"2025-01-27", "2025 年节假日：国务院办公厅关于2025年部分节假日安排的通知，国办发明电〔2024〕12号，2024-11-12"}, ""},
		{"ErrUncoveredYear", []string{"2027-12-20", "20"}, 1, nil, "未收录 2028 年"},
		{"ErrBadDate", []string{"2026-13-01", "1"}, 1, nil, "YYYY-MM-DD"},
		{"ErrBadCount", []string{"2026-12-04", "twenty"}, 2, nil, "whole number"},
		{"ErrNegative", []string{"2026-12-04", "-3"}, 1, nil, "outside 0–366"},
		{"ErrArgs", []string{"2026-12-04"}, 2, nil, "usage: fieldcheck workdays DATE N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"workdays"}, tt.args...), &out, &errb)
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			if tt.err != "" && !strings.Contains(errText(err), tt.err) {
				t.Errorf("error %q does not say %q", errText(err), tt.err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if tt.out != nil && len(lines) != len(tt.out) {
				t.Fatalf("output %q has %d lines, want %d", out.String(), len(lines), len(tt.out))
			}
			for i, want := range tt.out {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], want)
				}
			}
		})
	}
}

// errText is what main prints for err.
func errText(err error) string {
	if err == nil {
		return ""
	}
	if ex, ok := err.(exitError); ok {
		return ex.msg
	}
	return backend.ErrorMessage(err)
}
