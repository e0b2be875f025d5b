package data

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// sniffHead is how many bytes sniffing looks at.
const sniffHead = 8 << 10

// extFormats are the formats an extension promises; content may overrule
// (a ".json" file holding JSON lines, a ".txt" file holding HTML).
var extFormats = map[string]Format{
	".jsonl": FormatJSONL, ".ndjson": FormatJSONL, ".jsonlines": FormatJSONL, ".json": FormatJSON,
	".csv": FormatCSV, ".tsv": FormatTSV, ".tab": FormatTSV, ".txt": FormatText, ".text": FormatText,
	".md": FormatMarkdown, ".markdown": FormatMarkdown, ".mdx": FormatMarkdown,
	".html": FormatHTML, ".htm": FormatHTML, ".xhtml": FormatHTML,
}

// sniffFormat decides a file's format from its first bytes and its name
// (without any ".gz"). Strong content signals (JSON, an HTML document,
// binary magic) win over the extension; otherwise the extension decides,
// then weaker content signals.
func sniffFormat(head []byte, name string) Format {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte("PAR1")) || bytes.HasPrefix(head, []byte("ARROW1")) ||
		bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return FormatUnsupported
	}
	if isBinary(head) {
		return FormatBinary
	}
	ext := extFormats[strings.ToLower(filepath.Ext(name))]
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && ext != FormatCSV && ext != FormatTSV && ext != FormatMarkdown {
		if looksLikeJSONL(trimmed) {
			return FormatJSONL
		}
		if ext == FormatJSONL {
			return FormatJSONL
		}
		return FormatJSON
	}
	if looksLikeHTMLDocument(trimmed) && ext != FormatMarkdown {
		return FormatHTML
	}
	if ext != "" {
		return ext
	}
	switch {
	case looksLikeHTMLFragment(trimmed):
		return FormatHTML
	case looksLikeMarkdown(head):
		return FormatMarkdown
	}
	if sep := delimiter(head); sep == '\t' {
		return FormatTSV
	} else if sep == ',' {
		return FormatCSV
	}
	return FormatText
}

// isBinary: NUL bytes, or mostly invalid UTF-8, in the head.
func isBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 && len(head)-i >= utf8.UTFMax {
			bad++
		}
		i += size
	}
	return bad*10 > len(head)
}

// looksLikeJSONL: the first line is one complete JSON value and another
// line follows that starts like one.
func looksLikeJSONL(head []byte) bool {
	i := bytes.IndexByte(head, '\n')
	if i < 0 {
		return false
	}
	if !json.Valid(bytes.TrimSpace(head[:i])) {
		return false
	}
	rest := bytes.TrimLeft(head[i+1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '{' || rest[0] == '['
}

func looksLikeHTMLDocument(head []byte) bool {
	h := bytes.ToLower(head[:min(len(head), 1024)])
	for _, p := range []string{"<!doctype html", "<html", "<head", "<?xml version"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return bytes.HasPrefix(h, []byte("<!--")) && bytes.Contains(h, []byte("<html"))
}

func looksLikeHTMLFragment(head []byte) bool {
	h := bytes.ToLower(head[:min(len(head), 1024)])
	for _, p := range []string{"<body", "<div", "<p>", "<p ", "<span", "<table", "<section", "<article", "<meta", "<title"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return false
}

// looksLikeMarkdown: headings, fences or front matter at line starts.
func looksLikeMarkdown(head []byte) bool {
	if bytes.HasPrefix(head, []byte("---\n")) {
		return true
	}
	for ln := range bytes.SplitSeq(head, []byte("\n")) {
		if bytes.HasPrefix(ln, []byte("# ")) || bytes.HasPrefix(ln, []byte("## ")) || bytes.HasPrefix(ln, []byte("```")) {
			return true
		}
	}
	return false
}

// delimiter guesses a CSV/TSV separator: the first complete lines (up to
// five, at least two) have the same non-zero count of it.
func delimiter(head []byte) byte {
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last may be cut
	}
	lines = lines[:min(len(lines), 5)]
	if len(lines) < 2 {
		return 0
	}
	for _, sep := range []byte{'\t', ','} {
		n := bytes.Count(lines[0], []byte{sep})
		if n == 0 {
			continue
		}
		same := true
		for _, ln := range lines[1:] {
			if bytes.Count(ln, []byte{sep}) != n {
				same = false
				break
			}
		}
		if same {
			return sep
		}
	}
	return 0
}
