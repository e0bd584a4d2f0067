package main

import (
	"context"
	"strings"
	"testing"
)

func TestRunsListsNewestFirst(t *testing.T) {
	f := newHistFixture(t)
	if code, out, _ := histRun(t, context.Background(), "runs", "--format", "json"); code != 0 || out != "[]\n" {
		t.Errorf("empty store: exit %d %q", code, out)
	}
	if code, out, _ := histRun(t, context.Background(), "runs"); code != 0 || !strings.Contains(out, "无。") {
		t.Errorf("empty store table: %q", out)
	}
	first := f.check(t)
	second := f.check(t, "--window", "10d")
	rs := listRuns(t)
	if len(rs) != 2 || rs[0].ID != second || rs[1].ID != first {
		t.Fatalf("order: %+v", rs)
	}
	r := rs[0]
	if !r.Finished || r.Kind != "check" || r.ParentRunID != nil || r.CheckTime != "2022-08-22T00:00:00+08:00" || r.StartedAt != "2022-11-25T17:00:00+08:00" {
		t.Errorf("run %+v", r)
	}
	want := map[string]float64{"registry_rows": 11, "closed_excluded": 1, "in_scope": 10, "decided": 10, "pending_closure": 1,
		"qualified": 1, "unqualified": 6, "needs_review": 2, "unqualified_rate": 0.6}
	for k, v := range want {
		if r.RawSummary[k] != v {
			t.Errorf("summary.%s = %v, want %v", k, r.RawSummary[k], v)
		}
	}
	code, table, _ := histRun(t, context.Background(), "runs")
	if code != 0 || strings.Index(table, second) > strings.Index(table, first) || !strings.Contains(table, "已完成") {
		t.Errorf("table:\n%s", table)
	}
	if code, _, _ := histRun(t, context.Background(), "runs", "--format", "csv"); code != 2 {
		t.Errorf("runs --format csv: exit %d", code)
	}
}
