package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Chinese help. Every user reads Chinese (issue 11 item 9), so cobra's own texts — the usage
// headings, the help and completion commands, the -h and --version flags, its error messages —
// are said in Chinese too, while command and flag names stay as they are (users script
// against them). The usage function is set on the root command and cobra hands it down to
// every subcommand, so a command added later is in Chinese without doing anything; its own
// Short, Long and flag texts are its author's to write.

// usageTemplate is cobra's default usage template with Chinese headings, and flags printed by
// flagUsages (pflag's own printer says "(default …)").
const usageTemplate = `用法:{{if .Runnable}}
  {{useLine .}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [命令]{{end}}{{if gt (len .Aliases) 0}}

别名:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

示例:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

命令:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

选项:
{{flagUsages .LocalFlags}}{{end}}{{if .HasAvailableInheritedFlags}}

全局选项:
{{flagUsages .InheritedFlags}}{{end}}{{if .HasHelpSubCommands}}

其他帮助主题:{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

运行 "{{.CommandPath}} [命令] --help" 查看各命令的说明。{{end}}
`

var usageTmpl = template.Must(template.New("usage").Funcs(template.FuncMap{
	"rpad":       func(s string, n int) string { return fmt.Sprintf("%-*s", n, s) },
	"flagUsages": flagUsages,
	// cobra appends " [flags]" to a command's use line; said as 选项, as the heading below.
	"useLine": func(c *cobra.Command) string { return strings.ReplaceAll(c.UseLine(), "[flags]", "[选项]") },
}).Parse(usageTemplate))

// localizeCobra gives root and every command under it the Chinese usage text, help command,
// help and version flags, completion command and flag-error handling. It runs after every
// command has been added (newRootCmd).
func localizeCobra(root *cobra.Command) {
	root.SetUsageFunc(func(c *cobra.Command) error {
		return usageTmpl.Execute(c.OutOrStderr(), c)
	})
	root.SetVersionTemplate("{{.Version}}")
	root.Flags().BoolP("version", "v", false, "显示版本、源码版本和构建所用的 Go 版本")
	root.SetHelpCommand(newHelpCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			localizeCompletion(c)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// Defined here, so cobra's InitDefaultHelpFlag finds it and adds no "help for …".
		if c.Flags().Lookup("help") == nil {
			c.Flags().BoolP("help", "h", false, "显示本命令的帮助")
		}
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{flagError(err)} })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [命令]",
		Short: "显示任一命令的帮助",
		Long:  "显示任一命令的帮助，如 nmaudit help check。",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usageErrorf("没有“%s”这个命令；运行 nmaudit help 查看全部命令", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
}

// localizeCompletion translates cobra's completion command and its per-shell subcommands.
func localizeCompletion(c *cobra.Command) {
	c.Short = "生成命令行自动补全脚本"
	c.Long = "生成 bash、zsh、fish 或 PowerShell 的自动补全脚本。各子命令的帮助说明如何加载生成的脚本。"
	how := map[string]string{
		"bash": `在当前会话中加载（需要 bash-completion 软件包）:

	source <(nmaudit completion bash)

每次登录都加载，执行一次:

	nmaudit completion bash > /etc/bash_completion.d/nmaudit

新开一个终端后生效。`,
		"zsh": `如尚未启用补全，先执行一次:

	echo "autoload -U compinit; compinit" >> ~/.zshrc

在当前会话中加载:

	source <(nmaudit completion zsh)

每次登录都加载，执行一次:

	nmaudit completion zsh > "${fpath[1]}/_nmaudit"

新开一个终端后生效。`,
		"fish": `在当前会话中加载:

	nmaudit completion fish | source

每次登录都加载，执行一次:

	nmaudit completion fish > ~/.config/fish/completions/nmaudit.fish

新开一个终端后生效。`,
		"powershell": `在当前会话中加载:

	nmaudit completion powershell | Out-String | Invoke-Expression

每次登录都加载，把上面这行加入 PowerShell 配置文件（$PROFILE）。`,
	}
	for _, sh := range c.Commands() {
		sh.Short = "生成 " + sh.Name() + " 的自动补全脚本"
		if h, ok := how[sh.Name()]; ok {
			sh.Long = "生成 " + sh.Name() + " 的自动补全脚本。\n\n" + h
		}
		if f := sh.Flags().Lookup("no-descriptions"); f != nil {
			f.Usage = "补全时不显示说明"
		}
	}
}

// flagUsages lists flags as pflag does ("  -o, --output FILE   说明"), with the default said
// in Chinese: （默认 table）.
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			left += " " + varname
		}
		if f.NoOptDefVal != "" && f.Value.Type() != "bool" {
			left += "[=" + f.NoOptDefVal + "]"
		}
		if !zeroDefault(f) {
			usage += "（默认 " + f.DefValue + "）"
		}
		if f.Deprecated != "" {
			usage += "（已弃用：" + f.Deprecated + "）"
		}
		width = max(width, len(left))
		lines = append(lines, line{left, usage})
	})
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%-*s   %s", width, l.left, l.usage)
	}
	return b.String()
}

// zeroDefault reports whether a flag's default says nothing worth printing.
func zeroDefault(f *pflag.Flag) bool {
	switch f.DefValue {
	case "", "false", "0", "[]", "<nil>", "0s":
		return true
	}
	return false
}

// flagError says a flag-parsing error of pflag in Chinese.
func flagError(err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		f := iv.GetFlag()
		want := map[string]string{"int": "整数", "int64": "整数", "uint": "非负整数", "uint64": "非负整数",
			"float64": "数字", "bool": "true 或 false", "duration": "时长（如 15s）"}[f.Value.Type()]
		msg := fmt.Sprintf("--%s 的值 %q 无效", f.Name, iv.GetValue())
		if want != "" {
			msg += "：应为" + want
		}
		return errors.New(msg)
	}
	var vr *pflag.ValueRequiredError
	if errors.As(err, &vr) {
		return fmt.Errorf("选项 --%s 需要一个值", vr.GetFlag().Name)
	}
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		if ne.GetSpecifiedShortnames() != "" {
			return fmt.Errorf("未知选项 -%s（在 -%s 中）；运行时加 --help 查看可用选项", ne.GetSpecifiedName(), ne.GetSpecifiedShortnames())
		}
		return fmt.Errorf("未知选项 --%s；运行时加 --help 查看可用选项", ne.GetSpecifiedName())
	}
	return errors.New(translateCobra(err.Error()))
}

// cobraMessages are cobra's argument and command errors, which it returns as plain strings.
var cobraMessages = []struct {
	re  *regexp.Regexp
	say func(m []string) string
}{
	{regexp.MustCompile(`(?s)^unknown command "(.*)" for "(\S+)"(?:\n\nDid you mean this\?\n\t(\S+).*)?$`), func(m []string) string {
		s := fmt.Sprintf("未知命令 %q", m[1])
		if m[3] != "" {
			s += fmt.Sprintf("（是否为 %s？）", m[3])
		}
		return s + "；运行 " + m[2] + " --help 查看全部命令"
	}},
	{regexp.MustCompile(`^unknown command "(.*)" for "(.+ .+)"$`), func(m []string) string {
		return fmt.Sprintf("%s 不接受参数（多余的 %q）", m[2], m[1])
	}},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("至少需要 %s 个参数，只给了 %s 个", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("最多接受 %s 个参数，给了 %s 个", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("需要 %s 个参数，给了 %s 个", m[1], m[2])
	}},
	{regexp.MustCompile(`^accepts between (\d+) and (\d+) arg\(s\), received (\d+)$`), func(m []string) string {
		return fmt.Sprintf("需要 %s 到 %s 个参数，给了 %s 个", m[1], m[2], m[3])
	}},
	{regexp.MustCompile(`^required flag\(s\) (.+) not set$`), func(m []string) string {
		names := strings.Split(strings.ReplaceAll(m[1], `"`, ""), ", ")
		return "缺少必需的选项 --" + strings.Join(names, "、--")
	}},
	{regexp.MustCompile(`^invalid argument "(.*)" for "(\S+)"`), func(m []string) string {
		return fmt.Sprintf("无效的参数 %q", m[1])
	}},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), func(m []string) string {
		return "选项写法有误: " + m[1]
	}},
}

// translateCobra says one of cobra's own error messages in Chinese; any other message is
// returned as it is.
func translateCobra(msg string) string {
	for _, c := range cobraMessages {
		if m := c.re.FindStringSubmatch(msg); m != nil {
			return c.say(m)
		}
	}
	return msg
}
