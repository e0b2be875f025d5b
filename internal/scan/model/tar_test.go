package model

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// torchTar builds a legacy PyTorch tar checkpoint from the fixture's
// members, with changes: a member mapped to "" is left out.
func torchTar(t *testing.T, change map[string]string) []byte {
	t.Helper()
	members := []string{
		"sys_info", "\x80\x02}q\x00X\x0d\x00\x00\x00little_endianq\x01\x88s.",
		"pickle", "\x80\x02X\x02\x00\x00\x00t0q\x00.",
		"tensors", pickleInt(0),
		"storages", pickleInt(0) + "\x80\x02]q\x00.",
	}
	var out []string
	for i := 0; i < len(members); i += 2 {
		body := members[i+1]
		if c, ok := change[members[i]]; ok {
			if c == "" {
				continue
			}
			body = c
		}
		out = append(out, members[i], body)
	}
	return tarOf(out...)
}

func TestTorchTarScan(t *testing.T) {
	s := New()
	tests := []struct {
		name    string
		data    []byte
		want    []string
		wantErr string
	}{
		{name: "benign", data: torchTar(t, nil)},
		{name: "no storages member", data: torchTar(t, map[string]string{"storages": ""}), wantErr: `no "storages" member`},
		{name: "no pickle member", data: torchTar(t, map[string]string{"pickle": ""}), wantErr: `no "pickle" member`},
		// The sniffer takes "I+1\n" for no pickle (its INT check wants
		// digits), Python's int() takes it: the member must be scanned
		// as the pickle torch.load reads, not skipped as unknown content.
		{
			name: "pickle member the sniffer does not recognise",
			data: torchTar(t, map[string]string{"pickle": "I+1\n0cos\nsystem\n(S'id'\ntR."}),
			want: []string{"pickle_dangerous_global/critical"},
		},
		{
			name: "truncated pickle member", data: torchTar(t, map[string]string{"pickle": "\x80\x02X\x02\x00\x00\x00t0"}),
			want: []string{"scan_error/info"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !newPyTorchTar().Sniff(tt.data[:sniffLen], "m.tar") {
				t.Fatal("the test archive is not sniffed as a PyTorch tar")
			}
			fs, err := newPyTorchTar().Scan(context.Background(), sliceSource(tt.data), "m.tar", s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Scan error = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			got := formatRules(fs, finding.Info)
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(got, " "), w) {
					t.Errorf("findings %v, want %s", got, w)
				}
			}
			if len(tt.want) == 0 && len(got) != 0 {
				t.Errorf("findings %v, want none", got)
			}
		})
	}
}

// TestTarHugeMemberSize is the regression test for a member size near
// MaxInt64 (a base-256 size field): off+size overflowed, the bounds check
// passed, and the member claimed to be exabytes long, so a sniffed HDF5
// member made the Keras fallback allocate its 64 MiB window.
func TestTarHugeMemberSize(t *testing.T) {
	data := tarOf("model.h5", "\x89HDF\r\n\x1a\n"+strings.Repeat("\x00", 600))
	size := data[124:136]
	copy(size, "\x80\x00\x00\x00\x7f\xff\xff\xff\xff\xff\xff\xff")
	fixTarChecksum(data[:512])
	for _, sc := range []formatScanner{newTar(), newPyTorchTar()} {
		before := heapAllocated()
		fs, err := sc.Scan(context.Background(), sliceSource(data), "m.tar", New())
		if err == nil || !strings.Contains(err.Error(), "past the end of the file") {
			t.Errorf("%s: Scan error = %v (findings %+v), want the member reported truncated", sc.Name(), err, fs)
		}
		if got := heapAllocated() - before; got > 4<<20 {
			t.Errorf("%s: scanning a %d-byte tar allocated %d bytes", sc.Name(), len(data), got)
		}
	}
}

func TestTorchLegacyTruncated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "torch_legacy.pt"))
	if err != nil {
		t.Fatal(err)
	}
	// Offsets where each of the five pickles ends.
	var ends []int
	for n := 1; n <= 5; n++ {
		for k := len(torchLegacyMagic); k <= len(data); k++ {
			if countPickles(data[:k], n, false) == n {
				ends = append(ends, k)
				break
			}
		}
	}
	if len(ends) != 5 {
		t.Fatalf("found the ends of %d pickles in the fixture, want 5", len(ends))
	}
	for i, end := range ends[:4] {
		for _, cut := range []int{end, end + 1} {
			_, err := newTorchLegacy().Scan(context.Background(), sliceSource(data[:cut]), "m.pt", New())
			if err == nil {
				t.Errorf("file cut at byte %d, after %d pickles, scanned without error", cut, i+1)
			}
		}
	}
	// A sixth pickle-looking byte or raw data after the fifth is storage
	// data torch reads by offset: not an error.
	if _, err := newTorchLegacy().Scan(context.Background(), sliceSource(data[:ends[4]]), "m.pt", New()); err != nil {
		t.Errorf("five whole pickles: %v", err)
	}
	res := New().ScanSource(context.Background(), sliceSource(data[:ends[1]]), "m.pt")
	if res.Verdict != scan.Error {
		t.Errorf("verdict %s for a legacy file cut after two pickles, want error", res.Verdict)
	}
}
