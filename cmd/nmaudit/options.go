package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/config"
)

// loadConfig builds the viper chain for cmd: config file, env, then the flags named in binds
// (config key → flag name) when the user set them.
func loadConfig(cmd *cobra.Command, binds map[string]string) (*config.Config, error) {
	v := config.New()
	for key, flag := range binds {
		if f := cmd.Flags().Lookup(flag); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return nil, err
			}
		}
	}
	file, _ := cmd.Flags().GetString("config")
	return config.Load(v, file)
}

// parseAt reads --at: RFC 3339, "2006-01-02 15:04[:05]" or "2006-01-02" (= 00:00 that day), in
// loc unless the value carries its own offset. Empty means now.
func parseAt(s string, loc *time.Location, now func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now().In(loc).Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf("--at %q: want RFC 3339, \"2006-01-02 15:04\" or \"2006-01-02\"", s)
}

// reportFlags are the output flags every reporting command shares.
type reportFlags struct {
	Format string
	Output string
}

func (r *reportFlags) register(fs *pflag.FlagSet, formats []string) {
	fs.StringVar(&r.Format, "format", "table", "report format: "+strings.Join(formats, ", "))
	fs.StringVarP(&r.Output, "output", "o", "", "write the report to FILE (required for xlsx)")
}

// validate checks the format before any work is done, so a typo costs nothing.
func (r *reportFlags) validate(formats []string) error {
	for _, f := range formats {
		if r.Format == f {
			if f == "xlsx" && r.Output == "" {
				return usageErrorf("--format xlsx needs -o FILE.xlsx")
			}
			return nil
		}
	}
	return usageErrorf("--format %q: want one of %s", r.Format, strings.Join(formats, ", "))
}

// write renders into -o (atomically: a temp file renamed into place, so a failed render never
// leaves half a report) or stdout.
func (r *reportFlags) write(out io.Writer, render func(io.Writer) error) error {
	if r.Output == "" {
		return render(out)
	}
	dir := filepath.Dir(r.Output)
	tmp, err := os.CreateTemp(dir, ".nmaudit-*"+filepath.Ext(r.Output))
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", r.Output, err)
	}
	defer os.Remove(tmp.Name())
	if err := render(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", r.Output, err)
	}
	if err := os.Rename(tmp.Name(), r.Output); err != nil {
		return fmt.Errorf("cannot write %s: %w", r.Output, err)
	}
	return nil
}

func reportOptions(cfg *config.Config) report.Options {
	return report.Options{RateDecimals: cfg.Report.RateDecimals, Location: cfg.Location}
}

func loadOptions(cfg *config.Config, sheetName string) audit.LoadOptions {
	if sheetName == "" {
		sheetName = cfg.Registry.Sheet
	}
	return audit.LoadOptions{Sheet: sheetName, Columns: cfg.Registry.Columns}
}
