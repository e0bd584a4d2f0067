package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
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
	if c.Platforms.Weibo.BaseURL != "https://m.weibo.cn" || !strings.HasPrefix(c.Platforms.Tieba.BaseURL, "https://") || w.MPBaseURL != "https://mp.weixin.qq.com" {
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
	// Every value: the template is Default() written out, so loading it changes nothing.
	d, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	// (Printed rather than DeepEqual: "apps: []" decodes to an empty slice, the default is nil.)
	same := func(a, b any) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }
	if !same(c.Platforms, d.Platforms) || !same(c.Report, d.Report) || !same(c.Levels, d.Levels) ||
		!same(c.Registry, d.Registry) || c.Store != d.Store || c.Timezone != d.Timezone ||
		c.Window != d.Window || c.PendingClosure != d.PendingClosure || c.CountReposts != d.CountReposts ||
		c.Concurrency != d.Concurrency {
		t.Errorf("the template does not load to the defaults:\n%+v\n%+v", c.Platforms, d.Platforms)
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
		"window: fortnight\n":                       "nmaudit.yaml: window",
		"window: 0d\n":                              "不能为零",
		"window: 400d\n":                            "不能超过一年",
		"concurrency: 0\n":                          "nmaudit.yaml: concurrency",
		"concurrency: abc\n":                        "concurrency: abc 不是整数",
		"platforms: {wechat: {timeout: forever}}\n": "platforms.wechat.timeout: 值无法读取：应为时长",
		"platforms: 3\n":                            "platforms: 值无法读取：应为一组设置",
		"platforms: {weibo: {burst: 0}}\n":          "platforms.weibo.burst",
		"platforms: {wechat: {timeout: 0s}}\n":      "platforms.wechat.timeout",
		"registry: {statuses: {停更: 休眠}}\n":          "registry.statuses.停更",
		"registry: {statuses: {已注销: 正常运行}}\n":       "已是 nmaudit 认识的状态词",
		"pending_closure: maybe\n":                  "pending_closure",
		"timezone: Mars/Olympus\n":                  "timezone",
		"registry: {columns: {nickname: [x]}}\n":    "registry.columns.nickname",
		"platforms: {weibo: {rate: -1}}\n":          "platforms.weibo.rate",
		"platforms: {tieba: {max_pages: 0}}\n":      "platforms.tieba.max_pages",
		"window: [\n":                               "nmaudit.yaml",
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

// loadNamed writes yaml to ./nmaudit.yaml in a fresh working folder and loads it as the default
// config file, so messages name it as a user sees it.
func loadNamed(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	if err := os.WriteFile("nmaudit.yaml", []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(New(), "")
}

func TestUnknownKeysWarn(t *testing.T) {
	c, err := loadNamed(t, `
windw: 10d
Window: 14d
registry:
  columns: {name: [公众号名称]}
  statuses: {停更: 正常运行}
report:
  level_labels: {市级政府: 市政府}
platforms:
  weibo:
    cokie: SUB=x
    rate: 1
  wechat:
    apps:
      - {account: 汉中发布, app_id: wx1, app_secert: s}
  douyin: {rate: 1}
cookie: SUB=y
frobnicate: 1
platforms.tieba.rate: 0.5
platforms.tieba.rat: 1
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"nmaudit.yaml: 未知设置 windw（是否为 window？）",
		"nmaudit.yaml: 未知设置 platforms.weibo.cokie（是否为 platforms.weibo.cookie？）",
		"nmaudit.yaml: 未知设置 platforms.wechat.apps[0].app_secert（是否为 platforms.wechat.apps[0].app_secret？）",
		"nmaudit.yaml: 未知设置 platforms.douyin（已忽略）",
		"nmaudit.yaml: 未知设置 cookie（是否为 platforms.weibo.cookie？）",
		"nmaudit.yaml: 未知设置 frobnicate（已忽略）",
		"nmaudit.yaml: 未知设置 platforms.tieba.rat（是否为 platforms.tieba.rate？）",
	}
	if strings.Join(c.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(c.Warnings, "\n"), strings.Join(want, "\n"))
	}
	// Keys viper reads case-insensitively (Window), map entries and known keys are not warned about.
	// A dotted key is the nested one to viper, and so to the check.
	if c.Window != "14d" || c.Registry.Statuses["停更"] != "正常运行" || c.Report.LevelLabels["市级政府"] != "市政府" || c.Platforms.Tieba.Rate != 0.5 {
		t.Errorf("known keys not applied: %+v", c)
	}
}

func TestTemplateHasNoUnknownKeys(t *testing.T) {
	c, err := loadNamed(t, Template)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("the template warns about its own keys: %q", c.Warnings)
	}
	// Every setting nmaudit reads appears in the template (a key added to Config without a
	// line in the template would be a setting nobody finds).
	for _, k := range KnownKeys() {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(Template, leaf+":") {
			t.Errorf("template lacks %s", k)
		}
	}
}

func TestNewSettingsDefaults(t *testing.T) {
	c, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Platforms.Weibo.Visitor || c.Platforms.Weibo.VisitorBaseURL != "https://visitor.passport.weibo.cn" ||
		c.Platforms.WeChat.ArticleBaseURL != "https://mp.weixin.qq.com" || c.Store.URL != "" || c.Registry.Statuses != nil {
		t.Errorf("defaults: weibo %+v wechat article %q store %+v", c.Platforms.Weibo, c.Platforms.WeChat.ArticleBaseURL, c.Store)
	}
	if c.LevelResolver == nil {
		t.Errorf("no level resolver")
	}
	t.Setenv("NMAUDIT_STORE_URL", "postgres://u:p@db/nmaudit")
	t.Setenv("NMAUDIT_PLATFORMS_WEIBO_VISITOR", "false")
	t.Setenv("NMAUDIT_PLATFORMS_WECHAT_ARTICLE_BASE_URL", "http://127.0.0.1:9")
	c, err = load(t, "registry:\n  statuses: {' 停用 ': 已关停, 停更: 正常运行}\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.URL != "postgres://u:p@db/nmaudit" || c.Platforms.Weibo.Visitor || c.Platforms.WeChat.ArticleBaseURL != "http://127.0.0.1:9" {
		t.Errorf("env: store %q visitor %v article %q", c.Store.URL, c.Platforms.Weibo.Visitor, c.Platforms.WeChat.ArticleBaseURL)
	}
	if len(c.Registry.Statuses) != 2 || c.Registry.Statuses["停用"] != "已关停" {
		t.Errorf("statuses %q", c.Registry.Statuses)
	}
}

// TestBadValueNamesItsSource: a bad value is blamed on the flag, the environment variable or
// the file it came from (issue 11 item 6).
func TestBadValueNamesItsSource(t *testing.T) {
	flagLoad := func(t *testing.T, yaml string, args ...string) error {
		t.Helper()
		t.Chdir(t.TempDir())
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		if yaml != "" {
			os.WriteFile("nmaudit.yaml", []byte(yaml), 0o600)
		}
		fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
		fs.String("window", "14d", "")
		fs.Int("concurrency", 4, "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		l := NewLoader()
		for _, k := range []string{"window", "concurrency"} {
			if err := l.BindFlag(k, fs.Lookup(k)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := l.Load("")
		return err
	}
	cases := []struct {
		name, yaml, env string
		args            []string
		want            string
	}{
		{"flag", "window: 10d\n", "", []string{"--window", "3x"}, `--window: "3x" 不是有效的时长`},
		{"flag beats a good file", "concurrency: 2\n", "", []string{"--concurrency", "0"}, "--concurrency: 必须至少为 1"},
		{"flag without a file", "", "", []string{"--concurrency", "0"}, "--concurrency: 必须至少为 1"},
		{"env", "window: 10d\n", "3x", nil, `环境变量 NMAUDIT_WINDOW: "3x" 不是有效的时长`},
		{"file", "window: 3x\n", "", nil, `nmaudit.yaml: window: "3x" 不是有效的时长`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("NMAUDIT_WINDOW", c.env)
			}
			err := flagLoad(t, c.yaml, c.args...)
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("err = %v, want it to start %q", err, c.want)
			}
		})
	}
	// A good flag value over a bad file value is no error: the file's value is not used.
	if err := flagLoad(t, "window: 3x\n", "--window", "10d"); err != nil {
		t.Errorf("flag should override the bad file value: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{"windw": "window", "widnow": "window", "concurency": "concurrency",
		"pending-closure": "pending_closure", "timezon": "timezone", "xyz": ""} {
		if got := suggest("", key, settings()); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
	if d := editDistance("层级", "层级名"); d != 1 {
		t.Errorf("editDistance over runes = %d", d)
	}
}

func TestWriteTemplateIsAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nmaudit.yaml")
	// --force over a world-readable file: the result is 0600, not the old mode.
	os.WriteFile(path, []byte("window: 10d\n"), 0o644)
	if err := WriteTemplate(path, true); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("--force kept mode %v, want 0600", info.Mode().Perm())
	}
	if data, _ := os.ReadFile(path); string(data) != Template {
		t.Errorf("template not written")
	}
	// A symlink at the target is replaced, never followed.
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("keep me"), 0o644)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := WriteTemplate(link, false); err == nil {
		t.Errorf("an existing symlink was overwritten without --force")
	}
	if err := WriteTemplate(link, true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep me" {
		t.Errorf("WriteTemplate wrote through the symlink")
	}
	if info, _ := os.Lstat(link); info.Mode()&os.ModeSymlink != 0 || !info.Mode().IsRegular() {
		t.Errorf("the link should have become a regular file: %v", info.Mode())
	}
	// A dangling symlink counts as existing too.
	dangling := filepath.Join(dir, "dangling.yaml")
	os.Symlink(filepath.Join(dir, "nowhere", "x"), dangling)
	if err := WriteTemplate(dangling, false); err == nil {
		t.Errorf("wrote through a dangling symlink")
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Errorf("followed the dangling link and created its folder")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".nmaudit-config-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
