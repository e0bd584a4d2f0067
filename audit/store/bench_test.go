package store

import (
	"testing"
	"time"

	"github.com/nmaudit/nmaudit/audit"
)

// BenchmarkSaveVerdict is the store's throughput as a check gets it: verdicts handed to a
// Writer with the default bounds, everything committed (Close) inside the timed part, on a
// real file. µs/verdict is wall time (issue 12 asks for ≤ 15), cpu-µs/verdict the CPU the
// whole process spent, which a busy shared machine disturbs less. "each" is SaveVerdict, one
// transaction per verdict, as the store wrote before batching.
func BenchmarkSaveVerdict(b *testing.B) {
	vs := []audit.Verdict{verdict(0, audit.Qualified), verdict(1, audit.Unqualified), verdict(2, audit.NeedsReview), verdict(3, audit.Qualified)}
	now := time.Now()
	setup := func(b *testing.B) (*Store, *Run) {
		s := open(b, testEngines[0].fresh(b), Options{})
		r := newRun(b, s)
		return s, r
	}
	b.Run("writer", func(b *testing.B) {
		s, r := setup(b)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		w, err := s.NewWriter(ctx, r.ID, WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if err := w.Save(i, vs[i%len(vs)], now); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		report(b, cpu)
	})
	b.Run("each", func(b *testing.B) {
		s, r := setup(b)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for i := 0; i < b.N; i++ {
			if err := s.SaveVerdict(ctx, r.ID, i, vs[i%len(vs)], now); err != nil {
				b.Fatal(err)
			}
		}
		report(b, cpu)
	})
}

func report(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "µs/verdict")
	if cpu := processCPU(); cpu0 > 0 {
		b.ReportMetric(float64((cpu-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/verdict")
	}
}
