package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nmaudit/nmaudit/config"
)

func newConfigCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Manage the configuration file"}
	var force bool
	var path string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented configuration template (default ./nmaudit.yaml)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.WriteTemplate(path, force); err != nil {
				return usageErrorf("%v", err)
			}
			fmt.Fprintf(s.Err, "wrote %s; keep credentials in NMAUDIT_… environment variables rather than in the file where you can\n", path)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	initCmd.Flags().StringVarP(&path, "output", "o", "nmaudit.yaml", "where to write the template")
	cmd.AddCommand(initCmd)
	return cmd
}
