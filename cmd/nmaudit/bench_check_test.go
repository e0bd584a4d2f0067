//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// BenchmarkCheckAsUsersRunIt is the speed benchmark of a user's run (`make bench`): the built
// binary, with the defaults a user gets — the history store on, in a fresh data folder — runs
//
//	nmaudit check --registry REG --offline --format json -o FILE -q
//
// on a generated registry (200,000 rows with NMAUDIT_BENCH_LARGE=1, else 20,000), as an .xlsx
// and as a GBK CSV (Excel's plain CSV on Chinese Windows). It reports the wall time and the
// child's peak RSS, and, where pandas is installed (/usr/bin/python3 with python3-pandas and
// python3-openpyxl; `make bench` installs them with apt-get where it can), the wall time of
// pandas reading the same file (read_excel with openpyxl; read_csv(encoding="gbk")) and the
// ratio. Timing is measured, never asserted; the run must succeed and report every row.
func BenchmarkCheckAsUsersRunIt(b *testing.B) {
	n := 20_000
	if os.Getenv("NMAUDIT_BENCH_LARGE") != "" {
		n = 200_000
	}
	bin := buildBinary(b)
	for _, kind := range []string{"xlsx", "gbk"} {
		b.Run(fmt.Sprintf("%s-%d", kind, n), func(b *testing.B) {
			reg := benchRegistry(b, kind, n)
			var wall time.Duration
			var rss int64
			for range b.N {
				w, r := runCheckBinary(b, bin, reg, n)
				wall += w
				rss = max(rss, r)
			}
			per := wall / time.Duration(b.N)
			b.ReportMetric(per.Seconds(), "wall-s")
			b.ReportMetric(float64(rss)/1024, "peak-MiB")
			b.ReportMetric(float64(per.Microseconds())/float64(n), "µs/row")
			if pw, ok := pandasRead(b, kind, reg); ok {
				b.ReportMetric(pw.Seconds(), "pandas-wall-s")
				b.ReportMetric(per.Seconds()/pw.Seconds(), "ratio")
			}
		})
	}
}

// buildBinary builds nmaudit as `make build` does, once per benchmark run.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "nmaudit")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("go build: %v", err)
	}
	return bin
}

// benchRegistry returns a cached generated registry of n rows ("xlsx" or "gbk" CSV).
func benchRegistry(b *testing.B, kind string, n int) string {
	b.Helper()
	ext := ".csv"
	if kind == "xlsx" {
		ext = ".xlsx"
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("nmaudit-bench-check-%d-%s%s", n, kind, ext))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp" + ext
	var err error
	if kind == "xlsx" {
		err = sheettest.WriteRegistryXLSX(tmp, n, 1)
	} else {
		err = sheettest.WriteRegistryCSV(tmp, n, 1, kind)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		b.Fatalf("generate %s: %v", path, err)
	}
	return path
}

// runCheckBinary runs one check as a user would and returns its wall time and peak RSS (KiB).
func runCheckBinary(b *testing.B, bin, reg string, n int) (time.Duration, int64) {
	b.Helper()
	data := b.TempDir() // a fresh history store: nothing to set up, as on a new install
	out := filepath.Join(b.TempDir(), "run.json")
	cmd := exec.Command(bin, "check", "--registry", reg, "--offline", "--at", "2022-08-22", "--format", "json", "-o", out, "-q")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+data, "XDG_CONFIG_HOME="+data)
	cmd.Dir = data // no ./nmaudit.yaml
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("check: %v\n%s", err, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Size() < int64(n)*200 {
		b.Fatalf("report %s: %v (%d bytes for %d rows)", out, err, fi.Size(), n)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss // KiB on Linux
	}
	return wall, rss
}

// pandasRead times pandas reading the same file, the script a user would otherwise write.
func pandasRead(b *testing.B, kind, path string) (time.Duration, bool) {
	b.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		return 0, false
	}
	read := `pd.read_excel(p, dtype=str, engine="openpyxl")`
	if kind != "xlsx" {
		read = `pd.read_csv(p, dtype=str, encoding="gbk")`
	}
	script := "import sys, time\nimport pandas as pd\np = sys.argv[1]\nt = time.perf_counter()\ndf = " + read +
		"\nprint(len(df), time.perf_counter() - t)\n"
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		b.Logf("pandas not available (%v): install python3-pandas and python3-openpyxl for the comparison", err)
		return 0, false
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, false
	}
	sec, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(sec * float64(time.Second)), true
}
