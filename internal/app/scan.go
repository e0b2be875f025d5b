package app

import (
	"context"
	"log/slog"
	"os"

	"github.com/redoubt-sec/redoubt/internal/scan"
	"github.com/redoubt-sec/redoubt/internal/scan/data"
	"github.com/redoubt-sec/redoubt/internal/scan/model"
)

// ModelScanOptions adjust a model scan.
type ModelScanOptions struct {
	// AllowGlobals extends the pickle allow-list ("module.name", or "*"
	// within one dotted segment); the deny-list still wins.
	AllowGlobals []string
	// FollowSymlinks scans the files that symbolic links point to.
	FollowSymlinks bool
	Logger         *slog.Logger
}

// ModelScan tallies a model scan by verdict.
type ModelScan struct {
	Files, Malicious, Suspicious, Clean, Errored int
}

// ScanModels scans the model files at paths (directories are walked) and
// passes each file's result to emit, in order. A path that does not exist
// is a UsageError, reported before anything is scanned; a file that cannot
// be read is a result with verdict error, never skipped.
func ScanModels(ctx context.Context, paths []string, opts ModelScanOptions, emit func(model.Result) error) (ModelScan, error) {
	var n ModelScan
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			return n, usage(err)
		}
	}
	mo := []model.Option{model.WithAllowGlobals(opts.AllowGlobals...), model.WithFollowSymlinks(opts.FollowSymlinks)}
	if opts.Logger != nil {
		mo = append(mo, model.WithLogger(opts.Logger))
	}
	sc := model.New(mo...)
	for _, root := range paths {
		err := sc.ScanPath(ctx, root, func(r model.Result) error {
			n.Files++
			switch r.Verdict {
			case scan.Malicious:
				n.Malicious++
			case scan.Suspicious:
				n.Suspicious++
			case scan.Clean:
				n.Clean++
			default:
				n.Errored++
			}
			return emit(r)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ScanData scans the datasets and documents at paths with opts and passes
// findings and file results to sink as they are made. A path that does not
// exist, or options that do not make sense, are a UsageError.
func ScanData(ctx context.Context, paths []string, opts data.Options, sink data.Sink) (data.Summary, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return data.Summary{}, usage(err)
		}
	}
	s, err := data.New(opts)
	if err != nil {
		return data.Summary{}, usage(err)
	}
	return s.ScanPaths(ctx, paths, sink)
}
