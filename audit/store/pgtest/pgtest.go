// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb into a temporary
// folder, one postgres server on a free local port with password (SCRAM) authentication, a
// fresh database per test, and everything removed when the cluster stops. It uses the
// server binaries of Debian's postgresql package (/usr/lib/postgresql/N/bin) or whatever
// initdb is on PATH (https://www.postgresql.org/docs/current/app-initdb.html).
//
// initdb and postgres refuse to run as root; run as root (a CI container), the cluster's
// folder is handed to the "postgres" user the package creates and both run as that user.
//
// Where no server binaries exist, Shared skips the test saying so — unless
// NMAUDIT_REQUIRE_POSTGRES is set (CI installs the package and sets it), when it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvRequire makes a missing or broken PostgreSQL a test failure instead of a skip.
const EnvRequire = "NMAUDIT_REQUIRE_POSTGRES"

// User is the cluster's superuser; its password is random per cluster, so URLs carry a real
// password that tests can look for in outputs.
const User = "nmaudit"

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	Dir      string // the cluster's folder (data/, the socket, the log)
	Port     int
	Password string
	Bin      string // the folder of initdb and postgres

	cred *syscall.Credential // run as this user (root only)
	mu   sync.Mutex
	proc *exec.Cmd
	done chan error
	n    int
}

// FindBin returns the folder of the PostgreSQL server binaries: initdb on PATH, else the newest
// /usr/lib/postgresql/N/bin.
func FindBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("未找到 PostgreSQL 服务器程序（initdb）：请安装 Debian 的 postgresql 包（apt-get install postgresql）")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start creates and starts a new cluster.
func Start() (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("以 root 运行时需要 postgres 用户来运行 initdb 和 postgres：%v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if c.Dir, err = os.MkdirTemp("", "nmaudit-pg-"); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			c.cleanup()
			return nil, err
		}
	}
	var b [12]byte
	rand.Read(b[:])
	c.Password = "pw-" + hex.EncodeToString(b[:])
	pwfile := filepath.Join(c.Dir, "pw")
	if err := os.WriteFile(pwfile, []byte(c.Password+"\n"), 0o600); err != nil {
		c.cleanup()
		return nil, err
	}
	if c.cred != nil {
		os.Chown(pwfile, int(c.cred.Uid), int(c.cred.Gid))
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", filepath.Join(c.Dir, "data"), "-U", User,
		"--pwfile="+pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		c.cleanup()
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	if c.Port, err = freePort(); err != nil {
		c.cleanup()
		return nil, err
	}
	if err := c.start(); err != nil {
		c.cleanup()
		return nil, err
	}
	return c, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs postgres in the cluster's folder and waits until it accepts connections. The
// server is this process's child with a parent-death signal, so a test binary that dies
// never leaves it running; the goroutine that starts it keeps its OS thread for the server's
// life, since Linux sends that signal when the starting thread ends.
func (c *Cluster) start() error {
	started := make(chan error, 1)
	done := make(chan error, 1)
	logf, err := os.OpenFile(filepath.Join(c.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		cmd := exec.Command(filepath.Join(c.Bin, "postgres"), "-D", filepath.Join(c.Dir, "data"),
			"-p", strconv.Itoa(c.Port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.Dir,
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300", "-c", "shared_buffers=64MB")
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.mu.Lock()
		c.proc, c.done = cmd, done
		c.mu.Unlock()
		started <- nil
		done <- cmd.Wait()
		logf.Close()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case werr := <-done:
			log, _ := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
			return fmt.Errorf("postgres exited (%v):\n%s", werr, log)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the postgres:// URL of database db on the cluster, password included.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", User, c.Password, c.Port, db)
}

// NewDatabase creates an empty database and returns its URL.
func (c *Cluster) NewDatabase() (string, error) {
	c.mu.Lock()
	c.n++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// Stop shuts the server down (fast shutdown: sessions are disconnected) and waits for it.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	proc, done := c.proc, c.done
	c.proc = nil
	c.mu.Unlock()
	if proc == nil {
		return nil
	}
	proc.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		proc.Process.Kill()
		<-done
	}
	return nil
}

// Restart stops the server and starts it again on the same folder and port: every session is
// cut off, as when the database machine reboots.
func (c *Cluster) Restart(down time.Duration) error {
	if err := c.Stop(); err != nil {
		return err
	}
	time.Sleep(down)
	return c.start()
}

// Close stops the server and removes the cluster's folder.
func (c *Cluster) Close() {
	c.Stop()
	c.cleanup()
}

func (c *Cluster) cleanup() {
	if c.Dir != "" {
		os.RemoveAll(c.Dir)
	}
}

// PID is the server's (postmaster's) process id, 0 when it is not running: its CPU time, with
// its finished sessions' (reaped children), is what the database spent.
func (c *Cluster) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil || c.proc.Process == nil {
		return 0
	}
	return c.proc.Process.Pid
}

// Log is the server's log so far (for a failing test's message).
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
	return string(b)
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Shared returns the test binary's one cluster, starting it on first use (initdb costs a
// second or two; every test then makes its own database in it). A test where PostgreSQL is
// not installed is skipped with the reason, or fails under NMAUDIT_REQUIRE_POSTGRES.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("PostgreSQL 测试无法运行（已设置 %s）：%v", EnvRequire, sharedErr)
		}
		t.Skipf("跳过 PostgreSQL 测试：%v", sharedErr)
	}
	return shared
}

// Database is a fresh database on the shared cluster, for one test.
func Database(t testing.TB) string {
	t.Helper()
	c := Shared(t)
	u, err := c.NewDatabase()
	if err != nil {
		t.Fatalf("CREATE DATABASE: %v\n%s", err, tail(c.Log()))
	}
	return u
}

// StopShared stops and removes the shared cluster, if one was started (call it from TestMain).
func StopShared() {
	if shared != nil {
		shared.Close()
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
