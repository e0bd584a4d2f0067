package sheet_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// A Ctrl-C while a large file is read stops the read soon: the readers check the context before
// every read of a few hundred KB, so only what is already buffered still comes out (a few
// thousand rows, against the 20,000 of this file), and the error says why.
func TestCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000-row files")
	}
	dir := t.TempDir()
	files := map[string]func(string) error{
		"r.xlsx": func(p string) error { return sheettest.WriteRegistryXLSX(p, 20000, 1) },
		"r.csv":  func(p string) error { return sheettest.WriteRegistryCSV(p, 20000, 1, sheettest.GB18030) },
	}
	for name, gen := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			must(t, gen(p))

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := sheet.Open(p, sheet.Options{Context: ctx}); !errors.Is(err, context.Canceled) {
				t.Errorf("Open with a cancelled context: %v", err)
			}

			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			f, err := sheet.Open(p, sheet.Options{Context: ctx})
			must(t, err)
			defer f.Close()
			for range 10 {
				if _, err := f.Next(); err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			n := 0
			for {
				_, err = f.Next()
				if err != nil {
					break
				}
				n++
			}
			var se *sheet.Error
			if errors.Is(err, io.EOF) || !errors.Is(err, context.Canceled) || !errors.As(err, &se) {
				t.Fatalf("after cancel: %v", err)
			}
			if n > 5000 {
				t.Errorf("%d rows read after the cancel", n)
			}
		})
	}
}
