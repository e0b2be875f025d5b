// Package model scans machine-learning model files for what runs code when
// they are loaded (unsafe pickle globals, Keras Lambda layers, dangerous
// TensorFlow ops, malicious chat templates) and for malformed or tampered
// containers. It never loads, unpickles or executes what it reads: every
// format is parsed statically, byte by byte, with bounded memory.
package model

import (
	"context"
	"io"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// Finding is one thing the scanner saw: a finding.Finding with
//
//   - Scanner, the format scanner that saw it ("pickle", "zip",
//     "keras_h5", ...), or "model" for what is known before a format
//     claims the file (not a model, not a regular file, a symbolic link);
//   - Type, a stable snake_case rule ID such as "pickle_dangerous_global";
//   - Severity, always set: it makes the verdict (scan.VerdictOf);
//   - Score 1: the rules are static facts about the bytes, not guesses;
//   - Message, what and why ("imports os.system (runs shell commands)");
//   - Member, the path inside a container (zip member, tar entry, HDF5
//     object; nested containers joined with "!"), empty for the file
//     itself;
//   - Offset, the byte offset in the file or member where the evidence
//     starts, nil when it has no single location;
//
// and what only a model finding has.
type Finding struct {
	finding.Finding
	// Detail carries rule-specific data, e.g. the imported global
	// "posix.system"; it is attacker-controlled text.
	Detail string `json:"detail,omitempty"`
}

// scannerName is the Scanner of findings about a file that no format has
// claimed.
const scannerName = "model"

// offsetAt returns a Finding.Offset: nil for a negative offset, the
// parsers' "no single location".
func offsetAt(off int64) *int64 {
	if off < 0 {
		return nil
	}
	return &off
}

// Result is the scan of one file.
type Result struct {
	Path string `json:"path"`
	// Format is what the content was sniffed as: pickle, pytorch_zip,
	// pytorch_tar, numpy, npz, joblib, keras_h5, keras_v3, savedmodel,
	// onnx, safetensors, gguf, zip, tar, unknown.
	Format   string       `json:"format"`
	Verdict  scan.Verdict `json:"verdict"`
	Findings []Finding    `json:"findings"`
	// Error explains an Error verdict.
	Error string `json:"error,omitempty"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
}

// Source is what format scanners read: random access, so tensor payloads can
// be skipped without reading them.
type Source interface {
	io.ReaderAt
	Size() int64
}

// formatScanner is implemented once per format. Sniff looks at the first
// bytes (up to 4 KiB, fewer for short files) and the name; Scan appends
// findings. A Scan error makes the verdict Error, keeping the findings made
// before it.
type formatScanner interface {
	Name() string
	Sniff(head []byte, name string) bool
	Scan(ctx context.Context, src Source, name string, s *Scanner) ([]Finding, error)
}
