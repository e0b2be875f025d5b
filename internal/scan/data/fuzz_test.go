package data

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// fuzzScanner has every detector but injection (slow, and fuzzed in its own
// package) so that fuzzing exercises the readers, not the classifier.
var fuzzScanner = sync.OnceValues(func() (*Scanner, error) {
	return New(Options{Workers: 1, MinSeverity: finding.Info,
		Detectors: []string{DetectorPII, DetectorSecrets, DetectorInvisible, DetectorHidden, DetectorPoisoning}})
})

// checkScan scans in as the given file and checks the invariants every
// input must keep: no panic, no error, spans inside their field, records
// counted.
func checkScan(t *testing.T, name, in string) {
	s, err := fuzzScanner()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ScanReader(context.Background(), strings.NewReader(in), name, func(f Finding) error {
		if f.Start < 0 || f.End < f.Start {
			t.Errorf("bad span %d..%d in %+v", f.Start, f.End, f)
		}
		if f.Severity == 0 || f.Scanner == "" || f.Type == "" {
			t.Errorf("incomplete finding %+v", f)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScanReader: %v", err)
	}
	if res.Verdict == "" || res.Records < 0 || res.Bytes != int64(len(in)) && res.Verdict != scan.Error && !res.Sampled {
		t.Errorf("result %+v for %d input bytes", res, len(in))
	}
}

func FuzzHTMLTokenizer(f *testing.F) {
	for _, s := range []string{
		`<p style="display:none">x</p>`, `<!-- c -->`, `<a b='c' d=e f>g</a>`, `<script>x</script>`,
		`<title>&amp;</title>`, `<!DOCTYPE html>`, `<<>>`, `</`, `<!--`, `<a "b"=c>`, `<style>.x{display:none}</style><i class=x>y</i>`,
		"```\n<b>\n```", `[//]: # (hi)`, `&#x110000;&#55296;&`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// The tokenizer alone: terminates, keeps its bounds, never errors.
		z := newHTMLTokenizer(strings.NewReader(in), len(in)%2 == 0)
		for i := 0; ; i++ {
			tok, err := z.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if len(tok.Text) > htmlMaxTag+htmlMaxText {
				t.Fatalf("token of %d bytes", len(tok.Text))
			}
			if i > len(in)+2 {
				t.Fatalf("more tokens (%d) than input bytes (%d)", i, len(in))
			}
		}
		checkScan(t, "f.html", in)
		checkScan(t, "f.md", in)
	})
}

func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		"{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":0}\n", "{bad\n\n{}", "[1,2]\n\"s\"\n", "\xef\xbb\xbf{}\r\n",
		"{\"a\":{\"b\":[\"c\",{\"d\":\"e\"}]}}", "{} {}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkScan(t, "f.jsonl", in)
		checkScan(t, "f.json", in)
	})
}

func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"text,label\na,1\n", "a,b\n\"x\ny\",2\n", "a\tb\n1\t2\t3\n", "a,b\n\"unterminated\n", "a,b\nx\"y,1\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkScan(t, "f.csv", in)
		checkScan(t, "f.tsv", in)
	})
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"a\n\nb", "\ufeffx", strings.Repeat("é", 9000), "\r\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkScan(t, "f.txt", in) })
}
