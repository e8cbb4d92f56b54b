package importer_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/importer"
)

var genRegions = []string{"350102", "350103", "350104", "350105", "350111", "350112", "350121", "350122"}

// genUSCC returns the i-th generated code of kind digit k (1 enterprise,
// 2 individual, 3 cooperative).
func genUSCC(k byte, i int) string {
	first := fmt.Sprintf("9%c%s%09d", k, genRegions[i%len(genRegions)], i)
	c, ok := backend.USCCCheckChar(first)
	if !ok {
		panic("bad generated code " + first)
	}
	return first + string(c)
}

// genTargetsCSV writes a header and n valid, distinct market entities in
// the shape of a real directory export. seed changes the names, so that a
// second file updates every row of the first.
func genTargetsCSV(w io.Writer, n int, seed string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(zhHeader)
	credits := "AABBBBBCCD"
	for i := 0; i < n; i++ {
		k, kind, legal := byte('1'), "企业", "法人"
		switch {
		case i%50 == 49:
			k, kind = '3', "农民专业合作社"
		case i%5 == 4:
			k, kind, legal = '2', "个体工商户", "经营者"
		}
		region := genRegions[i%len(genRegions)]
		lng := 119.2 + float64(i%1000)/10000
		lat := 26.0 + float64(i%997)/10000
		status := "存续"
		if i%40 == 39 {
			status = "注销"
		}
		fmt.Fprintf(bw, "%s,福州%s测试%06d有限公司,%s,%s,\"福州市第%d街%d号,%d层\",%.4f,%.4f,F%04d,测试;批次%d,%c,%s,%s,%s,%s%d\n",
			genUSCC(k, i), seed, i, kind, region, i%300, i%1000, i%30, lng, lat, 5211+i%50, i%7,
			credits[i%len(credits)], yesNo(i%97 == 0), status, yesNo(i%13 == 0), legal, i%1000)
	}
	return bw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func genFile(tb testing.TB, n int, seed string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("enterprises-%d.csv", n))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := genTargetsCSV(f, n, seed); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkImportTargets imports 10,000 generated enterprises into an empty
// directory of the embedded store.
func BenchmarkImportTargets(b *testing.B) {
	const n = 10000
	path := genFile(b, n, "")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b)
		b.StartTimer()
		s := e.MustImportFile(b, importer.Targets, path)
		if s.Imported != n {
			b.Fatalf("summary %q", s)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestImport100k imports 100,000 generated enterprises, imports the same
// file again, then a 150-row correction file of which 50 rows changed, and
// logs rows/s and the peak Go heap. It takes minutes, so it runs only with
// FIELDCHECK_BIG=1:
//
//	FIELDCHECK_BIG=1 /usr/bin/time -v go test -run TestImport100k -v -timeout 60m ./backend/importer/
func TestImport100k(t *testing.T) {
	if os.Getenv("FIELDCHECK_BIG") == "" {
		t.Skip("set FIELDCHECK_BIG=1 to import 100,000 enterprises")
	}
	const n = 100000
	e := newEnv(t)
	path := genFile(t, n, "")
	peak := watchHeap(t)

	run := func(what, path string, rows int) *importer.Summary {
		start := time.Now()
		s := e.MustImportFile(t, importer.Targets, path)
		d := time.Since(start)
		t.Logf("%s: %s in %v: %.0f rows/s; peak Go heap so far %d MiB", what, s, d.Round(time.Millisecond), float64(rows)/d.Seconds(), peak()>>20)
		return s
	}
	checkCounts(t, run("first import", path, n), n, 0, 0, 0)
	checkCounts(t, run("same file again", path, n), 0, 0, n, 0)

	// A correction file: 150 rows of the directory, every third renamed.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 152)[:151]
	for i := 1; i < len(lines); i += 3 {
		lines[i] = strings.Replace(lines[i], "测试", "改名", 1)
	}
	small := filepath.Join(t.TempDir(), "correction.csv")
	if err := os.WriteFile(small, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run("correction file, 50 of 150 rows changed", small, 150), 0, 50, 100, 0)
}

// watchHeap samples the Go heap until the test ends and returns a function
// reporting the highest HeapInuse seen. The embedded store runs in this
// process, so its memory is included.
func watchHeap(t *testing.T) func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
	)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(done) })
	return func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// BenchmarkImportTargetUpdates imports 2,000 generated enterprises, then
// measures importing them again renamed: 2,000 updates of one target
// each, each with its audit entry.
func BenchmarkImportTargetUpdates(b *testing.B) {
	const n = 2000
	e := newEnv(b)
	e.MustImportFile(b, importer.Targets, genFile(b, n, ""))
	files := make([]string, b.N)
	for i := range files {
		files[i] = genFile(b, n, fmt.Sprint("改", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := e.MustImportFile(b, importer.Targets, files[i]); s.Updated != n {
			b.Fatalf("summary %q", s)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
