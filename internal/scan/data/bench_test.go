package data

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/scan"
)

// writeBenchJSONL writes about size bytes of review-like JSON lines, with
// a few e-mail addresses, to a file in dir.
func writeBenchJSONL(b *testing.B, dir string, size int64) (string, int64) {
	b.Helper()
	path := filepath.Join(dir, "bench.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var n int64
	for i := 0; n < size; i++ {
		text := review(r, i%2) + " " + review(r, i%2)
		if i%500 == 0 {
			text += fmt.Sprintf(" contact user%d@example.com", i)
		}
		k, err := fmt.Fprintf(f, "{\"id\":%d,\"text\":%q,\"label\":%d}\n", i, text, i%2)
		if err != nil {
			b.Fatal(err)
		}
		n += int64(k)
	}
	return path, n
}

// BenchmarkScanJSONL100MB scans a generated 100 MB JSON-lines file with
// every detector, and with the fast ones only (no injection classifier).
func BenchmarkScanJSONL100MB(b *testing.B) {
	size := int64(100 << 20)
	if testing.Short() {
		size = 8 << 20
	}
	path, n := writeBenchJSONL(b, b.TempDir(), size)
	for _, bc := range []struct {
		name      string
		detectors []string
	}{
		{"all", nil},
		{"no-injection", []string{DetectorPII, DetectorSecrets, DetectorInvisible, DetectorHidden, DetectorPoisoning}},
		{"poisoning-only", []string{DetectorPoisoning}},
		{"no-poisoning", []string{DetectorPII, DetectorSecrets, DetectorInjection, DetectorInvisible, DetectorHidden}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(Options{Detectors: bc.detectors})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(n)
			for b.Loop() {
				res, err := s.ScanFile(context.Background(), path, nil)
				if err != nil || res.Verdict == scan.Error {
					b.Fatalf("scan: %v %s", err, res.Error)
				}
			}
		})
	}
}

func BenchmarkHTMLExtract(b *testing.B) {
	doc := strings.Repeat(`<div class="c"><p style="color:#333">Some <b>bold</b> text &amp; more.</p><!-- c --><img alt="pic"></div>`+"\n", 2000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		x := newHTMLExtractor(strings.NewReader(doc), false)
		for {
			if _, err := x.Next(); err != nil {
				break
			}
		}
	}
}
