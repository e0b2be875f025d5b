package model

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/scan"
)

// BenchmarkScanLargeCheckpoint scans a ~2 GB PyTorch-zip-like checkpoint:
// a small data.pkl plus 16 stored 128 MiB tensor members. The throughput
// reported (MB/s over the whole file size) shows that tensor payloads are
// skipped, not read.
func BenchmarkScanLargeCheckpoint(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.pt")
	size := writeLargeCheckpoint(b, path, 16, 128<<20)
	s := New()
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		res := s.ScanFile(context.Background(), path)
		if res.Verdict != scan.Clean {
			b.Fatalf("verdict %s: %+v %s", res.Verdict, res.Findings, res.Error)
		}
	}
}

// BenchmarkPickleMachine measures the machine alone on a 10 MB pickle of
// small opcodes (the shape of a large state_dict's data.pkl).
func BenchmarkPickleMachine(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("\x80\x02]")
	for i := 0; buf.Len() < 10<<20; i++ {
		if i%1000 == 0 { // pickle batches APPENDS by 1000 items
			buf.WriteString("(")
		}
		buf.WriteString("K\x07\x8c\x06weight\x86q")
		buf.WriteByte(byte(i))
		if i%1000 == 999 {
			buf.WriteString("e")
		}
	}
	buf.WriteString("e.")
	data := buf.Bytes()
	p := newGlobalPolicy(nil)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scanPickleStream(context.Background(), bytes.NewReader(data), 0, p, pickleOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func writeLargeCheckpoint(b *testing.B, path string, members int, memberSize int64) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	add := func(name string, r io.Reader) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			b.Fatal(err)
		}
	}
	// The data.pkl of the fixture (one tensor): enough pickle to exercise the
	// machine; the payload members dominate the size.
	zr, err := zip.OpenReader(filepath.Join("testdata", "torch_benign.pt"))
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.Name == "archive/data.pkl" {
			rc, err := zf.Open()
			if err != nil {
				b.Fatal(err)
			}
			add(zf.Name, rc)
			rc.Close()
		}
	}
	for i := range members {
		add(fmt.Sprintf("archive/data/%d", i), io.LimitReader(zeroReader{}, memberSize))
	}
	add("archive/version", io.LimitReader(zeroReader{}, 2))
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
