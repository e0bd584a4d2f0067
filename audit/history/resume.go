package history

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/store"
)

// FindResumable returns the run `check --resume [RUN]` continues: RUN (an id or a unique
// prefix), else the newest unfinished run. A finished run, an unknown id or no unfinished run
// at all is an *InputError — unless the database is damaged, which is what the user is told
// then: a damaged page can hide the very run they mean to resume.
func FindResumable(ctx context.Context, st *store.Store, id string) (*store.Run, error) {
	var r *store.Run
	var err error
	if id != "" {
		r, err = FindRun(ctx, st, id)
	} else if r, err = st.LatestUnfinished(ctx); errors.Is(err, store.ErrNotFound) {
		err = inputErrorf("--resume：%w", err)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		if damage := st.Check(ctx); damage != nil {
			return nil, damage
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if r.Finished {
		return nil, inputErrorf("--resume：运行 %s 已经完成；查看它：nmaudit show %s", r.ID, r.ID)
	}
	return r, nil
}

// Given are the parameters a user gave along with --resume; nil (or a nil func) means not
// given. Paths are compared as absolute paths.
type Given struct {
	Registry, Accounts, Observations, Findings *string
	Sheet                                      *string
	// At parses the given check time in the run's zone.
	At      func(loc *time.Location) (time.Time, error)
	AtText  string // the check time as given, for the message
	Window  *string
	Offline *bool
	Replay  *string
	Record  *string
}

// Check refuses a parameter that says something other than run r: the resumed run must decide
// its remaining accounts by the rules, and from the inputs, its first part used. Restating the
// run's own parameters is fine.
func (g Given) Check(r *store.Run) error {
	contradicts := func(flag, given, stored string) error {
		if stored == "" {
			stored = "（无）"
		}
		return inputErrorf("--resume：--%s %s 与运行 %s 不符（该运行使用 %s）；如需不同的参数，请开始新的检查", flag, given, r.ID, stored)
	}
	for _, f := range []struct {
		flag   string
		given  *string
		stored store.File
	}{
		{"registry", g.Registry, r.Registry}, {"accounts", g.Accounts, r.Targets},
		{"observations", g.Observations, r.Observations}, {"findings", g.Findings, r.Findings},
	} {
		if f.given == nil || (*f.given == "" && f.stored.Path == "") {
			continue
		}
		if *f.given == "" || absPath(*f.given) != f.stored.Path {
			return contradicts(f.flag, *f.given, f.stored.Path)
		}
	}
	if g.Sheet != nil && *g.Sheet != r.Sheet {
		return contradicts("sheet", *g.Sheet, r.Sheet)
	}
	if g.At != nil {
		at, err := g.At(r.Location())
		if err != nil {
			return err
		}
		if !at.Equal(r.CheckTime) {
			return contradicts("at", g.AtText, r.CheckTime.Format("2006-01-02 15:04:05"))
		}
	}
	if g.Window != nil {
		w, err := audit.ParseWindow(*g.Window)
		if err != nil {
			return inputErrorf("--window：%v", err)
		}
		if stored, _ := audit.ParseWindow(r.Window); w != stored {
			return contradicts("window", *g.Window, r.Window)
		}
	}
	if g.Offline != nil && *g.Offline != r.Offline {
		return contradicts("offline", strconv.FormatBool(*g.Offline), strconv.FormatBool(r.Offline))
	}
	if g.Replay != nil && absOrEmpty(*g.Replay) != r.Replay {
		return contradicts("replay", *g.Replay, r.Replay)
	}
	if g.Record != nil && absOrEmpty(*g.Record) != r.Record {
		return contradicts("record", *g.Record, r.Record)
	}
	return nil
}

// InputsOf are the inputs a resumed run reads again: the ones it recorded.
func InputsOf(r *store.Run, format string) Inputs {
	return Inputs{Registry: r.Registry.Path, Sheet: r.Sheet, Targets: r.Targets.Path,
		Observations: r.Observations.Path, Findings: r.Findings.Path, Offline: r.Offline,
		Replay: r.Replay, Record: r.Record, Format: format}
}

// RecheckTargetName names a recheck's target list in notices.
func RecheckTargetName(parentID string) string { return "复核(" + parentID + ")" }
