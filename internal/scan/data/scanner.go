package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/detect"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// allDetectors are the names Options.Detectors accepts.
var allDetectors = []string{DetectorPII, DetectorSecrets, DetectorInjection, DetectorInvisible, DetectorHidden, DetectorPoisoning}

// Scanner scans datasets and documents. Build one with New; it is safe for
// concurrent use (each scan keeps its state on its own stack).
type Scanner struct {
	opts    Options
	on      map[string]bool
	pii     detect.PII
	secrets detect.Secrets
	inj     *detect.Injection
	inv     *detect.Invisible
}

// New checks opts, fills in defaults and builds the detectors (the
// injection classifier takes a moment: build one Scanner and reuse it).
func New(opts Options) (*Scanner, error) {
	s := &Scanner{on: map[string]bool{}, inv: detect.NewInvisible()}
	if opts.Detectors == nil {
		opts.Detectors = allDetectors
	}
	for _, d := range opts.Detectors {
		if !slices.Contains(allDetectors, d) {
			return nil, fmt.Errorf("scan data: unknown detector %q (known: %s)", d, strings.Join(allDetectors, ", "))
		}
		s.on[d] = true
	}
	switch opts.Format {
	case "", FormatJSONL, FormatJSON, FormatCSV, FormatTSV, FormatText, FormatMarkdown, FormatHTML:
	default:
		return nil, fmt.Errorf("scan data: unknown format %q (known: jsonl, json, csv, tsv, text, markdown, html)", opts.Format)
	}
	if opts.MinSeverity == 0 {
		opts.MinSeverity = finding.Low
	}
	if _, err := opts.MinSeverity.MarshalText(); err != nil {
		return nil, fmt.Errorf("scan data: minimum severity: %w", err)
	}
	if opts.Sample < 0 {
		return nil, fmt.Errorf("scan data: negative sample size %d", opts.Sample)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 8 << 20
	}
	if opts.MinScore <= 0 {
		opts.MinScore = 0.5
	}
	if opts.HiddenMinScore <= 0 {
		opts.HiddenMinScore = 0.3
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Poison = opts.Poison.withDefaults()
	s.opts = opts
	if s.on[DetectorInjection] {
		s.inj = detect.NewInjection()
	}
	return s, nil
}

// Sink receives a scan's output: every finding of a file, in record order
// (dataset-wide poisoning findings last), then the file's result.
// Returning an error stops the scan.
type Sink interface {
	Finding(Finding) error
	File(FileResult) error
}

// ScanPaths scans files and directories (walked in lexical order; entries
// whose names start with "." are skipped in walks, symbolic links to files
// are followed) and returns the totals. Unreadable files are results with
// an Error verdict; the returned error is only a cancelled ctx or a Sink
// error.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string, sink Sink) (Summary, error) {
	sum := Summary{ByVerdict: map[scan.Verdict]int{}, ByDetector: map[string]int{}, BySeverity: map[finding.Severity]int{}}
	file := func(p string) error {
		res, err := s.ScanFile(ctx, p, sink.Finding)
		if err != nil {
			return err
		}
		sum.Add(res)
		return sink.File(res)
	}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				res := FileResult{File: p, Verdict: scan.Error, Error: err.Error(), ByDetector: map[string]int{}, BySeverity: map[finding.Severity]int{}}
				sum.Add(res)
				if serr := sink.File(res); serr != nil {
					return serr
				}
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil // devices, sockets, pipes
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
					s.opts.Logger.Debug("skipped link to a non-file", "path", p)
					return nil
				}
			}
			return file(p)
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// ScanFile scans one file, passing its findings to emit. Problems with the
// file are in the result (verdict Error); the error is only a cancelled
// ctx or emit's error.
func (s *Scanner) ScanFile(ctx context.Context, path string, emit func(Finding) error) (FileResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return errorResult(path, err), nil
	}
	defer f.Close()
	return s.ScanReader(ctx, f, path, emit)
}

func errorResult(name string, err error) FileResult {
	return FileResult{File: name, Verdict: scan.Error, Error: err.Error(), ByDetector: map[string]int{}, BySeverity: map[finding.Severity]int{}}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// ScanReader scans content read from r; name is reported as the file and
// its extension helps sniffing. Gzip content is decompressed on the fly.
func (s *Scanner) ScanReader(ctx context.Context, r io.Reader, name string, emit func(Finding) error) (FileResult, error) {
	res := FileResult{File: name, ByDetector: map[string]int{}, BySeverity: map[finding.Severity]int{}}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	sniffName := name
	head, _ := br.Peek(sniffHead)
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			res.Format, res.Verdict, res.Error = FormatBinary, scan.Error, fmt.Sprintf("gzip header: %v", err)
			return res, nil
		}
		defer gz.Close()
		cr = &countingReader{r: gz}
		br = bufio.NewReaderSize(cr, 64<<10)
		sniffName = strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".GZ")
		head, _ = br.Peek(sniffHead)
	}
	res.Format = s.opts.Format
	if res.Format == "" {
		res.Format = sniffFormat(head, filepath.Base(sniffName))
	}
	st := &scanState{s: s, file: name, res: &res, emit: emit}
	var rr recordReader
	pick := newPicker(&s.opts)
	switch res.Format {
	case FormatUnsupported:
		res.Verdict, res.Error = scan.Error, "binary dataset format (Parquet, Arrow or SQLite) that this scanner cannot read; convert it to JSON lines"
		return res, nil
	case FormatBinary:
		if _, ok := extFormats[strings.ToLower(filepath.Ext(sniffName))]; ok {
			res.Verdict, res.Error = scan.Error, "binary content under a text data extension"
		} else {
			res.Verdict = scan.Clean
			s.opts.Logger.Debug("binary file not scanned", "path", name)
		}
		return res, nil
	case FormatJSONL:
		rr = &jsonlReader{r: br, max: s.opts.MaxRecordBytes, pick: pick, file: name}
	case FormatJSON:
		rr = newJSONDocReader(br, s.opts.MaxRecordBytes, pick)
	case FormatCSV, FormatTSV:
		comma := ','
		if res.Format == FormatTSV {
			comma = '\t'
		}
		c, err := newCSVReader(br, comma, s.opts.MaxRecordBytes, pick, name)
		if err != nil {
			res.Verdict, res.Error = scan.Error, err.Error()
			res.Bytes = cr.n
			return res, nil
		}
		rr = c
	case FormatText:
		rr = newTextReader(br)
	case FormatMarkdown, FormatHTML:
		rr = &docReader{x: newHTMLExtractor(br, res.Format == FormatMarkdown)}
	}
	readErr, stopErr := st.run(ctx, rr)
	res.Bytes = cr.n
	if stopErr != nil {
		return res, stopErr
	}
	res.TextField, res.LabelField = pick.text, pick.label
	res.Verdict = scan.VerdictOf(st.worst, readErr != nil)
	if readErr != nil {
		res.Error = readErr.Error()
	}
	return res, nil
}

// scanState is one file's scan in progress.
type scanState struct {
	s    *Scanner
	file string
	res  *FileResult
	emit func(Finding) error
	// worst severity seen among all findings, shown or not
	worst finding.Severity
}

// batch is a run of records scanned by one worker.
type batch struct {
	seq  int
	recs []*record
	out  []Finding
}

// Batching: records go to workers in groups, to amortise channel costs.
const (
	batchRecords = 64
	batchBytes   = 256 << 10
)

// run reads records, scans them on the worker pool and emits findings in
// record order. readErr is a fatal problem with the file; stopErr is a
// cancelled ctx or an emit error.
func (st *scanState) run(ctx context.Context, rr recordReader) (readErr, stopErr error) {
	s := st.s
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := s.opts.Workers
	jobs := make(chan *batch)
	done := make(chan *batch, workers)
	// sem bounds the batches in flight (being read, scanned or waiting to
	// be emitted in order), and with it the memory.
	sem := make(chan struct{}, 2*workers+2)
	var poison *poisonAnalyzer
	if s.on[DetectorPoisoning] {
		poison = newPoisonAnalyzer(s.opts.Poison)
	}

	var readers sync.WaitGroup
	readers.Go(func() {
		defer close(jobs)
		seq := 0
		cur := &batch{}
		size := 0
		send := func() bool {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			cur.seq = seq
			seq++
			select {
			case jobs <- cur:
			case <-ctx.Done():
				return false
			}
			cur, size = &batch{}, 0
			return true
		}
		for {
			if s.opts.Sample > 0 && st.res.Records >= s.opts.Sample {
				st.res.Sampled = true
				break
			}
			rec, err := rr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				readErr = err
				break
			}
			st.res.Records++
			if poison != nil {
				poison.add(rec)
			}
			cur.recs = append(cur.recs, rec)
			for _, f := range rec.fields {
				size += len(f.value)
			}
			if (len(cur.recs) >= batchRecords || size >= batchBytes) && !send() {
				return
			}
		}
		if len(cur.recs) > 0 {
			send()
		}
	})
	var scanners sync.WaitGroup
	for range workers {
		scanners.Go(func() {
			for b := range jobs {
				for _, rec := range b.recs {
					b.out = st.scanRecord(rec, b.out)
				}
				b.recs = nil
				select {
				case done <- b:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		scanners.Wait()
		close(done)
	}()

	pending := map[int]*batch{}
	next := 0
	for b := range done {
		pending[b.seq] = b
		for {
			nb, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-sem
			if stopErr != nil {
				continue
			}
			for _, f := range nb.out {
				if err := st.report(f); err != nil {
					stopErr = err
					cancel()
					break
				}
			}
		}
	}
	readers.Wait()
	if stopErr == nil {
		stopErr = parent.Err()
	}
	if stopErr != nil {
		return readErr, stopErr
	}
	if poison != nil {
		for _, f := range poison.finish(st.file) {
			if err := st.report(f); err != nil {
				return readErr, err
			}
		}
	}
	return readErr, nil
}

// report counts a finding for the verdict and emits it when it is at or
// above the minimum severity.
func (st *scanState) report(f Finding) error {
	st.worst = max(st.worst, f.Severity)
	if f.Severity < st.s.opts.MinSeverity {
		return nil
	}
	st.res.Findings++
	st.res.ByDetector[f.Scanner]++
	st.res.BySeverity[f.Severity]++
	if st.emit == nil {
		return nil
	}
	return st.emit(f)
}

// scanRecord runs the detectors on every field of rec.
func (st *scanState) scanRecord(rec *record, out []Finding) []Finding {
	for _, f := range rec.pre {
		f.Record, f.Line, f.Path = rec.num, rec.line, rec.path
		out = append(out, f)
	}
	for i := range rec.fields {
		out = st.scanField(rec, &rec.fields[i], out)
	}
	return out
}

// scanField runs the detectors on one field and grades what they find.
func (st *scanState) scanField(rec *record, f *field, out []Finding) []Finding {
	s := st.s
	line := f.line
	if line == 0 {
		line = rec.line
	}
	hidden := f.hiddenBy != ""
	base := Finding{Finding: finding.Finding{File: st.file, Record: rec.num, Line: line, Path: rec.path, Field: f.name}, Hidden: hidden, HiddenBy: f.hiddenBy}
	add := func(d detect.Finding, detector string, severity finding.Severity, withExcerpt bool) {
		g := base
		g.Scanner, g.Type, g.Start, g.End, g.Score, g.Severity = detector, d.Type, d.Start, d.End, math.Round(d.Score*1e4)/1e4, severity
		if withExcerpt && d.Start >= 0 && d.End <= len(f.value) && d.Start <= d.End {
			g.Excerpt = excerpt(f.value[d.Start:d.End])
		}
		out = append(out, g)
	}
	if s.on[DetectorSecrets] {
		for _, d := range s.secrets.Scan(f.value) {
			if d.Score >= s.opts.MinScore {
				add(d, DetectorSecrets, gradeSecret(d.Score), false)
			}
		}
	}
	if s.on[DetectorPII] {
		for _, d := range s.pii.Scan(f.value) {
			if d.Score >= s.opts.MinScore {
				add(d, DetectorPII, finding.Medium, false)
			}
		}
	}
	if s.on[DetectorInvisible] {
		for _, d := range s.inv.Scan(f.value) {
			if d.Score >= s.opts.MinScore {
				add(d, DetectorInvisible, gradeInvisible(d), false)
			}
		}
	}
	if s.on[DetectorInjection] {
		threshold := s.opts.MinScore
		if hidden {
			threshold = min(threshold, s.opts.HiddenMinScore)
		}
		for _, d := range s.inj.Scan(f.value) {
			if d.Score >= threshold {
				add(d, DetectorInjection, gradeInjection(d, hidden), true)
			}
		}
	}
	if hidden && s.on[DetectorHidden] {
		sev, score := gradeHidden(f.hiddenBy, f.value)
		g := base
		g.Scanner, g.Type, g.Start, g.End, g.Score, g.Severity = DetectorHidden, TypeHiddenText, 0, len(f.value), score, sev
		g.Excerpt = excerpt(f.value)
		g.Message = hiddenMessage(f.hiddenBy)
		out = append(out, g)
	}
	return out
}

// gradeSecret: a credential in training data or a RAG corpus leaks to
// anyone who can prompt the model; confident matches are malicious.
func gradeSecret(score float64) finding.Severity {
	if score >= 0.8 {
		return finding.Critical
	}
	return finding.High
}

// gradeInjection: a clear payload is malicious: a rule match scoring
// 0.8 or more, or 0.5 when the text is also hidden from readers. The
// classifier alone (prompt_injection) is noisy on short snippets, so it
// needs 0.9 to be malicious and 0.75 to be suspicious (0.5 when hidden);
// below that it is reported at low severity, for review.
func gradeInjection(d detect.Finding, hidden bool) finding.Severity {
	if d.Type == detect.TypePromptInjection {
		switch {
		case d.Score >= 0.9:
			return finding.Critical
		case d.Score >= 0.75 || (hidden && d.Score >= 0.5):
			return finding.High
		}
		return finding.Low
	}
	if d.Score >= 0.8 || (hidden && d.Score >= 0.5) {
		return finding.Critical
	}
	return finding.High
}

// gradeInvisible: tag characters, bidi overrides and encoded selector runs
// carry hidden content; stray zero-width characters are common in text
// copied from the web.
func gradeInvisible(d detect.Finding) finding.Severity {
	switch d.Type {
	case detect.TypeTagSmuggling, detect.TypeVariationSelector:
		return finding.High
	case detect.TypeBidiControl:
		if d.Score >= 0.75 {
			return finding.High
		}
	}
	if d.Score >= 0.8 {
		return finding.High
	}
	return finding.Medium
}

// gradeHidden: visual tricks that hide prose are suspicious; short hidden
// bits (a dropdown menu, an icon label) and ordinary channels (comments,
// alt and title text, metadata) are only noted.
func gradeHidden(how, text string) (finding.Severity, float64) {
	words := countWords(text)
	switch {
	case styleHidden[how] && words >= 8:
		return finding.Medium, 0.6
	case styleHidden[how]:
		return finding.Low, 0.4
	case how == hiddenMarkdown && words >= 8:
		return finding.Low, 0.4
	}
	return finding.Info, 0.2
}

// countWords counts words of two or more letters.
func countWords(s string) int {
	n := 0
	for w := range strings.FieldsSeq(s) {
		letters := 0
		for _, r := range w {
			if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 0x7f {
				letters++
			}
		}
		if letters >= 2 {
			n++
		}
	}
	return n
}

// hiddenMessage says in words how text was hidden.
func hiddenMessage(how string) string {
	switch how {
	case hiddenComment:
		return "text in an HTML comment: not rendered, but read by loaders that keep comments"
	case hiddenMarkdown:
		return "text in a Markdown link-reference comment: not rendered"
	case hiddenAlt:
		return "alt text: shown only when the image fails to load"
	case hiddenTitle:
		return "title attribute: shown only on hover"
	case hiddenMeta:
		return "page metadata: not shown on the page"
	case hiddenAria:
		return "aria-hidden content: visible, but hidden from assistive technology"
	case hiddenTemplate:
		return "template content: never rendered"
	case hiddenInput:
		return "hidden form input value: never rendered"
	case hiddenSameColor:
		return "text coloured like its background (or transparent): invisible to readers"
	}
	return "text hidden by CSS or markup (" + how + "): invisible to readers, read by text extractors"
}
