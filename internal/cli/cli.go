// Package cli implements the redoubt command line: one file per command.
// Commands parse flags and configuration, call the library packages, render
// results to stdout and progress and logs to stderr, and map errors to exit
// codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes. 0 and 1 are the red-team verdict (at or above --fail-under, or
// below it); 2 is a usage or configuration error; 3 is any other failure
// (I/O, the store); 4 is a target that failed (a run stopped by the
// breaker, a failed preflight, or results left incomplete by errors); 130
// is an interrupted run.
const (
	ExitOK           = 0
	ExitBelowTarget  = 1
	ExitUsage        = 2
	ExitFailure      = 3
	ExitTargetFailed = 4
	ExitInterrupted  = 130
)

// exitError carries an exit code with an error (or with none, when the
// command already said all there is to say).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage or configuration error (exit 2).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// usagef is usageErr with formatting.
func usagef(format string, args ...any) error { return usageErr(fmt.Errorf(format, args...)) }

// env is what commands need from the process, injected so tests can run
// commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	getenv         func(string) string
	// interactive is true when stderr is a terminal (progress bars).
	interactive bool
}

// Main runs the CLI with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdin: stdin, stdout: stdout, stderr: stderr,
		log:         slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		getenv:      os.Getenv,
		interactive: isTerminal(stderr),
	}
	return run(ctx, e, args)
}

func run(ctx context.Context, e *env, args []string) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(e.stderr, "redoubt:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(e.stderr, "redoubt:", err)
	if isFlagError(err) {
		return ExitUsage
	}
	return ExitFailure
}

func newRoot(e *env) *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "redoubt",
		Short: "LLM security: red-team, guard and scan LLM apps and agents",
		Long: `redoubt attacks an LLM application or agent across a catalog of vulnerabilities,
judges its replies and reports the risk; guards it at run time; and scans the
models and data it is built from. One binary, offline by default.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			if verbose {
				e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail to stderr")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(newRedteamCmd(e), newCatalogCmd(e), newRunsCmd(e), newReportCmd(e), newGuardCmd(e), newJudgeCmd(e), newScanCmd(e), newBenchCmd(e), newDemoCmd(e), newVersionCmd(e))
	return root
}

// isFlagError reports whether cobra rejected the command line itself
// (unknown command or bad arguments), which is a usage error.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// printf writes to stderr: messages for the person at the terminal.
func (e *env) printf(format string, args ...any) { fmt.Fprintf(e.stderr, format, args...) }
