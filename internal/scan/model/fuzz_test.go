package model

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// seedFixtures adds every fixture with one of the extensions to the corpus.
func seedFixtures(f *testing.F, exts ...string) {
	for _, ext := range exts {
		paths, _ := filepath.Glob(filepath.Join("testdata", "*"+ext))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzPickle runs the machine on arbitrary bytes: it must never panic, and
// its findings stay bounded by the input (limits on stack, memo, items).
func FuzzPickle(f *testing.F) {
	seedFixtures(f, ".pkl", ".joblib", ".pt")
	f.Add([]byte("\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93."))
	f.Add([]byte("(((((((((((((((((((((t."))
	f.Add([]byte("\x80\x02]\x94(h\x00h\x00h\x00e."))
	p := newGlobalPolicy(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, _ := scanPickleStream(context.Background(), bytes.NewReader(data), 0, p, pickleOptions{joblib: true})
		if len(fs) > 2*len(data)+4 {
			t.Fatalf("%d findings from %d bytes", len(fs), len(data))
		}
	})
}

// FuzzZip scans arbitrary bytes as a zip: no panics, no runaway reads.
func FuzzZip(f *testing.F) {
	seedFixtures(f, ".zip", ".npz", ".pt")
	s := New(WithMaxDecompressed(1<<20), WithMaxDepth(2))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = zipFormat{kind: "zip"}.Scan(context.Background(), bytes.NewReader(data), "f.zip", s)
		_ = s.ScanSource(context.Background(), bytes.NewReader(data), "f.zip")
	})
}

// FuzzNPY scans arbitrary bytes as a .npy file.
func FuzzNPY(f *testing.F) {
	seedFixtures(f, ".npy")
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': [(('t','n'),'<f4',(2,3))], 'shape': (), }"))
	s := New()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = npyFormat{}.Scan(context.Background(), bytes.NewReader(data), "f.npy", s)
	})
}
