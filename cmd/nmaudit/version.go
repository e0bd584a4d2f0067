package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is stamped at build time: make build passes -ldflags "-X main.version=$(git describe
// --tags --always --dirty)". A plain go build or go install leaves "dev", and the version
// printed is then the one the Go toolchain recorded in the build info, if any.
var version = "dev"

// buildInfo is the binary's build information (debug.ReadBuildInfo), nil when it has none.
func buildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// versionString is what nmaudit version and nmaudit --version print: the version, the source
// revision and its date (and whether the tree had uncommitted changes), and the Go version and
// platform the binary was built with — what a bug report needs to say which code ran.
//
//	nmaudit v0.4.0-3-g9278c5e-dirty
//	源码版本: 9278c5e1f2ab…（提交时间 2026-12-01T10:22:33Z，含未提交的修改）
//	Go 版本: go1.26.8 linux/amd64
func versionString(bi *debug.BuildInfo) string {
	return formatVersion(version, bi)
}

func formatVersion(stamped string, bi *debug.BuildInfo) string {
	v := stamped
	settings := map[string]string{}
	goVersion := ""
	if bi != nil {
		if (v == "" || v == "dev") && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		goVersion = bi.GoVersion
	}
	if v == "" {
		v = "dev"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "nmaudit %s\n", v)
	if rev := settings["vcs.revision"]; rev != "" {
		var notes []string
		if t := settings["vcs.time"]; t != "" {
			notes = append(notes, "提交时间 "+t)
		}
		if settings["vcs.modified"] == "true" {
			notes = append(notes, "含未提交的修改")
		}
		fmt.Fprintf(&b, "源码版本: %s", rev)
		if len(notes) > 0 {
			fmt.Fprintf(&b, "（%s）", strings.Join(notes, "，"))
		}
		b.WriteByte('\n')
	} else {
		b.WriteString("源码版本: 未记录（在源码目录中用 make build 构建可记录）\n")
	}
	if goVersion != "" {
		platform := strings.TrimSpace(settings["GOOS"] + "/" + settings["GOARCH"])
		if platform == "/" {
			platform = ""
		}
		fmt.Fprintf(&b, "Go 版本: %s", goVersion)
		if platform != "" {
			b.WriteString(" " + platform)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func newVersionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "显示版本、源码版本和构建所用的 Go 版本",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(s.Out, versionString(buildInfo()))
			return err
		},
	}
}
