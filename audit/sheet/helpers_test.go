package sheet_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// writeFile writes raw bytes to name in a fresh temp dir and returns the path.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll opens path and returns every row, failing the test on any error.
func readAll(t testing.TB, path string, opts sheet.Options) (*sheet.File, []sheet.Row) {
	t.Helper()
	f, err := sheet.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", filepath.Base(path), err)
	}
	t.Cleanup(func() { f.Close() })
	var rows []sheet.Row
	for {
		r, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, r)
	}
	return f, rows
}

// openErr opens path expecting failure and returns the *sheet.Error.
func openErr(t testing.TB, path string, opts sheet.Options) *sheet.Error {
	t.Helper()
	f, err := sheet.Open(path, opts)
	if err == nil {
		f.Close()
		t.Fatalf("Open(%s) succeeded, want an error", filepath.Base(path))
	}
	var se *sheet.Error
	if !errors.As(err, &se) {
		t.Fatalf("Open(%s) error %T %v, want *sheet.Error", filepath.Base(path), err, err)
	}
	return se
}

func cellsOf(rows []sheet.Row) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.Cells
	}
	return out
}

func numsOf(rows []sheet.Row) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Num
	}
	return out
}

func wantRows(t testing.TB, rows []sheet.Row, nums []int, cells [][]string) {
	t.Helper()
	if got := numsOf(rows); !reflect.DeepEqual(got, nums) {
		t.Errorf("row numbers = %v, want %v", got, nums)
	}
	if got := cellsOf(rows); !reflect.DeepEqual(got, cells) {
		t.Errorf("cells =\n%q\nwant\n%q", got, cells)
	}
}

func sheettestRegistryXLSX(p string, n int) error { return sheettest.WriteRegistryXLSX(p, n, 3) }

func sheettestWriteXLSX(p string, n int) error {
	return sheettest.WriteXLSX(p, sheettest.RegistryRows(n, 4))
}
