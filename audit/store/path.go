package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// DefaultPath is where the history database lives when neither --db nor store.path names
// one: in the platform's per-user data folder, nmaudit/nmaudit.db —
//
//   - Linux and other Unix: $XDG_DATA_HOME, else ~/.local/share (the XDG base directory
//     specification);
//   - Windows: %LOCALAPPDATA% (…\AppData\Local: the data stays on this machine rather than
//     roaming with the profile);
//   - macOS: ~/Library/Application Support.
//
// An absolute $XDG_DATA_HOME is honoured on every system: whoever sets it asks for it.
func DefaultPath() (string, error) {
	return defaultPath(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// defaultPath is DefaultPath for the system goos, with the environment and home folder given
// (tests choose Windows' or macOS' answer on any machine).
func defaultPath(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	sep := "/"
	abs := func(p string) bool { return strings.HasPrefix(p, "/") }
	if goos == "windows" {
		sep = `\`
		abs = func(p string) bool {
			return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
		}
	}
	join := func(parts ...string) string {
		for i := range parts[:len(parts)-1] {
			parts[i] = strings.TrimRight(parts[i], `/\`)
		}
		return strings.Join(parts, sep)
	}
	if dir := getenv("XDG_DATA_HOME"); dir != "" && abs(dir) {
		return join(dir, "nmaudit", "nmaudit.db"), nil
	}
	switch goos {
	case "windows":
		if dir := getenv("LOCALAPPDATA"); dir != "" && abs(dir) {
			return join(dir, "nmaudit", "nmaudit.db"), nil
		}
		if dir := getenv("USERPROFILE"); dir != "" && abs(dir) {
			return join(dir, "AppData", "Local", "nmaudit", "nmaudit.db"), nil
		}
		return "", errors.New("历史数据库：找不到 %LOCALAPPDATA% 或 %USERPROFILE%，请用 --db 或配置 store.path 指定文件")
	case "darwin", "ios":
		h, err := home()
		if err != nil || h == "" {
			return "", fmt.Errorf("历史数据库：找不到主目录（%v），请用 --db 或配置 store.path 指定文件", err)
		}
		return join(h, "Library", "Application Support", "nmaudit", "nmaudit.db"), nil
	}
	h, err := home()
	if err != nil || h == "" {
		return "", fmt.Errorf("历史数据库：未设置 $XDG_DATA_HOME，也找不到主目录（%v），请用 --db 或配置 store.path 指定文件", err)
	}
	return join(h, ".local", "share", "nmaudit", "nmaudit.db"), nil
}
