package data

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// fullScanner is built once: the injection classifier takes a moment.
var fullScanner = sync.OnceValues(func() (*Scanner, error) { return New(Options{MinSeverity: finding.Info}) })

// scanString scans content named name with s (the full scanner when nil).
func scanString(t *testing.T, s *Scanner, name, content string) (FileResult, []Finding) {
	t.Helper()
	if s == nil {
		var err error
		if s, err = fullScanner(); err != nil {
			t.Fatal(err)
		}
	}
	var got []Finding
	res, err := s.ScanReader(context.Background(), strings.NewReader(content), name, func(f Finding) error {
		got = append(got, f)
		return nil
	})
	if err != nil {
		t.Fatalf("ScanReader(%s): %v", name, err)
	}
	return res, got
}

// only keeps the findings of one detector.
func only(fs []Finding, detector string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Scanner == detector {
			out = append(out, f)
		}
	}
	return out
}

// where is a finding's location, for comparisons.
type where struct {
	Record, Line int64
	Path, Field  string
	Type         string
}

func locations(fs []Finding) []where {
	var out []where
	for _, f := range fs {
		out = append(out, where{f.Record, f.Line, f.Path, f.Field, f.Type})
	}
	return out
}

func TestSniffFormat(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"a.jsonl", "{\"a\":1}\n{\"a\":2}\n", FormatJSONL},
		{"a.json", "{\"a\":1}\n{\"a\":2}\n", FormatJSONL},
		{"a.json", "[\n {\"a\": 1},\n {\"a\": 2}\n]", FormatJSON},
		{"a.json", "{\n \"records\": []\n}", FormatJSON},
		{"noext", "{\"a\":1}", FormatJSON},
		{"a.csv", "text,label\nhi,1\n", FormatCSV},
		{"a.tsv", "text\tlabel\nhi\t1\n", FormatTSV},
		{"noext", "text\tlabel\nhi\t1\nho\t0\n", FormatTSV},
		{"noext", "a,b,c\n1,2,3\n4,5,6\n", FormatCSV},
		{"a.txt", "plain words", FormatText},
		{"a.txt", "<!DOCTYPE html><html>", FormatHTML},
		{"page", "<html><body>x", FormatHTML},
		{"frag", "<div>x</div>", FormatHTML},
		{"a.md", "<div>x</div>", FormatMarkdown},
		{"notes", "# Title\n\ntext", FormatMarkdown},
		{"notes", "just some words, nothing more", FormatText},
		{"x.parquet", "PAR1\x15\x04", FormatUnsupported},
		{"x.bin", "\x00\x01\x02\x03", FormatBinary},
		{"a.csv", "[1,2]\n", FormatCSV},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+string(tc.want), func(t *testing.T) {
			if got := sniffFormat([]byte(tc.head), tc.name); got != tc.want {
				t.Errorf("sniffFormat(%q, %q) = %s, want %s", tc.head, tc.name, got, tc.want)
			}
		})
	}
}

func TestJSONLCorruptLine(t *testing.T) {
	in := "{\"text\":\"fine\",\"label\":0}\n\n{\"text\": \"broken\n" +
		"{\"text\":\"mail me at jane.doe@example.com\",\"label\":1}\n" +
		"{\"a\":1} {\"b\":2}\n" +
		"\"just a string with 4111 1111 1111 1111\"\n"
	res, fs := scanString(t, nil, "d.jsonl", in)
	want := []where{
		{Record: 2, Line: 3, Type: TypeInvalidJSON},
		{Record: 3, Line: 4, Field: "text", Type: "email"},
		{Record: 4, Line: 5, Type: TypeInvalidJSON},
		{Record: 5, Line: 6, Field: "", Type: "credit_card"},
	}
	var relevant []Finding
	for _, f := range fs {
		if f.Scanner == DetectorParse || f.Scanner == DetectorPII {
			relevant = append(relevant, f)
		}
	}
	if diff := cmp.Diff(want, locations(relevant)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Records != 5 || res.Verdict != scan.Suspicious || res.Error != "" {
		t.Errorf("result = %+v, want 5 records, suspicious, no error", res)
	}
}

// TestJSONLRawTextOfBadLine checks that a line that is not JSON is still
// scanned: a secret in it must not escape.
func TestJSONLRawTextOfBadLine(t *testing.T) {
	res, fs := scanString(t, nil, "d.jsonl", "{\"ok\":1}\n{oops GITLAB_TOKEN=glpat-yfePpX6N1NF2XV54wca_\n")
	if len(only(fs, DetectorSecrets)) == 0 || res.Verdict != scan.Malicious {
		t.Errorf("secret in a corrupt line: verdict %s, findings %+v", res.Verdict, fs)
	}
}

func TestJSONDocument(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []where
		records   int64
		err       bool
	}{
		{"array", `[{"text":"x"},{"text":"contact jane.doe@example.com"}]`,
			[]where{{Record: 2, Path: "$[1]", Field: "text", Type: "email"}}, 2, false},
		{"records object", `{"version":"1","data":[{"t":"a"},{"t":"b","meta":{"who":"jane.doe@example.com"}}],"odd key":{"x":"bob@example.org"}}`,
			[]where{{Record: 3, Path: "$.data[1]", Field: "meta.who", Type: "email"}, {Record: 4, Path: `$["odd key"]`, Field: "x", Type: "email"}}, 4, false},
		{"strings", `["a", "jane.doe@example.com"]`, []where{{Record: 2, Path: "$[1]", Type: "email"}}, 2, false},
		{"syntax error keeps earlier findings", `[{"t":"jane.doe@example.com"}, {"t": oops}]`,
			[]where{{Record: 1, Path: "$[0]", Field: "t", Type: "email"}}, 1, true},
		{"trailing garbage", `{"a":"b"} x`, nil, 1, true},
		{"empty", ``, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, fs := scanString(t, nil, "d.json", tc.doc)
			if diff := cmp.Diff(tc.want, locations(only(fs, DetectorPII))); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if res.Records != tc.records || (res.Verdict == scan.Error) != tc.err {
				t.Errorf("records %d, verdict %s (%s); want %d records, error %v", res.Records, res.Verdict, res.Error, tc.records, tc.err)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	in := "id,text,label\n" +
		"1,hello,pos\n" +
		"2,\"multi\nline jane.doe@example.com\",neg\n" +
		"3,too,many,fields bob@example.org\n" +
		"4,bad \"quote,pos\n" +
		"5,after the bad row alice@example.net,pos\n"
	res, fs := scanString(t, nil, "d.csv", in)
	var relevant []Finding
	for _, f := range fs {
		if f.Scanner == DetectorParse || f.Scanner == DetectorPII {
			relevant = append(relevant, f)
		}
	}
	want := []where{
		{Record: 2, Line: 3, Field: "text", Type: "email"},
		{Record: 3, Line: 5, Type: TypeFieldCount},
		{Record: 3, Line: 5, Field: "column_4", Type: "email"},
		{Record: 4, Line: 6, Type: TypeInvalidCSV},
		{Record: 5, Line: 7, Field: "text", Type: "email"},
	}
	if diff := cmp.Diff(want, locations(relevant)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.TextField != "text" || res.LabelField != "label" || res.Records != 5 {
		t.Errorf("result = %+v, want text/label fields and 5 records", res)
	}
}

func TestTSVAndHeaderErrors(t *testing.T) {
	res, fs := scanString(t, nil, "d.tsv", "sentence\tclass\nwrite to jane.doe@example.com\t1\n")
	if diff := cmp.Diff([]where{{Record: 1, Line: 2, Field: "sentence", Type: "email"}}, locations(only(fs, DetectorPII))); diff != "" {
		t.Errorf("TSV findings (-want +got):\n%s", diff)
	}
	if res.TextField != "sentence" || res.LabelField != "class" {
		t.Errorf("fields = %q/%q, want sentence/class", res.TextField, res.LabelField)
	}
	for _, in := range []string{"", "a,\"b\n"} {
		if res, _ := scanString(t, nil, "d.csv", in); res.Verdict != scan.Error {
			t.Errorf("CSV %q: verdict %s, want error", in, res.Verdict)
		}
	}
}

func TestTextParagraphs(t *testing.T) {
	in := "\ufeffFirst paragraph\nstill first.\n\n\n  \nSecond with jane.doe@example.com\n" + strings.Repeat("long line ", 5000) + "\nend"
	res, fs := scanString(t, nil, "notes.txt", in)
	if diff := cmp.Diff([]where{{Record: 2, Line: 6, Field: "text", Type: "email"}}, locations(only(fs, DetectorPII))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// 50 KB of one line is cut into pieces of segMaxVisible bytes.
	if want := int64(2 + 50000/segMaxVisible); res.Records < want {
		t.Errorf("records = %d, want at least %d", res.Records, want)
	}
}

func TestReadLine(t *testing.T) {
	s, err := New(Options{MaxRecordBytes: 32, Detectors: []string{DetectorPII}})
	if err != nil {
		t.Fatal(err)
	}
	long := fmt.Sprintf(`{"t":"%s"}`, strings.Repeat("x", 100))
	res, fs := scanString(t, s, "d.jsonl", "{\"t\":\"ok\"}\n"+long+"\n{\"t\":\"jane.doe@example.com\"}")
	want := []where{{Record: 2, Line: 2, Type: TypeRecordTooLarge}, {Record: 3, Line: 3, Field: "t", Type: "email"}}
	if diff := cmp.Diff(want, locations(fs)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.Records != 3 {
		t.Errorf("records = %d, want 3", res.Records)
	}
}
