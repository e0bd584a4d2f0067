package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	path := ""
	if yaml != "" {
		path = filepath.Join(t.TempDir(), "nmaudit.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(t.TempDir()) // no ./nmaudit.yaml
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	return Load(New(), path)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Window != "14d" || c.PendingClosure != "exclude" || !c.CountReposts || c.Location.String() != "Asia/Shanghai" {
		t.Errorf("defaults: %+v", c)
	}
	w := c.Platforms.WeChat
	if c.Platforms.Weibo.Rate != 1 || c.Platforms.Tieba.Rate != 2 || w.Rate != 0.5 || w.Timeout != 15*time.Second || w.Retries != 3 || w.MaxPages != 10 {
		t.Errorf("platform defaults: weibo %+v tieba %+v wechat %+v", c.Platforms.Weibo.Limits, c.Platforms.Tieba.Limits, w.Limits)
	}
	if c.Platforms.Weibo.BaseURL != "https://m.weibo.cn" || c.Platforms.Tieba.BaseURL != "http://c.tieba.baidu.com" || w.MPBaseURL != "https://mp.weixin.qq.com" {
		t.Errorf("base URLs wrong")
	}
}

func TestTemplateLoadsToDefaults(t *testing.T) {
	c, err := load(t, Template)
	if err != nil {
		t.Fatalf("the template itself must load: %v", err)
	}
	if c.Platforms.WeChat.Rate != 0.5 || c.Report.RateDecimals != 1 || c.WarnAfter != "10d" {
		t.Errorf("template values: %+v", c)
	}
}

func TestFileThenEnv(t *testing.T) {
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_COOKIE", "SUB=from-env")
	t.Setenv("NMAUDIT_PLATFORMS_TIEBA_TIMEOUT", "30s")
	c, err := load(t, `
window: 10d
pending_closure: check
registry:
  columns: {name: [公众号名称]}
platforms:
  weibo: {rate: 0.2, cookie: "SUB=from-file"}
  wechat:
    apps:
      - {account: 汉中发布, app_id: wx1, app_secret: s3cret}
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Window != "10d" || c.PendingClosure != "check" || c.Platforms.Weibo.Rate != 0.2 {
		t.Errorf("file values: %+v", c)
	}
	if c.Platforms.Weibo.Cookie.Reveal() != "SUB=from-env" || c.Platforms.Tieba.Timeout != 30*time.Second {
		t.Errorf("env must override the file: cookie %q timeout %v", c.Platforms.Weibo.Cookie.Reveal(), c.Platforms.Tieba.Timeout)
	}
	if len(c.Platforms.WeChat.Apps) != 1 || c.Platforms.WeChat.Apps[0].AppSecret.Reveal() != "s3cret" || c.Registry.Columns["name"][0] != "公众号名称" {
		t.Errorf("nested values: %+v %+v", c.Platforms.WeChat.Apps, c.Registry.Columns)
	}
}

func TestInvalidConfig(t *testing.T) {
	cases := map[string]string{
		"window: fortnight\n":                    "window",
		"pending_closure: maybe\n":               "pending_closure",
		"timezone: Mars/Olympus\n":               "timezone",
		"registry: {columns: {nickname: [x]}}\n": "registry.columns.nickname",
		"platforms: {weibo: {rate: -1}}\n":       "platforms.weibo.rate",
		"platforms: {tieba: {max_pages: 0}}\n":   "platforms.tieba.max_pages",
		"window: [\n":                            "nmaudit.yaml",
	}
	for yaml, key := range cases {
		_, err := load(t, yaml)
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err = %v, want a config error naming %s", yaml, err, key)
		}
	}
	if _, err := Load(New(), filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing named file: %v", err)
	}
}

func TestWriteTemplateRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "nmaudit.yaml")
	if err := WriteTemplate(path, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteTemplate(path, false); err == nil {
		t.Errorf("overwrote without --force")
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("template mode %v, want 0600 (it will hold credentials)", info.Mode().Perm())
	}
}
