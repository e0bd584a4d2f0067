package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// The import benchmark generates its registry in a child process (TestMain below), so the
// parent's peak RSS measures the import alone, not the generator.
func TestMain(m *testing.M) {
	if spec := os.Getenv("NMAUDIT_GEN_REGISTRY"); spec != "" {
		var kind, path string
		var n int
		if _, err := fmt.Sscanf(spec, "%s %d %s", &kind, &n, &path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var err error
		if kind == "xlsx" {
			err = sheettest.WriteRegistryXLSX(path, n, 1)
		} else {
			err = sheettest.WriteRegistryCSV(path, n, 1, kind)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchRows is 200,000 with NMAUDIT_BENCH_LARGE=1 (make bench), else 20,000.
func benchRows() int {
	if os.Getenv("NMAUDIT_BENCH_LARGE") != "" {
		return 200_000
	}
	return 20_000
}

// registryFile returns a cached generated registry, generating it in a child process.
func registryFile(b *testing.B, kind string, n int) string {
	ext := ".csv"
	if kind == "xlsx" {
		ext = ".xlsx"
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("nmaudit-bench-%d-%s%s", n, kind, ext))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("NMAUDIT_GEN_REGISTRY=%s %d %s", kind, n, path))
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("generate %s: %v", path, err)
	}
	return path
}

// BenchmarkImportClassify times what a provincial run does before any fetching: read the
// registry, normalise every row (labels, ids, names for duplicate detection), build the scope
// and classify every account (offline). It reports rows/s and the process's peak RSS.
func BenchmarkImportClassify(b *testing.B) {
	n := benchRows()
	for _, kind := range []string{"xlsx", "gb18030"} {
		path := registryFile(b, kind, n)
		b.Run(fmt.Sprintf("%s-%d", kind, n), func(b *testing.B) {
			runtime.GC()
			p := Params{CheckTime: time.Date(2022, 8, 22, 0, 0, 0, 0, shanghai), Window: Window{D: 14 * 24 * time.Hour}, Pending: PendingExclude}
			var res *Result
			start := time.Now()
			for b.Loop() {
				reg, err := LoadRegistry(path, LoadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				res, err = (&Check{Params: p, Registry: reg}).Run(context.Background())
				if err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start) / time.Duration(b.N)
			if res.Summary.RegistryRows != n {
				b.Fatalf("rows = %d, want %d", res.Summary.RegistryRows, n)
			}
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(elapsed.Seconds(), "s/op-wall")
			b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS-MB")
		})
	}
}
