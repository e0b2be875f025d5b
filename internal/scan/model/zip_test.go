package model

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/redoubt-sec/redoubt/internal/scan"
)

// TestZipBombActual builds a member whose declared size is honest-looking
// but whose deflated data expands far beyond it, past the ratio limit.
func TestZipBombActual(t *testing.T) {
	if testing.Short() {
		t.Skip("expands 100+ MB")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bomb.pkl", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 110 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	// Lie in the central directory: claim 1 KiB so the declared check passes.
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	copy(data[cd+24:], []byte{0, 4, 0, 0})
	res := New(WithTempDir(t.TempDir())).ScanSource(context.Background(), bytes.NewReader(data), "bomb.zip")
	rules := keysOf(res.Findings)
	for _, want := range []ruleKey{{"zip_bomb", "", "bomb.pkl"}, {"archive_size_mismatch", "", "bomb.pkl"}} {
		if !rules[want] {
			t.Errorf("missing %+v in %+v", want, res.Findings)
		}
	}
}

// TestMaterializeSpills checks that a large deflated member goes to a temp
// file rather than memory, and is still scanned.
func TestMaterializeSpills(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "data.pkl", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	evil, err := os.ReadFile(filepath.Join("testdata", "evil_global_p0.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	// The pickle, then 2 MiB of data after STOP.
	if _, err := w.Write(evil); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, zeroReader{}, 2<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	res := New(WithMemoryBuffer(64<<10), WithTempDir(tmp)).ScanSource(context.Background(), bytes.NewReader(buf.Bytes()), "m.zip")
	if res.Verdict != scan.Malicious {
		t.Errorf("verdict %s, want malicious: %+v", res.Verdict, res.Findings)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestUnsafeArchivePath(t *testing.T) {
	tests := map[string]bool{
		"archive/data.pkl": false,
		"a/../b":           true,
		"../x":             true,
		`..\x`:             true,
		"/etc/passwd":      true,
		`C:\win.ini`:       true,
		"c:x":              true,
		"a..b/c":           false,
		"x\x00y":           true,
	}
	for name, want := range tests {
		if _, got := unsafeArchivePath(name); got != want {
			t.Errorf("unsafeArchivePath(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestTorchZipPickleIsScannedAsLoaded checks that data.pkl is read as
// torch.load reads it, whatever its first bytes: a data.pkl that is no
// pickle used to be skipped by the sniffer and the checkpoint passed as
// clean.
func TestTorchZipPickleIsScannedAsLoaded(t *testing.T) {
	tests := []struct {
		name, pkl string
		want      scan.Verdict
	}{
		{"benign", "\x80\x02}q\x00.", scan.Clean},
		{"not a pickle", "this is not a pickle", scan.Error},
		{"truncated", "\x80\x02}q\x00", scan.Error},
		{"protocol 0 that Python reads", "I+1\n0cos\nsystem\n(S'id'\ntR.", scan.Malicious},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := kerasZip("archive/data.pkl", tt.pkl, "archive/version", "3\n")
			res := New().ScanSource(context.Background(), sliceSource(data), "m.pt")
			if res.Format != "pytorch_zip" || res.Verdict != tt.want {
				t.Errorf("format %s, verdict %s, want pytorch_zip and %s (findings %+v)", res.Format, res.Verdict, tt.want, res.Findings)
			}
		})
	}
}
