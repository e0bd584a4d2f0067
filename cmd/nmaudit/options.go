package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/config"
)

// loadConfig builds the viper chain for cmd: config file, env, then the flags named in binds
// (config key → flag name) when the user set them. A bad value is blamed on where it came from
// (--window, NMAUDIT_WINDOW or nmaudit.yaml: window), and unknown keys in the file are warned
// about on stderr.
func loadConfig(cmd *cobra.Command, binds map[string]string) (*config.Config, error) {
	l := config.NewLoader()
	for key, flag := range binds {
		if f := cmd.Flags().Lookup(flag); f != nil {
			if err := l.BindFlag(key, f); err != nil {
				return nil, err
			}
		}
	}
	file, _ := cmd.Flags().GetString("config")
	cfg, err := l.Load(file)
	if err != nil {
		return nil, err
	}
	printNotices(cmd.ErrOrStderr(), cfg.Warnings)
	return cfg, nil
}

// maxClockSkew is how far a check time may lie ahead of this machine's clock: enough for two
// machines' clocks to disagree, not enough for a typo.
const maxClockSkew = 5 * time.Minute

// parseAt reads --at: RFC 3339, "2006-01-02 15:04[:05]" or "2006-01-02" (= 00:00 that day), in
// loc unless the value carries its own offset. Empty means now. A time later than now (beyond
// maxClockSkew) is refused: posts after the check time are ignored, so --at 2030-08-22 made
// almost every account 不合格 (issue "Hostile files", item 9).
func parseAt(s string, loc *time.Location, now func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now().In(loc).Truncate(time.Second), nil
	}
	t, ok := parseTimeValue(s, loc)
	if !ok {
		return time.Time{}, usageErrorf("--at %q: 应为 RFC 3339、“2006-01-02 15:04”或“2006-01-02”格式的时间", s)
	}
	if n := now(); t.After(n.Add(maxClockSkew)) {
		return time.Time{}, usageErrorf("--at %s: 监测时间点 %s 晚于当前时间 %s；监测时间点之后的更新不计入，未来的监测时间点会使几乎所有账号判为不合格",
			s, t.Format("2006-01-02 15:04"), n.In(loc).Format("2006-01-02 15:04"))
	}
	return t, nil
}

func parseTimeValue(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// reportFlags are the output flags every reporting command shares.
type reportFlags struct {
	Format string
	Output string
}

// register adds --format and -o. The -o help mentions xlsx only for commands that write it.
func (r *reportFlags) register(fs *pflag.FlagSet, formats []string) {
	fs.StringVar(&r.Format, "format", "table", "报告格式: "+strings.Join(formats, ", "))
	usage := "把报告写入文件 `FILE`（默认写到标准输出）"
	for _, f := range formats {
		if f == "xlsx" {
			usage = "把报告写入文件 `FILE`（默认写到标准输出；xlsx 格式必须指定）"
		}
	}
	fs.StringVarP(&r.Output, "output", "o", "", usage)
}

// validate checks the format before any work is done, so a typo costs nothing.
func (r *reportFlags) validate(formats []string) error {
	for _, f := range formats {
		if r.Format == f {
			if f == "xlsx" && r.Output == "" {
				return usageErrorf("--format xlsx 必须用 -o FILE.xlsx 指定输出文件")
			}
			return nil
		}
	}
	return usageErrorf("--format %q 无效：可用 %s", r.Format, strings.Join(formats, ", "))
}

// write renders the report into -o, or into out when there is none. Every failure — a render
// error, a full disk, a closed pipe — is returned, so a failed write fails the run.
func (r *reportFlags) write(out io.Writer, render func(io.Writer) error) error {
	if r.Output == "" {
		return render(out)
	}
	return writeReportFile(r.Output, render)
}

// writeReportFile writes a report to path.
//
// A regular file (or a path that does not exist yet) is written to a temporary file in the same
// folder and renamed onto path, so a failed render never leaves half a report where the old one
// was. A symbolic link is followed to its target, which is replaced the same way (the link
// stays a link). Anything else that exists — /dev/null, /dev/stdout, a FIFO a script reads
// from — is opened and written directly, never replaced: renaming onto a device node would
// have turned it into a regular file (issue "Hostile files", item 11).
//
// Reports are meant to be shared, so a new report file takes the usual mode under the user's
// umask (0644 under umask 022), not 0600; the history store and recordings stay private
// (their own code).
func writeReportFile(path string, render func(io.Writer) error) error {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	info, err := os.Stat(target)
	switch {
	case err == nil && info.IsDir():
		return usageErrorf("-o %s: 是一个文件夹，请给出文件名", path)
	case err == nil && !info.Mode().IsRegular():
		return writeDirect(path, target, render)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	dir := filepath.Dir(target)
	tmp, f, err := createTemp(dir, filepath.Ext(target))
	if err != nil {
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	defer os.Remove(tmp) // a no-op once renamed
	if err := render(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	return nil
}

// createTemp creates a new, empty file in dir with the creation mode 0666, so the umask
// decides its final mode as it would for any new file the user creates (os.CreateTemp always
// makes 0600).
func createTemp(dir, ext string) (string, *os.File, error) {
	for range 100 {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", nil, err
		}
		name := filepath.Join(dir, ".nmaudit-"+hex.EncodeToString(b[:])+ext)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, fs.ErrExist
}

// writeDirect writes into an existing special file (a device, a FIFO) without replacing it.
func writeDirect(path, target string, render func(io.Writer) error) error {
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	if err := render(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("无法写入 %s: %s", path, osErrorText(err))
	}
	return nil
}

// osErrorText says the usual file-system failures in Chinese, else the system's own words.
func osErrorText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "文件或文件夹不存在"
	case errors.Is(err, fs.ErrPermission):
		return "没有权限"
	case errors.Is(err, syscall.ENOSPC):
		return "磁盘空间不足"
	case errors.Is(err, syscall.EROFS):
		return "文件系统只读"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// reportOptions are the renderers' options from the config: rate decimals, time zone, and the
// one level function (levels.overrides, the registry's value, the owner-name inference).
func reportOptions(cfg *config.Config) report.Options {
	return report.Options{RateDecimals: cfg.Report.RateDecimals, Location: cfg.Location, Levels: cfg.LevelResolver}
}

func loadOptions(cfg *config.Config, sheetName string) audit.LoadOptions {
	if sheetName == "" {
		sheetName = cfg.Registry.Sheet
	}
	return audit.LoadOptions{Sheet: sheetName, Columns: cfg.Registry.Columns, Statuses: cfg.Registry.Statuses}
}
