package sheet

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/nmaudit/nmaudit/audit/sheet/sheettest"
)

// BenchmarkScanSheet times the worksheet scanner alone, over sheet XML already inflated in
// memory, so its speed can be told apart from archive/zip's inflate (which the File benchmarks
// include).
func BenchmarkScanSheet(b *testing.B) {
	for _, shape := range []struct {
		name  string
		write func(string) error
	}{
		{"inline", func(p string) error { return sheettest.WriteRegistryXLSX(p, 20000, 1) }},
		{"shared", func(p string) error { return sheettest.WriteRegistryXLSXShared(p, 20000, 1) }},
	} {
		b.Run(shape.name, func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "r.xlsx")
			if err := shape.write(p); err != nil {
				b.Fatal(err)
			}
			zr, err := zip.OpenReader(p)
			if err != nil {
				b.Fatal(err)
			}
			defer zr.Close()
			var data []byte
			for _, f := range zr.File {
				if f.Name == "xl/worksheets/sheet1.xml" {
					rc, _ := f.Open()
					data, _ = io.ReadAll(rc)
					rc.Close()
				}
			}
			sst := make([]string, 200000)
			for i := range sst {
				sst[i] = "政务新媒体"
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				x := newXLSXReader("r.xlsx", "Sheet1", io.NopCloser(bytes.NewReader(data)), sst, nil, defaultLimits())
				n := 0
				for {
					if _, err := x.next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
					n++
				}
				if n != 20001 {
					b.Fatalf("%d rows", n)
				}
			}
		})
	}
}
