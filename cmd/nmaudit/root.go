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
	return &streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())), Now: time.Now, Context: ctx}
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
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se), errors.As(err, &ce):
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
		fmt.Fprintln(s.Err, "nmaudit: interrupted; no report was written")
		return exitFail
	}
	fmt.Fprintln(s.Err, "nmaudit:", err)
	if !started {
		return exitUsage
	}
	return exitCode(err)
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "nmaudit",
		Short: "Audit government new-media accounts (政务新媒体) for the quarterly inspection",
		Long: `nmaudit reads the national registry export (全国政务新媒体信息报送系统), leaves out closed
accounts, fetches each account's latest post time from its platform, classifies every account
(合格 / 不合格 / 注销中 / 待核查) and prints the reports inspection offices file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "config file (default ./nmaudit.yaml, then $XDG_CONFIG_HOME/nmaudit/config.yaml)")
	root.PersistentFlags().String("db", "", "history database (default config store.path, then $XDG_DATA_HOME/nmaudit/nmaudit.db)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newCheckCmd(s), newReconcileCmd(s), newConfigCmd(s), newVersionCmd(s), newSampleCmd(s), newReportCmd(s))
	root.AddCommand(newRunsCmd(s), newShowCmd(s), newRecheckCmd(s), newDiffCmd(s), newLedgerCmd(s))
	// Unknown subcommands and bad arguments are usage errors too.
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	}
	return root
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print nmaudit's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(s.Out, "nmaudit", version)
			return err
		},
	}
}
