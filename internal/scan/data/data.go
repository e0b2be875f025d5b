// Package data scans datasets and RAG documents for what should not be in
// them: credentials and personal data, prompt-injection payloads and
// instructions hidden from human readers but not from models, invisible
// characters, and signs of data poisoning (backdoor triggers that correlate
// with one label, floods of exact or near duplicates, duplicates that
// disagree on their label).
//
// Inputs are JSON lines, JSON (an array of records or an object holding
// record arrays), CSV/TSV with a header row, plain text, Markdown and HTML,
// optionally gzip-compressed. They are read record by record: memory stays
// bounded whatever the file size, and dataset-wide statistics live in
// count-min sketches and capped tables.
//
// The text detectors are those of package detect; this package only decides
// what a record and a field are, where hidden text hides, and how findings
// add up to a verdict.
package data

import (
	"log/slog"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// Format is what a file's content was recognised as.
type Format string

// Formats. Unsupported covers binary dataset formats this package cannot
// parse (Parquet, Arrow): they are reported as errors, never passed.
const (
	FormatJSONL       Format = "jsonl"
	FormatJSON        Format = "json"
	FormatCSV         Format = "csv"
	FormatTSV         Format = "tsv"
	FormatText        Format = "text"
	FormatMarkdown    Format = "markdown"
	FormatHTML        Format = "html"
	FormatBinary      Format = "binary"
	FormatUnsupported Format = "unsupported"
)

// Detector names, used as Finding.Scanner and in Options.Detectors. The
// first four are the detect package's detectors run on every text field.
const (
	DetectorPII       = "pii"
	DetectorSecrets   = "secrets"
	DetectorInjection = "injection"
	DetectorInvisible = "invisible"
	// DetectorHidden reports text a reader of the rendered document does
	// not see (HTML comments, display:none, white-on-white, ...).
	DetectorHidden = "hidden"
	// DetectorPoisoning reports dataset-wide signals: label-correlated
	// rare n-grams, duplicate floods, label conflicts.
	DetectorPoisoning = "poisoning"
	// DetectorParse reports records that could not be parsed; they are
	// scanned as raw text so that nothing in them escapes the detectors.
	DetectorParse = "parse"
)

// Finding types this package makes itself (the detect package's detectors
// bring their own types, e.g. "email" or "indirect_instruction").
const (
	TypeHiddenText          = "hidden_text"
	TypeTriggerNgram        = "label_correlated_ngram"
	TypeDuplicateFlood      = "duplicate_flood"
	TypeNearDuplicateFlood  = "near_duplicate_flood"
	TypeDuplicateConflict   = "duplicate_label_conflict"
	TypeNearDupConflict     = "near_duplicate_label_conflict"
	TypeInvalidJSON         = "invalid_json"
	TypeInvalidCSV          = "invalid_csv"
	TypeFieldCount          = "field_count_mismatch"
	TypeRecordTooLarge      = "record_too_large"
	TypeTrackingCapacity    = "tracking_capacity_reached"
	TypeLabelsNotConsidered = "too_many_labels"
)

// Finding is one thing seen in one record (or, for poisoning signals, in
// the dataset, located at an example record). It is a finding.Finding:
//
//   - Scanner is the detector that made it (pii, secrets, injection,
//     invisible, hidden, poisoning, parse), Type what was found, Severity
//     always set (it makes the verdict);
//   - File is the path as given to the scanner;
//   - Record is the 1-based record number (JSON lines: non-blank line
//     count; CSV: data row; text and Markdown: paragraph; HTML: text
//     segment), 0 for findings about the whole file;
//   - Line is the 1-based line where the field's text starts (0 when
//     unknown, e.g. inside a JSON document: see Path);
//   - Path is the JSON path of the record in a JSON document, e.g.
//     "$.records[12]";
//   - Field names the field inside the record: a dotted JSON path
//     ("messages[0].content"), a CSV column, or for documents "text",
//     "hidden", "comment", "alt", "title";
//   - Start and End are byte offsets into the field's decoded value (HTML
//     entities decoded, JSON strings unescaped), half-open;
//
// with what only a dataset finding has.
type Finding struct {
	finding.Finding
	// Hidden marks findings in text a human reader does not see;
	// HiddenBy says how it was hidden (comment, display_none,
	// visibility_hidden, font_size_zero, opacity_zero, same_color,
	// offscreen, zero_size, hidden_attribute, aria_hidden, alt_attribute,
	// title_attribute, template, hidden_input, markdown_comment).
	Hidden   bool   `json:"hidden,omitempty"`
	HiddenBy string `json:"hidden_by,omitempty"`
	// Excerpt is the matched text for injection, hidden-text and poisoning
	// findings (cut to 200 bytes). It is attacker-controlled. Secrets and
	// personal data are never copied: use the span.
	Excerpt string `json:"excerpt,omitempty"`
	// Label, Count and Examples describe poisoning signals: the label the
	// signal points to, how many records carry it, and the first record
	// numbers that do.
	Label    string  `json:"label,omitempty"`
	Count    int64   `json:"count,omitempty"`
	Examples []int64 `json:"examples,omitempty"`
}

// FileResult summarises the scan of one file.
type FileResult struct {
	File    string       `json:"file"`
	Format  Format       `json:"format"`
	Verdict scan.Verdict `json:"verdict"`
	// Records is how many records were read; Bytes how many bytes of
	// (decompressed) content.
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"`
	// Sampled is true when reading stopped at Options.Sample records.
	Sampled bool `json:"sampled,omitempty"`
	// TextField and LabelField are the fields the poisoning analysis used
	// (given in Options or auto-detected); empty when none.
	TextField  string `json:"text_field,omitempty"`
	LabelField string `json:"label_field,omitempty"`
	// Findings counts the findings reported, in total and by detector and
	// severity.
	Findings   int                      `json:"findings"`
	ByDetector map[string]int           `json:"by_detector"`
	BySeverity map[finding.Severity]int `json:"by_severity"`
	// Error explains an Error verdict.
	Error string `json:"error,omitempty"`
}

// Summary adds up the results of several files.
type Summary struct {
	Files      int                      `json:"files"`
	Records    int64                    `json:"records"`
	Bytes      int64                    `json:"bytes"`
	Findings   int                      `json:"findings"`
	ByVerdict  map[scan.Verdict]int     `json:"by_verdict"`
	ByDetector map[string]int           `json:"by_detector"`
	BySeverity map[finding.Severity]int `json:"by_severity"`
}

// Add folds one file's result into the summary.
func (s *Summary) Add(r FileResult) {
	if s.ByVerdict == nil {
		s.ByVerdict, s.ByDetector, s.BySeverity = map[scan.Verdict]int{}, map[string]int{}, map[finding.Severity]int{}
	}
	s.Files++
	s.Records += r.Records
	s.Bytes += r.Bytes
	s.Findings += r.Findings
	s.ByVerdict[r.Verdict]++
	for k, v := range r.ByDetector {
		s.ByDetector[k] += v
	}
	for k, v := range r.BySeverity {
		s.BySeverity[k] += v
	}
}

// Worst returns the worst verdict among the files, for exit codes: malicious
// before error before suspicious before clean (an unreadable file must not
// pass a CI gate as clean, but a malicious one says more).
func (s Summary) Worst() scan.Verdict {
	for _, v := range []scan.Verdict{scan.Malicious, scan.Error, scan.Suspicious} {
		if s.ByVerdict[v] > 0 {
			return v
		}
	}
	return scan.Clean
}

// Options configure a Scanner. The zero value scans everything with the
// defaults described on each field.
type Options struct {
	// Sample stops each file after this many records (0: read all).
	Sample int64
	// Format forces the input format instead of sniffing it.
	Format Format
	// TextField and LabelField name the record fields the poisoning
	// analysis reads: a top-level JSON key (or dotted path) or a CSV column.
	// Empty: auto-detected from common names (text, prompt, input,
	// content, sentence, ... and label, labels, class, category, target,
	// ...); without a text field, all string fields are joined.
	TextField  string
	LabelField string
	// Detectors selects what runs, by name (pii, secrets, injection,
	// invisible, hidden, poisoning); nil runs everything. Parse problems
	// are always reported.
	Detectors []string
	// Workers is how many records are scanned in parallel (default
	// GOMAXPROCS).
	Workers int
	// MaxRecordBytes caps one record (a JSON line, a CSV row, a paragraph);
	// longer ones are reported and skipped (text is split instead).
	// Default 8 MiB.
	MaxRecordBytes int
	// MinScore drops detector findings scoring lower (default 0.5, the
	// detect package's calibrated decision point).
	MinScore float64
	// HiddenMinScore is the injection threshold for hidden text (default
	// 0.3): hiding an instruction from human readers is itself a signal.
	HiddenMinScore float64
	// MinSeverity drops findings below this severity (default low; info
	// reports everything, e.g. every HTML comment). It filters what is
	// reported, not the verdict.
	MinSeverity finding.Severity
	// Poison tunes the poisoning analysis.
	Poison PoisonOptions
	// Logger receives debug details; default discards.
	Logger *slog.Logger
}

// PoisonOptions tune the dataset-wide poisoning analysis. Zero fields take
// the defaults given.
type PoisonOptions struct {
	// MinSupport is the fewest records an n-gram must occur in to be a
	// trigger candidate (default 8); it is raised to MinSupportFraction of
	// the labelled records for large datasets (default 0.0005).
	MinSupport         int
	MinSupportFraction float64
	// MinPurity is the least share of an n-gram's records that must carry
	// one label (default 0.9), and MinLift how much more often than that
	// label's prior (default 1.5).
	MinPurity float64
	MinLift   float64
	// MaxDocFraction: an n-gram in more than this share of records is
	// ordinary vocabulary, not a trigger (default 0.05).
	MaxDocFraction float64
	// FloodCount and FloodFraction: a text (or a cluster of near-identical
	// texts) repeated at least FloodCount times and in at least
	// FloodFraction of the records is a flood (defaults 10 and 0.001).
	FloodCount    int
	FloodFraction float64
	// NearSimilarity is the least estimated Jaccard similarity of two
	// texts' word 1- and 2-gram sets for them to be near duplicates
	// (default 0.7).
	NearSimilarity float64
	// MaxTracked caps each table (n-gram candidates, exact hashes,
	// near-duplicate clusters); default 50,000 entries, about 30 MiB in
	// all at worst, plus a fixed 4 MiB sketch.
	MaxTracked int
}
