package sheet_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// large enables the 200,000-row benchmarks (the size of a province's registry), which take
// a while to generate the first time: go test -bench . ./audit/sheet/ -large, or set
// NMAUDIT_BENCH_LARGE=1.
var large = flag.Bool("large", false, "also run the 200,000-row benchmarks")

func BenchmarkReadXLSX(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) string {
		return benchFile(b, n, ".xlsx", func(p string) error { return sheettest.WriteRegistryXLSX(p, n, 1) })
	})
}

// BenchmarkReadXLSXShared reads the same registry saved the way Excel saves it: shared strings.
func BenchmarkReadXLSXShared(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) string {
		return benchFile(b, n, ".shared.xlsx", func(p string) error { return sheettest.WriteRegistryXLSXShared(p, n, 1) })
	})
}

func BenchmarkReadCSVGB18030(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) string {
		return benchFile(b, n, ".gb18030.csv", func(p string) error { return sheettest.WriteRegistryCSV(p, n, 1, sheettest.GB18030) })
	})
}

func BenchmarkReadCSVUTF8(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) string {
		return benchFile(b, n, ".utf8.csv", func(p string) error { return sheettest.WriteRegistryCSV(p, n, 1, sheettest.UTF8BOM) })
	})
}

// BenchmarkReadFile reads the file named by NMAUDIT_BENCH_FILE — a real export, or a workbook
// from another writer (Excel's shared strings instead of the generator's inline strings) —
// so its speed can be compared with the generated files.
func BenchmarkReadFile(b *testing.B) {
	p := os.Getenv("NMAUDIT_BENCH_FILE")
	if p == "" {
		b.Skip("set NMAUDIT_BENCH_FILE to a registry export")
	}
	f, rows := readAll(b, p, sheet.Options{})
	f.Close()
	benchRead(b, p, len(rows))
}

func benchSizes(b *testing.B, file func(*testing.B, int) string) {
	for _, n := range []int{20000, 200000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			if n > 20000 && !*large && os.Getenv("NMAUDIT_BENCH_LARGE") != "1" {
				b.Skip("200,000-row file: run with -large or NMAUDIT_BENCH_LARGE=1")
			}
			benchRead(b, file(b, n), n+1)
		})
	}
}

// benchFile returns a generated file of n registry rows, cached in the system temp dir across
// runs (generating 200,000 rows takes longer than reading them), written under a temporary
// name first so an interrupted run never leaves a truncated cache.
func benchFile(b *testing.B, n int, suffix string, gen func(string) error) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), fmt.Sprintf("nmaudit-sheet-bench-v1-%d%s", n, suffix))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("nmaudit-sheet-bench-%d-%d%s", os.Getpid(), n, filepath.Ext(suffix)))
	if err := gen(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchRead reads the whole file b.N times and reports rows/s and the peak heap seen by a
// sampler (runtime/metrics, which does not stop the world the way ReadMemStats does).
func benchRead(b *testing.B, path string, wantRows int) {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	runtime.GC()
	debug.FreeOSMemory()
	rssReset := resetPeakRSS()
	peak := startPeakSampler()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		f, err := sheet.Open(path, sheet.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := f.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if n != wantRows {
			b.Fatalf("read %d rows, want %d", n, wantRows)
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	heap := peak()
	b.ReportMetric(float64(wantRows)*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	if rss := peakRSS(); rssReset && rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// startPeakSampler polls the bytes in heap objects (live and not yet swept) every few
// milliseconds; the returned function stops it and returns the maximum.
func startPeakSampler() func() uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var maxHeap uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			maxHeap = max(maxHeap, samples[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return maxHeap
	}
}

// resetPeakRSS resets the kernel's high-water mark of the process's resident memory (Linux:
// writing 5 to /proc/self/clear_refs), so peakRSS measures the benchmark loop and not the
// generation of its input. It reports whether that worked.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns VmHWM from /proc/self/status, or 0 where there is none.
func peakRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
