package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/config"
)

func newConfigCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "管理配置文件",
		Long: `config 管理 nmaudit 的配置文件。设置的优先顺序：配置文件，其次 NMAUDIT_… 环境变量（键名中的点
换成下划线，如 NMAUDIT_PLATFORMS_WEIBO_COOKIE），最后是命令行选项。配置文件中不认识的设置会在
标准错误上提示（并给出最接近的设置名），不会被悄悄忽略。`,
		Args: cobra.NoArgs,
		// Runnable, so that an unknown subcommand (config bogus) is refused as bad usage
		// instead of printing the help and exiting 0.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var force bool
	var path string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "写出带说明的配置模板（默认 ./nmaudit.yaml）",
		Long: `init 写出一份配置模板：每项设置及其默认值，附说明。模板将用于保存账号凭据，因此文件权限为
0600（仅本人可读写）；已有文件不会被覆盖，除非加 --force。写入先到临时文件再改名，目标若是
符号链接，替换的是链接本身，不会写到链接指向的文件。`,
		Example: `  nmaudit config init
  nmaudit config init -o ~/.config/nmaudit/config.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.WriteTemplate(path, force); err != nil {
				return usageErrorf("%v", err)
			}
			fmt.Fprintf(s.Err, "已写出 %s；凭据（Cookie、BDUSS、AppSecret 等）建议放在 NMAUDIT_… 环境变量中，而不是写进文件\n", path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "覆盖已有的文件")
	initCmd.Flags().StringVarP(&path, "output", "o", "nmaudit.yaml", "模板写到 `FILE`")
	cmd.AddCommand(initCmd)
	return cmd
}
