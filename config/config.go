// Package config loads nmaudit's settings with viper — the config file, then NMAUDIT_… environment
// variables (key dots become underscores), then command-line flags — into typed structs, fills
// the defaults design.md gives, and validates them. It always uses its own viper.New(), never the
// global instance, so tests and commands cannot leak settings into each other.
//
// Two things viper does not do are done here because office users trip over them: a key in the
// file that is not a setting (a typo such as windw or cokie) is reported with the nearest known
// key instead of being ignored, and a bad value is blamed on where it came from — the flag
// (--window), the environment variable (NMAUDIT_WINDOW) or the file (nmaudit.yaml: window) —
// rather than always on the file.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

// Config is the whole configuration (design.md, "Config").
type Config struct {
	Timezone       string    `mapstructure:"timezone"`
	Window         string    `mapstructure:"window"`
	PendingClosure string    `mapstructure:"pending_closure"`
	CountReposts   bool      `mapstructure:"count_reposts"`
	WarnAfter      string    `mapstructure:"warn_after"`
	Concurrency    int       `mapstructure:"concurrency"`
	Registry       Registry  `mapstructure:"registry"`
	Report         Report    `mapstructure:"report"`
	Levels         Levels    `mapstructure:"levels"`
	Store          Store     `mapstructure:"store"`
	Platforms      Platforms `mapstructure:"platforms"`

	File     string         `mapstructure:"-"` // the config file read, "" when none
	Location *time.Location `mapstructure:"-"`
	// LevelResolver is the one level function of every report and of the sample (design.md:
	// levels from the registry value, the owner name and levels.overrides), built once from
	// Levels.Overrides when the config is validated.
	LevelResolver *audit.LevelResolver `mapstructure:"-"`
	// Warnings are things the user should hear about but that do not stop a run: keys of the
	// file that are not settings. Commands print each on stderr as "注意: …".
	Warnings []string `mapstructure:"-"`

	origin func(key string) origin // where a key's value came from; nil for Default()
}

// Registry configures input reading.
type Registry struct {
	Columns audit.Columns `mapstructure:"columns"` // extra header aliases per field
	Sheet   string        `mapstructure:"sheet"`
	// Statuses maps status words a registry uses that nmaudit does not know (停更, 停用) onto
	// known ones (正常运行, 已关停): registry.statuses, the status counterpart of
	// registry.columns. Every target is a word audit.ParseStatus knows (checked at load), so the
	// loader only ever sees a known word; keys are compared as written after trimming.
	Statuses map[string]string `mapstructure:"statuses"`
}

// Report configures rendering.
type Report struct {
	RateDecimals int               `mapstructure:"rate_decimals"`
	LevelLabels  map[string]string `mapstructure:"level_labels"`
}

// Levels configures how an account's level stratum is decided when the registry has no level
// column (audit.LevelResolver): Overrides maps an exact owner name (开设主体) to its level, for
// units the owner-name inference gets wrong.
type Levels struct {
	Overrides map[string]string `mapstructure:"overrides"`
}

// Store configures the history database: Path is a SQLite file, URL a postgres:// URL for
// province-scale runs (design.md; env NMAUDIT_STORE_URL). URL is a credential-bearing value
// (user:pass@host) and must be redacted wherever it could be printed.
type Store struct {
	Path string `mapstructure:"path"`
	URL  string `mapstructure:"url"`
}

// Platforms holds each adapter's own typed config.
type Platforms struct {
	Weibo  weibo.Config  `mapstructure:"weibo"`
	Tieba  tieba.Config  `mapstructure:"tieba"`
	WeChat wechat.Config `mapstructure:"wechat"`
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Timezone:       "Asia/Shanghai",
		Window:         "14d",
		PendingClosure: string(audit.PendingExclude),
		CountReposts:   true,
		WarnAfter:      "10d",
		Concurrency:    4,
		Report:         Report{RateDecimals: 1},
		Platforms: Platforms{
			Weibo:  weibo.DefaultConfig(),
			Tieba:  tieba.DefaultConfig(),
			WeChat: wechat.DefaultConfig(),
		},
	}
}

// EnvPrefix is the prefix of environment overrides: NMAUDIT_PLATFORMS_WEIBO_COOKIE.
const EnvPrefix = "NMAUDIT"

// EnvName is the environment variable that overrides key: platforms.weibo.cookie →
// NMAUDIT_PLATFORMS_WEIBO_COOKIE.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Error is a configuration problem: the key, what is wrong, and where the bad value came from
// — a flag, an environment variable or the file — so the user fixes the right place. Commands
// treat it as bad input (exit 2).
type Error struct {
	File string // the config file, when the value came from it (or the file itself is bad)
	Key  string // the setting, e.g. platforms.weibo.rate
	Flag string // "--window" when the value came from that flag
	Env  string // "NMAUDIT_WINDOW" when the value came from that variable
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Flag != "":
		return e.Flag + ": " + e.Msg
	case e.Env != "":
		return "环境变量 " + e.Env + ": " + e.Msg
	case e.File != "" && e.Key != "":
		return e.File + ": " + e.Key + ": " + e.Msg
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Key != "":
		return "设置 " + e.Key + ": " + e.Msg
	}
	return "配置: " + e.Msg
}

// Errorf is an Error about key, blamed on the source its value came from in this config (flag,
// environment or file). Code outside this package that finds a setting unusable — an adapter
// refusing a base URL — reports it through this, so the message names the right place.
func (c *Config) Errorf(key, format string, args ...any) error {
	e := &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	o := origin{kind: fromFile}
	if c.origin != nil {
		o = c.origin(key)
	}
	switch o.kind {
	case fromFlag:
		e.Flag = "--" + o.name
	case fromEnv:
		e.Env = o.name
	case fromFile:
		e.File = c.File
	}
	return e
}

// DefaultPaths are where Load looks when no file is named: ./nmaudit.yaml, then
// $XDG_CONFIG_HOME/nmaudit/config.yaml (~/.config when XDG_CONFIG_HOME is unset).
func DefaultPaths() []string {
	paths := []string{"nmaudit.yaml"}
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		if home, err := os.UserHomeDir(); err == nil {
			xdg = filepath.Join(home, ".config")
		}
	}
	if xdg != "" {
		paths = append(paths, filepath.Join(xdg, "nmaudit", "config.yaml"))
	}
	return paths
}

// New returns a viper instance with every key's default set (AutomaticEnv only sees keys it
// knows) and environment overrides enabled.
func New() *viper.Viper {
	v := viper.New()
	setDefaults(v, "", reflect.ValueOf(Default()))
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	return v
}

// Loader reads the configuration of one command: a viper chain (New) and the flags bound to
// config keys, remembered so that a bad value given on the command line is blamed on its flag.
type Loader struct {
	v     *viper.Viper
	flags map[string]*pflag.Flag // config key → the flag bound to it
}

// NewLoader returns a Loader over New().
func NewLoader() *Loader { return &Loader{v: New(), flags: map[string]*pflag.Flag{}} }

// BindFlag makes flag f override key when the user sets it.
func (l *Loader) BindFlag(key string, f *pflag.Flag) error {
	if err := l.v.BindPFlag(key, f); err != nil {
		return err
	}
	l.flags[key] = f
	return nil
}

// Load reads file (or the first of DefaultPaths that exists when file is ""), merges env and
// bound flags, and validates. A named file that does not exist is an error; missing default
// files are not.
func Load(v *viper.Viper, file string) (*Config, error) {
	return (&Loader{v: v}).Load(file)
}

// Load reads the configuration; see the package function Load.
func (l *Loader) Load(file string) (*Config, error) {
	v := l.v
	v.SetConfigType("yaml")
	if file != "" {
		info, err := os.Stat(file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, &Error{File: file, Msg: "配置文件不存在"}
		case err != nil:
			return nil, &Error{File: file, Msg: "无法读取配置文件: " + errors.Unwrap(err).Error()}
		case info.IsDir():
			return nil, &Error{File: file, Msg: "是一个文件夹，不是配置文件"}
		}
	} else {
		for _, p := range DefaultPaths() {
			if info, err := os.Stat(p); err == nil && !info.IsDir() {
				file = p
				break
			}
		}
	}
	var inFile map[string]bool
	var warnings []string
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, &Error{File: file, Msg: "无法读取配置文件: " + errors.Unwrap(err).Error()}
		}
		if inFile, warnings, err = scanFile(file, data); err != nil {
			return nil, err
		}
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, &Error{File: file, Msg: "不是有效的 YAML: " + err.Error()}
		}
	}
	cfg := Default()
	cfg.File = file
	cfg.Warnings = warnings
	cfg.origin = func(key string) origin { return l.originOf(key, inFile) }
	hook := mapstructure.ComposeDecodeHookFunc(mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","))
	if err := v.Unmarshal(&cfg, viper.DecodeHook(hook), func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = false }); err != nil {
		return nil, cfg.decodeError(err)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// origin is where a key's value came from, in viper's precedence: flag, env, file, default.
type origin struct {
	kind originKind
	name string // the flag name or the environment variable
}

type originKind int

const (
	fromDefault originKind = iota
	fromFile
	fromEnv
	fromFlag
)

// originOf decides where key's value came from. A key that is a section (platforms.weibo) is
// blamed on the strongest source that set anything inside it.
//
// The environment is read as viper reads it (a variable set but empty does not count).
func (l *Loader) originOf(key string, inFile map[string]bool) origin {
	key = strings.ToLower(key)
	within := func(k string) bool { return k == key || strings.HasPrefix(k, key+".") }
	var flagKeys []string
	for k := range l.flags {
		flagKeys = append(flagKeys, k)
	}
	slices.Sort(flagKeys)
	for _, k := range flagKeys {
		if f := l.flags[k]; within(k) && f.Changed {
			return origin{kind: fromFlag, name: f.Name}
		}
	}
	for _, k := range knownKeys() {
		if !within(k) && !strings.HasPrefix(key, k+".") { // a map entry: registry.columns.name
			continue
		}
		if val, ok := os.LookupEnv(EnvName(k)); ok && val != "" {
			return origin{kind: fromEnv, name: EnvName(k)}
		}
	}
	if inFile[key] {
		return origin{kind: fromFile}
	}
	for k := range inFile {
		if within(k) {
			return origin{kind: fromFile}
		}
	}
	return origin{kind: fromDefault}
}

// decodeError turns viper's decoding failure (a number where text is wanted, "abc" for
// concurrency) into an Error naming the key and its source.
func (c *Config) decodeError(err error) error {
	var de *mapstructure.DecodeError
	if !errors.As(err, &de) {
		return &Error{File: c.File, Msg: err.Error()}
	}
	key := strings.ToLower(de.Name())
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	switch t := typeOf(key); {
	case errors.As(err, &pe):
		return c.Errorf(key, "%v 不是%s", pe.Value, kindWord(pe.Expected.Type()))
	case errors.As(err, &ue):
		return c.Errorf(key, "应为%s", kindWord(ue.Expected.Type()))
	case t != nil:
		return c.Errorf(key, "值无法读取：应为%s", kindWord(t))
	}
	return c.Errorf(key, "值无法读取")
}

// kindWord names a Go type the way the template's comments describe values.
func kindWord(t reflect.Type) string {
	if t == reflect.TypeOf(time.Duration(0)) {
		return "时长（如 15s、1m）"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "整数"
	case reflect.Float64, reflect.Float32:
		return "数字"
	case reflect.Bool:
		return "true 或 false"
	case reflect.String:
		return "文字"
	case reflect.Map, reflect.Struct:
		return "一组设置（键: 值）"
	case reflect.Slice:
		return "列表"
	}
	return t.String()
}

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error { return c.Errorf(key, format, args...) }
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" || strings.EqualFold(c.Timezone, "local") {
		return bad("timezone", "未知时区 %q（如 Asia/Shanghai）", c.Timezone)
	}
	c.Location = loc
	if _, err := audit.ParseWindow(c.Window); err != nil {
		return bad("window", "%v", err)
	}
	if _, err := audit.ParseWindow(c.WarnAfter); err != nil {
		return bad("warn_after", "%v", err)
	}
	if _, err := audit.ParsePendingPolicy(c.PendingClosure); err != nil {
		return bad("pending_closure", "应为 exclude 或 check，而不是 %q", c.PendingClosure)
	}
	if c.Concurrency < 1 {
		return bad("concurrency", "必须至少为 1，而不是 %d", c.Concurrency)
	}
	if c.Report.RateDecimals < 0 || c.Report.RateDecimals > 4 {
		return bad("report.rate_decimals", "应为 0 到 4，而不是 %d", c.Report.RateDecimals)
	}
	lr, err := audit.NewLevelResolver(c.Levels.Overrides)
	if err != nil {
		return bad("levels.overrides", "%v", err)
	}
	c.LevelResolver = lr
	for _, l := range sortedKeys(c.Report.LevelLabels) {
		if _, ok := audit.CanonicalLevel(l); !ok {
			return bad("report.level_labels."+l, "不是抽查层级（可用: %s）", strings.Join(audit.CanonicalLevels, "、"))
		}
	}
	for _, field := range sortedKeys(c.Registry.Columns) {
		if !slices.Contains(columnFields, audit.Field(field)) {
			names := make([]string, len(columnFields))
			for i, f := range columnFields {
				names[i] = string(f)
			}
			return bad("registry.columns."+field, "未知字段（可用: %s）", strings.Join(names, ", "))
		}
	}
	if err := c.validateStatuses(); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		l    platforms.Limits
	}{
		{"weibo", c.Platforms.Weibo.Limits}, {"tieba", c.Platforms.Tieba.Limits}, {"wechat", c.Platforms.WeChat.Limits},
	} {
		key := "platforms." + p.name + "."
		switch l := p.l; {
		case l.Rate < 0:
			return bad(key+"rate", "不能为负数")
		case l.Burst < 1:
			// A limiter with burst 0 refuses every request: each account would end 待核查.
			return bad(key+"burst", "必须至少为 1")
		case l.Retries < 0 || l.Retries > 20:
			return bad(key+"retries", "应为 0 到 20")
		case l.MaxPages < 1:
			return bad(key+"max_pages", "必须至少为 1")
		case l.Timeout <= 0:
			return bad(key+"timeout", "必须大于 0（如 15s）")
		case l.Backoff < 0:
			return bad(key+"backoff", "不能为负数")
		}
	}
	return nil
}

// columnFields are the fields registry.columns may add aliases for.
var columnFields = []audit.Field{audit.FieldName, audit.FieldType, audit.FieldOwner, audit.FieldSupervisor,
	audit.FieldRegion, audit.FieldLevel, audit.FieldAccountID, audit.FieldStatus, audit.FieldLatest,
	audit.FieldNote, audit.FieldProblem, audit.FieldVeto}

// validateStatuses checks registry.statuses: each target must be a status word nmaudit knows,
// and a word nmaudit already knows may not be moved to another class (停用: 已关停 is a mapping;
// 已注销: 正常运行 would quietly put closed accounts back in scope).
func (c *Config) validateStatuses() error {
	clean := make(map[string]string, len(c.Registry.Statuses))
	for _, word := range sortedKeys(c.Registry.Statuses) {
		target := strings.TrimSpace(c.Registry.Statuses[word])
		key := "registry.statuses." + word
		w := strings.TrimSpace(word)
		if w == "" {
			return c.Errorf("registry.statuses", "状态词不能为空")
		}
		to, ok := audit.ParseStatus(target)
		if !ok {
			return c.Errorf(key, "%q 不是已知的运行状态（可用: 正常运行、运行中、注销中、正在申请办理注销、已注销、已关停等）", target)
		}
		if from, known := audit.ParseStatus(w); known && from != to {
			return c.Errorf(key, "%s 已是 nmaudit 认识的状态词，不能改作 %s", w, target)
		}
		clean[w] = target
	}
	if len(clean) > 0 {
		c.Registry.Statuses = clean
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first bad entry reported is the same every run
	return keys
}

// setDefaults registers every leaf key of val (following mapstructure tags, squashed embedded
// structs included) as a viper default, so env overrides work for all of them.
func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, squash, skip := fieldKey(f)
		if skip {
			continue
		}
		fv := val.Field(i)
		if squash {
			setDefaults(v, prefix, fv)
			continue
		}
		key := join(prefix, name)
		if isSection(f.Type) {
			setDefaults(v, key, fv)
			continue
		}
		if fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Func {
			continue
		}
		v.SetDefault(key, fv.Interface())
	}
}

// fieldKey reads a struct field's mapstructure tag: its key, whether it is squashed into its
// parent, and whether it is no setting at all.
func fieldKey(f reflect.StructField) (name string, squash, skip bool) {
	tag := f.Tag.Get("mapstructure")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return "", false, true
	}
	if strings.Contains(opts, "squash") {
		return "", true, false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false, false
}

// isSection reports whether a field's type is a group of settings rather than one value.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{})
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
