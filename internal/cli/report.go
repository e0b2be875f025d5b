package cli

import (
	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/internal/app"
	"github.com/redoubt-sec/redoubt/internal/report"
)

func newReportCmd(e *env) *cobra.Command {
	var (
		db        string
		format    string
		fwSummary bool
	)
	cmd := &cobra.Command{
		Use:   "report RUN",
		Short: "Show a stored red-team run again",
		Long: `report renders a red-team run again: RUN is a run's ID (or a unique prefix of
it) in the store, or the path of a run's events.jsonl or of its output directory,
so a run can be shown on a machine without the store.

--format text prints the summary tables; --format json prints what results.json
holds. A run that was killed is shown as interrupted, with what it finished.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--format must be text or json, got %q", format)
			}
			res, err := app.Report(cmd.Context(), app.ReportRequest{Source: args[0], Store: db})
			if err != nil {
				return appErr(err)
			}
			if format == "json" {
				return report.WriteJSON(e.stdout, res)
			}
			text := res.Summary
			if !fwSummary && res.Run.Options.Framework == "" {
				text.ByFramework = nil
			}
			if err := report.WriteSummary(e.stdout, text); err != nil {
				return err
			}
			all := res.Summary.Overall
			e.printf("\nrun %s (%s, %s): %d of %d probes\n", res.Run.ID, res.Run.Target, res.Run.Status, all.Total, res.Run.Planned)
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", app.DefaultStore, "run store: a SQLite file (or sqlite:PATH)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&fwSummary, "frameworks-summary", false, "print a table per framework")
	return cmd
}
