//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputSpecialFilesAreWrittenNotReplaced: -o onto a FIFO (or a symlink to one, or a
// device) writes into it and leaves it what it was; renaming a temporary file onto it had
// turned /dev/null into a regular file (issue 10 item 11).
func TestOutputSpecialFilesAreWrittenNotReplaced(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	fifo := filepath.Join(dir, "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	link := filepath.Join(dir, "link-to-fifo.csv")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{fifo, link} {
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo) // blocks until the writer opens it
			if err != nil {
				got <- "open: " + err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- string(b)
		}()
		code, out, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22",
			"--format", "csv", "-o", target)
		if code != 0 || out != "" {
			t.Fatalf("-o %s: exit %d %s", target, code, errOut)
		}
		select {
		case body := <-got:
			if !strings.HasPrefix(body, "\ufeff账号名称") {
				t.Errorf("-o %s: the FIFO's reader got %.60q", target, body)
			}
		case <-time.After(20 * time.Second):
			// The report went elsewhere (the FIFO replaced by a regular file); the reader
			// stays blocked on the old FIFO until the test binary exits.
			t.Fatalf("-o %s: nothing was written into the FIFO", target)
		}
		if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("-o %s: the FIFO was replaced (%v)", target, info.Mode())
		}
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced")
	}
	if code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "-o", os.DevNull); code != 0 {
		t.Errorf("-o /dev/null: exit %d %s", code, errOut)
	}
	if info, _ := os.Stat(os.DevNull); info.Mode().IsRegular() {
		t.Fatalf("/dev/null became a regular file")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".nmaudit-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestOutputHonoursUmask: reports are meant to be shared — 0644 under umask 022, not the 0600
// of a temporary file — and a symlink to a regular file is kept, its target replaced.
func TestOutputHonoursUmask(t *testing.T) {
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	report := filepath.Join(dir, "report.csv")
	for range 2 { // new, then replacing an existing 0600 file
		code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "csv", "-o", report)
		if code != 0 {
			t.Fatalf("exit %d %s", code, errOut)
		}
		if info, _ := os.Stat(report); info.Mode().Perm() != 0o644 {
			t.Errorf("report mode %v, want 0644 under umask 022", info.Mode().Perm())
		}
		os.Chmod(report, 0o600)
	}
	syscall.Umask(0o077)
	private := filepath.Join(dir, "private.md")
	if code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "md", "-o", private); code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if info, _ := os.Stat(private); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 under umask 077", info.Mode().Perm())
	}
	syscall.Umask(0o022)
	link := filepath.Join(dir, "latest.csv")
	os.Symlink(report, link)
	if code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "csv", "-o", link); code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-o through a symlink replaced the link")
	}
}

// TestOutputWriteFailureFailsTheRun: a report that cannot be written is exit 1, never a
// silent success (/dev/full answers every write with ENOSPC).
func TestOutputWriteFailureFailsTheRun(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	xlsx, _, obs := seedDistrict(t, dir)
	code, _, errOut := run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "--format", "csv", "-o", "/dev/full")
	if code != 1 || !strings.Contains(errOut, "nmaudit:") {
		t.Errorf("-o /dev/full: exit %d %q", code, errOut)
	}
	code, _, errOut = run(t, "", "check", "--registry", xlsx, "--observations", obs, "--offline", "--at", "2022-08-22", "-o", filepath.Join(dir, "no", "such", "dir", "r.txt"))
	if code == 0 || !strings.Contains(errOut, "无法写入") {
		t.Errorf("-o into a missing folder: exit %d %q", code, errOut)
	}
}
