package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/app"
	"github.com/redoubt-sec/redoubt/internal/scan"
	"github.com/redoubt-sec/redoubt/internal/scan/data"
	"github.com/redoubt-sec/redoubt/internal/scan/model"
)

func newScanCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan model files, datasets and RAG documents (statically: nothing is loaded or run)",
	}
	cmd.AddCommand(newScanModelCmd(e), newScanDataCmd(e))
	return cmd
}

func newScanModelCmd(e *env) *cobra.Command {
	var (
		format   string
		manifest string
		verify   string
		allow    []string
		follow   bool
	)
	cmd := &cobra.Command{
		Use:   "model PATH...",
		Short: "Scan model files for code that runs on load and for tampering",
		Long: `scan model parses model files statically (pickle and PyTorch checkpoints, NumPy,
joblib, Keras, TensorFlow SavedModel, ONNX, safetensors, GGUF chat templates and
archives; formats are sniffed by content) and prints one JSON line per file:
  {"path", "format", "verdict": "malicious|suspicious|clean|error", "findings": [...]}
Directories are walked; symbolic links are reported, not followed. Nothing is
ever unpickled, loaded or executed (docs/scan-model.md).

Exit codes: 1 if any file is malicious, 3 if none is but some could not be
scanned (verdict error), 0 otherwise.

Integrity: --manifest FILE DIR writes a SHA-256 manifest of DIR; --verify FILE DIR
reports every file that changed, appeared or disappeared since (exit 1 if any).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if format != "jsonl" && format != "text" {
				return usagef("--format must be jsonl or text, got %q", format)
			}
			switch {
			case manifest != "" && verify != "":
				return usagef("--manifest and --verify are exclusive")
			case manifest != "" || verify != "":
				if len(args) != 1 {
					return usagef("--manifest and --verify take exactly one directory")
				}
				if manifest != "" {
					return writeManifest(cmd, manifest, args[0])
				}
				return verifyManifest(e, cmd, verify, args[0], format)
			}
			w := bufio.NewWriter(e.stdout)
			defer w.Flush()
			enc := json.NewEncoder(w)
			opts := app.ModelScanOptions{AllowGlobals: allow, FollowSymlinks: follow, Logger: e.log}
			n, err := app.ScanModels(ctx, args, opts, func(r model.Result) error {
				if format == "text" {
					return writeModelText(w, r)
				}
				return enc.Encode(r)
			})
			if err != nil {
				return appErr(err)
			}
			if err := w.Flush(); err != nil {
				return &exitError{code: ExitFailure, err: err}
			}
			switch {
			case n.Malicious > 0:
				return &exitError{code: 1, err: fmt.Errorf("%d malicious file(s)", n.Malicious)}
			case n.Errored > 0:
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d file(s) could not be scanned", n.Errored)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "output: jsonl (one JSON object per file) or text")
	cmd.Flags().StringSliceVar(&allow, "allow-global", nil, "also allow these pickle globals (module.name, * within one segment), for a project's own classes; the deny-list still wins")
	cmd.Flags().BoolVar(&follow, "follow-symlinks", false, "scan the files symbolic links point to (links to directories are never followed)")
	cmd.Flags().StringVar(&manifest, "manifest", "", "write a SHA-256 manifest of the directory to FILE")
	cmd.Flags().StringVar(&verify, "verify", "", "verify the directory against the manifest FILE")
	return cmd
}

func writeModelText(w *bufio.Writer, r model.Result) error {
	fmt.Fprintf(w, "%-10s %-14s %s\n", r.Verdict, r.Format, terminalSafe(r.Path))
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", terminalSafe(r.Error))
	}
	for _, f := range r.Findings {
		where := ""
		if f.Member != "" {
			where = " in " + f.Member
		}
		if f.Offset != nil {
			where += fmt.Sprintf(" at byte %d", *f.Offset)
		}
		// Messages quote names read from the file (pickle globals, zip
		// members): attacker-controlled, so no raw control characters
		// reach the terminal.
		fmt.Fprintf(w, "  %-8s %s%s: %s\n", f.Severity, f.Type, terminalSafe(where), terminalSafe(f.Message))
	}
	return nil
}

// writeManifest hashes dir before creating the manifest file, so a manifest
// written inside the directory does not list itself half-written.
func writeManifest(cmd *cobra.Command, path, dir string) error {
	var buf bytes.Buffer
	if err := model.WriteManifest(cmd.Context(), dir, &buf); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return &exitError{code: ExitFailure, err: err}
	}
	return nil
}

// manifestSelf returns the manifest's path relative to dir when it lies
// inside dir ("" otherwise): verification ignores the manifest itself.
func manifestSelf(path, dir string) string {
	ap, err1 := filepath.Abs(path)
	ad, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return ""
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	return filepath.ToSlash(rel)
}

func verifyManifest(e *env, cmd *cobra.Command, path, dir, format string) error {
	f, err := os.Open(path)
	if err != nil {
		return usageErr(err)
	}
	defer f.Close()
	changes, err := model.VerifyManifest(cmd.Context(), dir, f)
	if err != nil {
		return usageErr(err)
	}
	if self := manifestSelf(path, dir); self != "" {
		changes = slices.DeleteFunc(changes, func(c model.Change) bool { return c.Path == self })
	}
	enc := json.NewEncoder(e.stdout)
	for _, c := range changes {
		if format == "text" {
			fmt.Fprintf(e.stdout, "%-8s %s\n", c.Kind, c.Path)
		} else if err := enc.Encode(c); err != nil {
			return err
		}
	}
	if len(changes) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d file(s) differ from the manifest %s", len(changes), path)}
	}
	return nil
}

func newScanDataCmd(e *env) *cobra.Command {
	var (
		o           data.Options
		format      string
		failOn      string
		minSeverity string
	)
	cmd := &cobra.Command{
		Use:   "data PATH...",
		Short: "Scan datasets and RAG documents for PII, secrets, hidden instructions and poisoning",
		Long: `scan data reads JSON lines, JSON, CSV/TSV, text, Markdown and HTML (including what a
reader does not see: comments, hidden or white-on-white text, invisible characters)
and reports, per record, PII, secrets, prompt-injection payloads and hidden
instructions aimed at AI readers, and dataset-wide poisoning signals (rare n-grams
tied to one label, duplicate floods, label conflicts). Large files are streamed.

Output: JSON lines: one {"kind":"finding",...} per finding, one {"kind":"file",...}
per file with its verdict, and a final {"kind":"summary",...} (docs/scan-data.md).

Exit codes: 1 if any file is malicious (or suspicious, with --fail-on suspicious),
3 if a file could not be read, 0 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Format = data.Format(format)
			if failOn != "malicious" && failOn != "suspicious" {
				return usagef("--fail-on must be malicious or suspicious, got %q", failOn)
			}
			if minSeverity != "" {
				s, err := finding.ParseSeverity(minSeverity)
				if err != nil {
					return usagef("--min-severity: %v", err)
				}
				o.MinSeverity = s
			}
			o.Logger = e.log
			w := data.NewJSONLWriter(e.stdout)
			sum, err := app.ScanData(cmd.Context(), args, o, w)
			if err != nil {
				return appErr(err)
			}
			if err := w.WriteSummary(sum); err != nil {
				return &exitError{code: ExitFailure, err: err}
			}
			switch worst := sum.Worst(); {
			case worst == scan.Malicious, worst == scan.Suspicious && failOn == "suspicious":
				return &exitError{code: 1, err: fmt.Errorf("worst verdict: %s", worst)}
			case worst == scan.Error:
				return &exitError{code: ExitFailure, err: fmt.Errorf("some files could not be scanned (see their \"error\")")}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&o.Sample, "sample", 0, "read only the first N records of each file")
	fl.StringVar(&format, "format", "", "force the input format: jsonl, json, csv, tsv, text, markdown, html")
	fl.StringVar(&o.TextField, "text-field", "", "record field holding the text (default: auto-detected)")
	fl.StringVar(&o.LabelField, "label-field", "", "record field holding the label (default: auto-detected)")
	fl.StringSliceVar(&o.Detectors, "detectors", nil, "run only these: pii, secrets, injection, invisible, hidden, poisoning")
	fl.StringVar(&minSeverity, "min-severity", "", "drop findings below: info, low, medium, high, critical (default low)")
	fl.IntVar(&o.Workers, "workers", 0, "records scanned in parallel (default: one per CPU)")
	fl.StringVar(&failOn, "fail-on", "malicious", "exit 1 at this verdict or worse: malicious or suspicious")
	return cmd
}

// terminalSafe escapes control characters (ANSI escape sequences, carriage
// returns, bidi controls) in text that came from a scanned file.
func terminalSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
