package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nmaudit/nmaudit/audit/report"
	"github.com/nmaudit/nmaudit/audit/sample"
	"github.com/nmaudit/nmaudit/audit/sheet"
	"github.com/nmaudit/nmaudit/config"
)

// Exit statuses (design.md): 0 the run finished, whatever the verdicts; 1 the run failed;
// 2 bad usage or bad input.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// streams are a command's I/O: stdout carries the report only, stderr progress and logs, so
// `nmaudit check --format json | jq` always works.
type streams struct {
	In            io.Reader
	Out           io.Writer
	Err           io.Writer
	ErrIsTerminal bool
	Now           func() time.Time
	// Signals is the context that Ctrl-C cancels; tests pass their own.
	Context context.Context
}

func defaultStreams() *streams {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var out io.Writer = os.Stdout
	if term.IsTerminal(int(os.Stdout.Fd())) {
		out = terminalOut{os.Stdout}
	}
	return &streams{In: os.Stdin, Out: out, Err: os.Stderr,
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())), Now: time.Now, Context: ctx}
}

// terminalOut is stdout when it is a terminal: it tells the table renderer how wide the
// terminal is (report.TerminalWidth), so long 原因 cells wrap inside their column instead of
// breaking the table. Redirected to a file or a pipe, stdout is the bare *os.File and rows stay
// on one line.
type terminalOut struct{ *os.File }

// TerminalWidth is the terminal's current width, 0 when it cannot be read.
func (t terminalOut) TerminalWidth() int {
	w, _, err := term.GetSize(int(t.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// usageError marks bad usage or bad input: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to the exit status contract.
func exitCode(err error) int {
	var ue *usageError
	var se *sheet.Error
	var ce *config.Error
	var pe *sample.PlanError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se), errors.As(err, &ce), errors.As(err, &pe):
		return exitUsage
	}
	return exitFail
}

// Main runs nmaudit with args and returns the exit status.
func Main(args []string, s *streams) int {
	cmd := newRootCmd(s)
	// Anything that fails before a command starts running (an unknown command, a missing or
	// extra argument) is bad usage.
	started := false
	cmd.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	cmd.SetArgs(args)
	cmd.SetIn(s.In)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.Err)
	err := cmd.ExecuteContext(s.Context)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(s.Err, "nmaudit: 已中断，未写出报告")
		return exitFail
	}
	// Errors quote file names and cells, which may hold escape sequences: SafeText.
	fmt.Fprintln(s.Err, "nmaudit:", report.SafeText(cobraMessage(err)))
	if !started {
		return exitUsage
	}
	return exitCode(err)
}

// printNotices prints notices on w, one "注意: …" line each, terminal-safe: a notice quotes
// registry cells (account names, unknown type labels), which must not reach the terminal as
// escape sequences. Every command prints its notices through this.
func printNotices(w io.Writer, notices []string) {
	for _, n := range notices {
		fmt.Fprintln(w, "注意:", report.SafeText(n))
	}
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "nmaudit",
		Short: "政务新媒体检查工具：按季度抽查和自查规则检查账号更新情况",
		Long: `nmaudit 读取全国政务新媒体信息报送系统的导出表，排除已注销账号，从各平台取得每个账号的最近
更新时间，按检查规则逐个认定（合格 / 不合格 / 注销中 / 待核查），输出检查报告、不合格名单和检查
情况报告。报告写到标准输出或 -o 指定的文件，进度和提示写到标准错误。

退出状态：0 运行完成（无论检查结果如何），1 运行失败，2 用法或输入有误。`,
		Version:       versionString(buildInfo()),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "配置文件 `FILE`（默认 ./nmaudit.yaml，其次 $XDG_CONFIG_HOME/nmaudit/config.yaml）")
	root.PersistentFlags().String("db", "", "检查记录数据库：SQLite 文件 `FILE`，或 postgres://用户:密码@主机/数据库（默认取配置 store.url，其次 store.path，再次 $XDG_DATA_HOME/nmaudit/nmaudit.db）")
	root.AddCommand(newCheckCmd(s), newReconcileCmd(s), newConfigCmd(s), newVersionCmd(s), newSampleCmd(s), newReportCmd(s))
	root.AddCommand(newRunsCmd(s), newShowCmd(s), newRecheckCmd(s), newDiffCmd(s), newLedgerCmd(s), newReviewCmd(s))
	root.AddCommand(newWorkerCmd(s))
	localizeCobra(root)
	return root
}

// cobraMessage is err's message, with cobra's and pflag's own English messages (an unknown
// flag, a missing argument) said in Chinese.
func cobraMessage(err error) string {
	return translateCobra(err.Error())
}
