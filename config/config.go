// Package config loads nmaudit's settings with viper — the config file, then NMAUDIT_… environment
// variables (key dots become underscores), then command-line flags — into typed structs, fills
// the defaults design.md gives, and validates them. It always uses its own viper.New(), never the
// global instance, so tests and commands cannot leak settings into each other.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/nmaudit/nmaudit/audit"
	"github.com/nmaudit/nmaudit/platforms/tieba"
	"github.com/nmaudit/nmaudit/platforms/wechat"
	"github.com/nmaudit/nmaudit/platforms/weibo"
)

// Config is the whole configuration (design.md, "Config").
type Config struct {
	Timezone       string         `mapstructure:"timezone"`
	Window         string         `mapstructure:"window"`
	PendingClosure string         `mapstructure:"pending_closure"`
	CountReposts   bool           `mapstructure:"count_reposts"`
	WarnAfter      string         `mapstructure:"warn_after"`
	Concurrency    int            `mapstructure:"concurrency"`
	Registry       Registry       `mapstructure:"registry"`
	Report         Report         `mapstructure:"report"`
	Levels         Levels         `mapstructure:"levels"`
	Store          Store          `mapstructure:"store"`
	Platforms      Platforms      `mapstructure:"platforms"`
	File           string         `mapstructure:"-"` // the config file read, "" when none
	Location       *time.Location `mapstructure:"-"`
}

// Registry configures input reading.
type Registry struct {
	Columns audit.Columns `mapstructure:"columns"` // extra header aliases per field
	Sheet   string        `mapstructure:"sheet"`
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

// Store configures the history database.
type Store struct {
	Path string `mapstructure:"path"`
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

// Error is a configuration problem: the file (if any), the key and what is wrong. Commands
// treat it as bad input (exit 2).
type Error struct {
	File string
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	where := "config"
	if e.File != "" {
		where = e.File
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", where, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", where, e.Msg)
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
// knows) and environment overrides enabled. Commands bind their flags to it, then call Load.
func New() *viper.Viper {
	v := viper.New()
	setDefaults(v, "", reflect.ValueOf(Default()))
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	return v
}

// Load reads file (or the first of DefaultPaths that exists when file is ""), merges env and
// bound flags, and validates. A named file that does not exist is an error; missing default
// files are not.
func Load(v *viper.Viper, file string) (*Config, error) {
	v.SetConfigType("yaml")
	if file != "" {
		if _, err := os.Stat(file); err != nil {
			return nil, &Error{File: file, Msg: "cannot read config file: " + errors.Unwrap(err).Error()}
		}
	} else {
		for _, p := range DefaultPaths() {
			if _, err := os.Stat(p); err == nil {
				file = p
				break
			}
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, &Error{File: file, Msg: err.Error()}
		}
	}
	cfg := Default()
	hook := mapstructure.ComposeDecodeHookFunc(mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(","))
	if err := v.Unmarshal(&cfg, viper.DecodeHook(hook), func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = false }); err != nil {
		return nil, &Error{File: file, Msg: err.Error()}
	}
	cfg.File = file
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error {
		return &Error{File: c.File, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return bad("timezone", "unknown time zone %q", c.Timezone)
	}
	c.Location = loc
	if _, err := audit.ParseWindow(c.Window); err != nil {
		return bad("window", "%v", err)
	}
	if _, err := audit.ParseWindow(c.WarnAfter); err != nil {
		return bad("warn_after", "%v", err)
	}
	if _, err := audit.ParsePendingPolicy(c.PendingClosure); err != nil {
		return bad("pending_closure", "want exclude or check, not %q", c.PendingClosure)
	}
	if c.Concurrency < 1 {
		return bad("concurrency", "must be at least 1")
	}
	if c.Report.RateDecimals < 0 || c.Report.RateDecimals > 4 {
		return bad("report.rate_decimals", "must be 0 to 4")
	}
	if _, err := audit.NewLevelResolver(c.Levels.Overrides); err != nil {
		return bad("levels.overrides", "%v", err)
	}
	for l := range c.Report.LevelLabels {
		if _, ok := audit.CanonicalLevel(l); !ok {
			return bad("report.level_labels."+l, "not a level (known: %s)", strings.Join(audit.CanonicalLevels, ", "))
		}
	}
	for field := range c.Registry.Columns {
		switch audit.Field(field) {
		case audit.FieldName, audit.FieldType, audit.FieldOwner, audit.FieldSupervisor, audit.FieldRegion,
			audit.FieldLevel, audit.FieldAccountID, audit.FieldStatus, audit.FieldLatest, audit.FieldNote,
			audit.FieldProblem, audit.FieldVeto:
		default:
			return bad("registry.columns."+field, "unknown field (known: name, type, owner, supervisor, region, level, account_id, status, latest, note, problem, veto)")
		}
	}
	for name, l := range map[string]struct {
		rate           float64
		retries, pages int
	}{
		"weibo":  {c.Platforms.Weibo.Rate, c.Platforms.Weibo.Retries, c.Platforms.Weibo.MaxPages},
		"tieba":  {c.Platforms.Tieba.Rate, c.Platforms.Tieba.Retries, c.Platforms.Tieba.MaxPages},
		"wechat": {c.Platforms.WeChat.Rate, c.Platforms.WeChat.Retries, c.Platforms.WeChat.MaxPages},
	} {
		if l.rate < 0 {
			return bad("platforms."+name+".rate", "must not be negative")
		}
		if l.retries < 0 || l.retries > 20 {
			return bad("platforms."+name+".retries", "must be 0 to 20")
		}
		if l.pages < 1 {
			return bad("platforms."+name+".max_pages", "must be at least 1")
		}
	}
	return nil
}

// setDefaults registers every leaf key of val (following mapstructure tags, squashed embedded
// structs included) as a viper default, so env overrides work for all of them.
func setDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fv := val.Field(i)
		if strings.Contains(opts, "squash") {
			setDefaults(v, prefix, fv)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			setDefaults(v, key, fv)
			continue
		}
		if fv.Kind() == reflect.Pointer {
			continue
		}
		v.SetDefault(key, fv.Interface())
	}
}
