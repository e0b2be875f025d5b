// Package model scans machine-learning model files for what runs code when
// they are loaded (unsafe pickle globals, Keras Lambda layers, dangerous
// TensorFlow ops, malicious chat templates) and for malformed or tampered
// containers. It never loads, unpickles or executes what it reads: every
// format is parsed statically, byte by byte, with bounded memory.
package model

import (
	"context"
	"io"
)

// Verdict is a file's overall result.
type Verdict string

// Verdicts, from worst to best. Error means the file could not be analysed
// (corrupt, truncated, unsupported); it is reported, never silently passed.
const (
	Malicious  Verdict = "malicious"
	Suspicious Verdict = "suspicious"
	Clean      Verdict = "clean"
	Error      Verdict = "error"
)

// Severity of a finding. critical findings make a file malicious; high and
// medium make it suspicious; low and info do not change the verdict.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityInfo     = "info"
)

// Finding is one thing the scanner saw.
type Finding struct {
	// Rule is a stable snake_case ID, e.g. "pickle_dangerous_global".
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Message says what and why, e.g. "imports os.system (runs shell commands)".
	Message string `json:"message"`
	// Member is the path inside a container (zip member, tar entry, HDF5
	// object), empty for the file itself.
	Member string `json:"member,omitempty"`
	// Offset is the byte offset in the file or member where the evidence
	// starts (-1 when it has no single location).
	Offset int64 `json:"offset"`
	// Detail carries rule-specific data, e.g. the imported global
	// "posix.system"; it is attacker-controlled text.
	Detail string `json:"detail,omitempty"`
}

// Result is the scan of one file.
type Result struct {
	Path string `json:"path"`
	// Format is what the content was sniffed as: pickle, pytorch_zip,
	// pytorch_tar, numpy, npz, joblib, keras_h5, keras_v3, savedmodel,
	// onnx, safetensors, gguf, zip, tar, unknown.
	Format   string    `json:"format"`
	Verdict  Verdict   `json:"verdict"`
	Findings []Finding `json:"findings"`
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
