package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// field is one text value of a record.
type field struct {
	name     string
	value    string
	line     int64 // 0: the record's line
	hiddenBy string
}

// record is one unit of a file: a JSON line, an array element, a CSV row, a
// paragraph, a document segment.
type record struct {
	num    int64
	line   int64
	path   string
	fields []field
	// text and label feed the poisoning analysis; text "" skips it.
	text     string
	label    string
	hasLabel bool
	// pre holds the reader's own findings (parse problems).
	pre []Finding
}

// recordReader yields records; io.EOF ends the file, any other error is
// fatal for the file (the records before it were scanned).
type recordReader interface {
	next() (*record, error)
}

// textNames and labelNames are the field names auto-detected as a record's
// text and label, in order of preference.
var (
	textNames  = []string{"text", "prompt", "input", "content", "sentence", "question", "instruction", "document", "review", "body", "query", "message", "context", "passage", "comment"}
	labelNames = []string{"label", "labels", "class", "category", "target", "sentiment", "intent", "label_text"}
)

// maxLabelBytes: a "label" longer than this is free text, not a class.
const maxLabelBytes = 64

// picker chooses the text and label of records: the configured fields, or
// those auto-detected on the first record that has any.
type picker struct {
	text, label     string
	autoText        bool
	autoLabel       bool
	detectedText    bool
	detectedLabel   bool
	maxPoisonText   int
	textIdx, labIdx int // CSV column indexes, -1 when absent
}

func newPicker(opts *Options) *picker {
	return &picker{text: opts.TextField, label: opts.LabelField, autoText: opts.TextField == "",
		autoLabel: opts.LabelField == "", maxPoisonText: 64 << 10, textIdx: -1, labIdx: -1}
}

// pickJSON returns the poisoning text and label of a decoded JSON record.
func (p *picker) pickJSON(v any) (text, label string, hasLabel bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return p.cut(joinStrings(v)), "", false
	}
	if p.autoLabel && !p.detectedLabel {
		for _, n := range labelNames {
			if k, ok := findKey(m, n); ok {
				if _, ok := labelString(m[k]); ok {
					p.label, p.detectedLabel = k, true
					break
				}
			}
		}
	}
	if p.autoText && !p.detectedText {
		for _, n := range textNames {
			if k, ok := findKey(m, n); ok {
				if _, isStr := m[k].(string); isStr && k != p.label {
					p.text, p.detectedText = k, true
					break
				}
			}
		}
	}
	if p.label != "" {
		if lv, ok := lookupPath(m, p.label); ok {
			label, hasLabel = labelString(lv)
		}
	}
	if p.text != "" {
		if tv, ok := lookupPath(m, p.text); ok {
			return p.cut(joinStrings(tv)), label, hasLabel
		}
		return "", label, hasLabel
	}
	// No text field: everything but the label.
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if k == p.label {
			continue
		}
		if s := joinStrings(m[k]); s != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(s)
		}
	}
	return p.cut(b.String()), label, hasLabel
}

// cut bounds the text the poisoning analysis sees.
func (p *picker) cut(s string) string {
	if len(s) > p.maxPoisonText {
		s = s[:p.maxPoisonText]
	}
	return s
}

// pickHeader resolves the text and label columns of a CSV header.
func (p *picker) pickHeader(header []string) {
	find := func(name string) int {
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i
			}
		}
		return -1
	}
	if p.autoLabel {
		for _, n := range labelNames {
			if i := find(n); i >= 0 {
				p.labIdx, p.label = i, header[i]
				break
			}
		}
	} else {
		p.labIdx = find(p.label)
	}
	if p.autoText {
		for _, n := range textNames {
			if i := find(n); i >= 0 && i != p.labIdx {
				p.textIdx, p.text = i, header[i]
				break
			}
		}
	} else {
		p.textIdx = find(p.text)
	}
}

// pickRow returns the poisoning text and label of a CSV row.
func (p *picker) pickRow(row []string) (text, label string, hasLabel bool) {
	if p.labIdx >= 0 && p.labIdx < len(row) {
		if l := strings.TrimSpace(row[p.labIdx]); l != "" && len(l) <= maxLabelBytes {
			label, hasLabel = l, true
		}
	}
	if p.textIdx >= 0 {
		if p.textIdx < len(row) {
			text = row[p.textIdx]
		}
		return p.cut(text), label, hasLabel
	}
	var b strings.Builder
	for i, v := range row {
		if i == p.labIdx || v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v)
	}
	return p.cut(b.String()), label, hasLabel
}

// findKey finds a key equal to name ignoring case.
func findKey(m map[string]any, name string) (string, bool) {
	if _, ok := m[name]; ok {
		return name, true
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// lookupPath resolves a key, or a dotted path of keys ("meta.label").
func lookupPath(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// labelString renders a label value: a string, number or bool, or a list of
// them (multi-label, sorted and joined with "|").
func labelString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		x = strings.TrimSpace(x)
		return x, x != "" && len(x) <= maxLabelBytes
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case []any:
		var parts []string
		for _, e := range x {
			s, ok := labelString(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		slices.Sort(parts)
		s := strings.Join(parts, "|")
		return s, len(s) <= maxLabelBytes
	}
	return "", false
}

// joinStrings joins the string leaves of v with newlines.
func joinStrings(v any) string {
	var b strings.Builder
	walkStrings(v, "", func(_ string, s string) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	})
	return b.String()
}

// walkStrings calls fn with the path and value of every string leaf of v,
// keys in sorted order so output is deterministic.
func walkStrings(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkStrings(x[k], p, fn)
		}
	case []any:
		for i, e := range x {
			walkStrings(e, path+"["+strconv.Itoa(i)+"]", fn)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonFields flattens a decoded JSON value into fields.
func jsonFields(v any) []field {
	var fs []field
	walkStrings(v, "", func(p, s string) {
		if s != "" {
			fs = append(fs, field{name: p, value: s})
		}
	})
	return fs
}

// readLine reads one line (without its newline) of at most max bytes; a
// longer line is consumed to its end and reported with tooLong. The
// returned slice is a copy.
func readLine(r *bufio.Reader, max int, buf []byte) (line []byte, tooLong bool, err error) {
	buf = buf[:0]
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) <= max+1 {
			buf = append(buf, chunk...)
		} else {
			tooLong = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && (len(buf) > 0 || tooLong) && errors.Is(err, io.EOF):
			return trimEOL(buf), tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return trimEOL(buf), tooLong, nil
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// jsonlReader reads JSON lines. A line that is not valid JSON is reported
// with its line number and scanned as raw text; the next line goes on.
type jsonlReader struct {
	r    *bufio.Reader
	line int64
	num  int64
	max  int
	buf  []byte
	pick *picker
	file string
}

func (j *jsonlReader) next() (*record, error) {
	for {
		ln, tooLong, err := readLine(j.r, j.max, j.buf)
		if err != nil {
			return nil, err
		}
		j.buf = ln[:0]
		j.line++
		if j.line == 1 {
			ln = bytes.TrimPrefix(ln, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(ln)) == 0 && !tooLong {
			continue
		}
		j.num++
		rec := &record{num: j.num, line: j.line}
		if tooLong {
			rec.pre = append(rec.pre, fileFinding(j.file, DetectorParse, TypeRecordTooLarge, finding.Medium,
				fmt.Sprintf("line is longer than %d bytes; not scanned", j.max)))
			return rec, nil
		}
		v, err := decodeJSONLine(ln)
		if err != nil {
			rec.pre = append(rec.pre, fileFinding(j.file, DetectorParse, TypeInvalidJSON, finding.Low,
				fmt.Sprintf("line %d is not valid JSON (%v); scanned as raw text", j.line, err)))
			rec.fields = []field{{name: "", value: string(ln)}}
			return rec, nil
		}
		rec.fields = jsonFields(v)
		rec.text, rec.label, rec.hasLabel = j.pick.pickJSON(v)
		return rec, nil
	}
}

// decodeJSONLine decodes one complete JSON value with nothing after it.
func decodeJSONLine(ln []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(ln))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the JSON value at byte %d", d.InputOffset())
	}
	return v, nil
}

// windowReader fails a read once more than limit bytes were read since the
// last mark: a JSON value or a CSV field that never ends would otherwise
// be buffered whole by encoding/json or encoding/csv.
type windowReader struct {
	r            io.Reader
	n, at, limit int64
}

// errWindow is returned when a record outgrows the window.
var errWindow = errors.New("record too large")

func (w *windowReader) Read(p []byte) (int, error) {
	if w.n-w.at > w.limit {
		return 0, fmt.Errorf("a record runs past %d bytes (at byte %d): %w", w.limit, w.n, errWindow)
	}
	k, err := w.r.Read(p)
	w.n += int64(k)
	return k, err
}

func (w *windowReader) mark() { w.at = w.n }

// jsonDocReader streams a JSON document: each element of a top-level array
// is a record, and so is each element of an array under a top-level key
// ({"records": [...]}); other values under top-level keys are one record
// each. A syntax error ends the file (JSON cannot be resynchronised).
type jsonDocReader struct {
	dec    *json.Decoder
	win    *windowReader
	state  int
	prefix string
	idx    int
	num    int64
	pick   *picker
}

const (
	jdStart = iota
	jdTopArray
	jdTopObject
	jdKeyArray
	jdDone
)

func newJSONDocReader(r io.Reader, max int, pick *picker) *jsonDocReader {
	win := &windowReader{r: r, limit: int64(max)}
	dec := json.NewDecoder(win)
	dec.UseNumber()
	return &jsonDocReader{dec: dec, win: win, pick: pick}
}

func (j *jsonDocReader) fail(err error) error {
	return fmt.Errorf("JSON at byte %d: %w", j.dec.InputOffset(), err)
}

func (j *jsonDocReader) next() (*record, error) {
	for {
		j.win.mark()
		switch j.state {
		case jdStart:
			t, err := j.dec.Token()
			if errors.Is(err, io.EOF) {
				return nil, j.fail(errors.New("empty document"))
			}
			if err != nil {
				return nil, j.fail(err)
			}
			switch t {
			case json.Delim('['):
				j.state, j.prefix = jdTopArray, "$"
				continue
			case json.Delim('{'):
				j.state = jdTopObject
				continue
			}
			j.state = jdDone
			return j.record("$", t)
		case jdTopArray, jdKeyArray:
			if j.dec.More() {
				var v any
				if err := j.dec.Decode(&v); err != nil {
					return nil, j.fail(err)
				}
				path := j.prefix + "[" + strconv.Itoa(j.idx) + "]"
				j.idx++
				return j.record(path, v)
			}
			if _, err := j.dec.Token(); err != nil {
				return nil, j.fail(err)
			}
			if j.state == jdTopArray {
				j.state = jdDone
			} else {
				j.state = jdTopObject
			}
		case jdTopObject:
			if !j.dec.More() {
				if _, err := j.dec.Token(); err != nil {
					return nil, j.fail(err)
				}
				j.state = jdDone
				continue
			}
			kt, err := j.dec.Token()
			if err != nil {
				return nil, j.fail(err)
			}
			key, _ := kt.(string)
			path := "$" + jsonPathKey(key)
			vt, err := j.dec.Token()
			if err != nil {
				return nil, j.fail(err)
			}
			if vt == json.Delim('[') {
				j.state, j.prefix, j.idx = jdKeyArray, path, 0
				continue
			}
			v, err := tokenValue(j.dec, vt, 0)
			if err != nil {
				return nil, j.fail(err)
			}
			return j.record(path, v)
		case jdDone:
			if t, err := j.dec.Token(); !errors.Is(err, io.EOF) {
				if err == nil {
					err = fmt.Errorf("unexpected %v after the document", t)
				}
				return nil, j.fail(err)
			}
			return nil, io.EOF
		}
	}
}

// record builds the record at path from a decoded value.
func (j *jsonDocReader) record(path string, v any) (*record, error) {
	j.num++
	rec := &record{num: j.num, path: path, fields: jsonFields(v)}
	rec.text, rec.label, rec.hasLabel = j.pick.pickJSON(v)
	return rec, nil
}

// jsonPathKey renders a key as a JSON path step: ".key" or `["odd key"]`.
func jsonPathKey(k string) string {
	plain := k != ""
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(isASCIILetter(c) || c == '_' || (i > 0 && c >= '0' && c <= '9')) {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	q, _ := json.Marshal(k)
	return "[" + string(q) + "]"
}

// tokenValue decodes the value whose first token is t, for values met after
// a key whose type could not be known before reading its first token.
func tokenValue(dec *json.Decoder, t json.Token, depth int) (any, error) {
	if depth > 512 {
		return nil, errors.New("nesting deeper than 512 levels")
	}
	switch t {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			vt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := tokenValue(dec, vt, depth+1)
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			m[k] = v
		}
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		var a []any
		for dec.More() {
			vt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := tokenValue(dec, vt, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return t, nil
}

// csvReader reads CSV or TSV with a header row, strictly (no lazy quotes,
// every row as wide as the header). A malformed row is reported with its
// line and skipped; a row of the wrong width is reported and still scanned.
type csvReader struct {
	cr     *csv.Reader
	win    *windowReader
	header []string
	num    int64
	pick   *picker
	file   string
}

func newCSVReader(r io.Reader, comma rune, max int, pick *picker, file string) (*csvReader, error) {
	win := &windowReader{r: r, limit: int64(max)}
	cr := csv.NewReader(win)
	cr.Comma = comma
	cr.LazyQuotes = false
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: no header row")
		}
		return nil, fmt.Errorf("header row: %w", err)
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	pick.pickHeader(header)
	return &csvReader{cr: cr, win: win, header: header, pick: pick, file: file}, nil
}

func (c *csvReader) next() (*record, error) {
	c.win.mark()
	row, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	c.num++
	rec := &record{num: c.num}
	var pe *csv.ParseError
	switch {
	case err == nil:
	case errors.Is(err, csv.ErrFieldCount) && errors.As(err, &pe):
		rec.line = int64(pe.StartLine)
		rec.pre = append(rec.pre, fileFinding(c.file, DetectorParse, TypeFieldCount, finding.Low,
			fmt.Sprintf("row has %d fields, the header has %d", len(row), len(c.header))))
	case errors.As(err, &pe):
		rec.line = int64(pe.StartLine)
		// Medium: the row's content goes unscanned.
		rec.pre = append(rec.pre, fileFinding(c.file, DetectorParse, TypeInvalidCSV, finding.Medium,
			fmt.Sprintf("malformed row at line %d, column %d: %v; skipped", pe.Line, pe.Column, pe.Err)))
		return rec, nil
	default:
		return nil, err
	}
	for i, v := range row {
		line, _ := c.cr.FieldPos(i)
		if rec.line == 0 {
			rec.line = int64(line)
		}
		if v == "" {
			continue
		}
		name := "column_" + strconv.Itoa(i+1)
		if i < len(c.header) && c.header[i] != "" {
			name = c.header[i]
		}
		rec.fields = append(rec.fields, field{name: name, value: v, line: int64(line)})
	}
	rec.text, rec.label, rec.hasLabel = c.pick.pickRow(row)
	return rec, nil
}

// textReader reads plain text as paragraphs (separated by blank lines);
// a paragraph longer than segMaxVisible is cut at line ends, and a line
// longer than that in pieces.
type textReader struct {
	r        *bufio.Reader
	nextLine int64 // line number of the next chunk (1-based)
	num      int64
	para     strings.Builder
	at       int64
	buf      []byte
	eof      bool
}

func newTextReader(r *bufio.Reader) *textReader { return &textReader{r: r, nextLine: 1} }

func (t *textReader) next() (*record, error) {
	for !t.eof {
		ln, line, err := t.chunk()
		if errors.Is(err, io.EOF) {
			t.eof = true
			break
		}
		if err != nil {
			return nil, err
		}
		blank := len(bytes.TrimSpace(ln)) == 0
		if blank && t.para.Len() > 0 {
			return t.flush(), nil
		}
		if blank {
			continue
		}
		if t.para.Len() == 0 {
			t.at = line
		}
		t.para.Write(ln)
		if t.para.Len() >= segMaxVisible {
			return t.flush(), nil
		}
	}
	if t.para.Len() > 0 {
		return t.flush(), nil
	}
	return nil, io.EOF
}

// chunk returns the next line with its newline, or the next segMaxVisible
// bytes of a longer line (cut at a rune boundary), and its line number.
func (t *textReader) chunk() ([]byte, int64, error) {
	line := t.nextLine
	t.buf = t.buf[:0]
	for len(t.buf) < segMaxVisible {
		c, err := t.r.ReadByte()
		if err != nil {
			if len(t.buf) > 0 && errors.Is(err, io.EOF) {
				return t.buf, line, nil
			}
			return nil, line, err
		}
		t.buf = append(t.buf, c)
		if c == '\n' {
			t.nextLine++
			return t.buf, line, nil
		}
	}
	for k := 0; k < 3 && !utf8.Valid(tailRune(t.buf)); k++ {
		c, err := t.r.ReadByte()
		if err != nil {
			break
		}
		t.buf = append(t.buf, c)
		if c == '\n' {
			t.nextLine++
			break
		}
	}
	return t.buf, line, nil
}

func (t *textReader) flush() *record {
	t.num++
	s := t.para.String()
	t.para.Reset()
	if t.num == 1 {
		s = strings.TrimPrefix(s, "\ufeff")
	}
	return &record{num: t.num, line: t.at, fields: []field{{name: "text", value: s}}, text: s}
}

// docReader turns HTML or Markdown segments into records: one per segment,
// the visible ones feeding the poisoning analysis.
type docReader struct {
	x       *htmlExtractor
	pending []segment
	num     int64
}

func (d *docReader) next() (*record, error) {
	if len(d.pending) == 0 {
		segs, err := d.x.Next()
		if err != nil {
			return nil, err
		}
		d.pending = append(d.pending[:0], segs...)
	}
	s := d.pending[0]
	d.pending = d.pending[1:]
	d.num++
	rec := &record{num: d.num, line: s.Line, fields: []field{{name: s.Field, value: s.Text, hiddenBy: s.HiddenBy}}}
	if s.HiddenBy == "" {
		rec.text = s.Text
	}
	return rec, nil
}

// fileFinding builds a finding the scanner places at the record later.
func fileFinding(file, detector, typ string, severity finding.Severity, msg string) Finding {
	return Finding{Finding: finding.Finding{File: file, Scanner: detector, Type: typ, Severity: severity, Score: 1, Message: msg}}
}
