package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/internal/app"
)

func newRunsCmd(e *env) *cobra.Command {
	var (
		db     string
		format string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List red-team runs in the store",
		Long: `runs lists stored red-team runs, newest first, with their progress and outcomes.
Use a run's ID (or a unique prefix of it) with 'redoubt redteam --resume'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, got %q", format)
			}
			runs, err := app.Runs(cmd.Context(), db, limit)
			if err != nil {
				return &exitError{code: ExitFailure, err: err}
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(runs)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tSTARTED\tTARGET\tSTATUS\tDONE\tPASS\tFAIL\tUNKNOWN\tERROR")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%d\n", r.ID, r.Started.Local().Format("2006-01-02 15:04"),
					r.Target, r.Status, r.Done, r.Planned, r.Pass, r.Fail, r.Unknown, r.Error)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&db, "db", app.DefaultStore, "run store: a SQLite file (or sqlite:PATH)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most N runs (0: all)")
	return cmd
}
