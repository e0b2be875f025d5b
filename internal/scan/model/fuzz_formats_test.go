package model

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
	"time"
)

// Fuzz targets for the parsers that had none: tar and legacy PyTorch
// layouts, the joblib front end and the Keras v3 config. Each input is
// checked for what a hostile file must never achieve:
//
//   - a panic (the fuzzer reports it);
//   - a hang: every scan runs under a deadline and must finish before it;
//   - an allocation driven by what the file declares rather than by its
//     size: the bytes allocated during a scan are capped;
//   - findings that point outside the file.

// fuzzDeadline bounds one scan of a fuzz input, which is a few KiB at
// most: anything near it is a hang, even on a loaded machine.
const fuzzDeadline = 10 * time.Second

// fuzzAllocBudget is how many bytes a scan of n input bytes may allocate:
// fixed buffers (a 64 KiB pickle reader per stream, a 256 KiB
// decompression chunk, zip and tar bookkeeping) plus a generous multiple
// of the input. A buffer sized from a length field in the file, the bug
// this catches, blows through it.
func fuzzAllocBudget(n int) uint64 { return 32<<20 + 512*uint64(n) }

// heapAllocated returns the bytes allocated so far by the process. Each
// fuzz worker is a process of its own running one input at a time, so the
// difference over a scan is what the scan allocated.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// fuzzScan runs scan under the deadline and the allocation budget and
// checks the findings' offsets against size (the file size, or -1 when
// offsets need not map to the file).
func fuzzScan(t *testing.T, what string, data []byte, size int64, scan func(ctx context.Context) ([]Finding, error)) ([]Finding, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fuzzDeadline)
	defer cancel()
	// A scan that ignores its context never returns, and the fuzzer has no
	// per-input timeout: crash the worker so that the input is kept.
	watchdog := time.AfterFunc(2*fuzzDeadline, func() {
		panic(fmt.Sprintf("%s: scan of %d bytes still running after %v", what, len(data), 2*fuzzDeadline))
	})
	defer watchdog.Stop()
	before := heapAllocated()
	start := time.Now()
	fs, err := scan(ctx)
	if ctx.Err() != nil {
		t.Fatalf("%s: scan of %d bytes did not finish in %v", what, len(data), time.Since(start))
	}
	if got := heapAllocated() - before; got > fuzzAllocBudget(len(data)) {
		t.Fatalf("%s: scan of %d bytes allocated %d bytes (budget %d)", what, len(data), got, fuzzAllocBudget(len(data)))
	}
	for _, f := range fs {
		if f.Type == "" || f.Message == "" || f.Severity == 0 {
			t.Fatalf("%s: incomplete finding %+v", what, f)
		}
		if size >= 0 && (offsetOf(f) < -1 || offsetOf(f) > size) {
			t.Fatalf("%s: finding %s at offset %d outside the %d-byte file", what, f.Type, offsetOf(f), size)
		}
	}
	return fs, err
}

// fuzzScanner is the Scanner the fuzz targets dispatch members through:
// small caps, so that no input can legitimately need much memory.
func fuzzScanner() *Scanner {
	return New(WithMaxDecompressed(1<<20), WithMemoryBuffer(1<<20), WithMaxDepth(3))
}

// tarOf builds a tar archive from name/content pairs, in order.
func tarOf(members ...string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i+1 < len(members); i += 2 {
		if err := tw.WriteHeader(&tar.Header{Name: members[i], Mode: 0o644, Size: int64(len(members[i+1])), Typeflag: tar.TypeReg}); err != nil {
			panic(err)
		}
		_, _ = tw.Write([]byte(members[i+1]))
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// pickleInt is a protocol 2 pickle of a small integer.
func pickleInt(n byte) string { return "\x80\x02K" + string([]byte{n}) + "." }

// FuzzTar scans arbitrary bytes as a PyTorch legacy tar, as a plain tar,
// and through the Scanner's sniffing. With fix set, the target recomputes
// the checksum of every block that looks like a tar header, so that the
// fuzzer's changes to sizes, types and names reach the scanners instead of
// stopping at archive/tar's checksum test.
func FuzzTar(f *testing.F) {
	var seeds [][]byte
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.tar"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	storage := "\x80\x02X\x01\x00\x00\x000X\x03\x00\x00\x00cpuctorch\nFloatStorage\n\x87."
	i64 := func(n uint64) string { return string(binary.LittleEndian.AppendUint64(nil, n)) }
	seeds = append(seeds,
		tarOf("sys_info", pickleInt(1), "pickle", pickleInt(2), "tensors", pickleInt(0),
			"storages", pickleInt(1)+storage+i64(4)+string(make([]byte, 16))+"\x80\x02]."),
		// A storage that declares more elements than the member holds.
		tarOf("sys_info", pickleInt(1), "storages", pickleInt(1)+storage+i64(1<<40)),
		tarOf("sys_info", pickleInt(1), "tensors", pickleInt(1)+"\x80\x02K\x00."+"\x40\x00\x00\x00\x00\x00\x00\x00"),
		tarOf("a/../../b.pkl", "\x80\x02cos\nsystem\n."))
	for _, data := range seeds {
		f.Add(data, false)
		f.Add(data, true)
	}
	s := fuzzScanner()
	f.Fuzz(func(t *testing.T, data []byte, fix bool) {
		if fix {
			data = bytes.Clone(data) // the engine's input must not be modified
			for i := 0; i+512 <= len(data); i += 512 {
				if string(data[i+257:i+262]) == "ustar" {
					fixTarChecksum(data[i : i+512])
				}
			}
		}
		size := int64(len(data))
		for _, sc := range []formatScanner{newPyTorchTar(), newTar()} {
			fuzzScan(t, sc.Name(), data, size, func(ctx context.Context) ([]Finding, error) {
				return sc.Scan(ctx, sliceSource(data), "f.tar", s)
			})
		}
		fuzzScan(t, "ScanSource", data, size, func(ctx context.Context) ([]Finding, error) {
			res := s.ScanSource(ctx, sliceSource(data), "f.tar")
			return res.Findings, nil
		})
	})
}

// legacyTorchSeed is testdata/torch_legacy.pt cut after each of its
// pickles and inside its storage data.
func legacyTorchSeeds(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "torch_legacy.pt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{len(torchLegacyMagic), len(torchLegacyMagic) + 6, len(data) / 2, len(data) - 8, len(data)} {
		f.Add(data[:n])
	}
}

// FuzzTorchLegacy scans arbitrary bytes as a legacy (pre-zip) PyTorch
// file. Inputs that do not start with the magic number get it prepended,
// so that every input exercises the format.
func FuzzTorchLegacy(f *testing.F) {
	legacyTorchSeeds(f)
	s := fuzzScanner()
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, torchLegacyMagic) {
			data = append(append([]byte(nil), torchLegacyMagic...), data...)
		}
		_, err := fuzzScan(t, "pytorch_legacy", data, int64(len(data)), func(ctx context.Context) ([]Finding, error) {
			return newTorchLegacy().Scan(ctx, sliceSource(data), "f.pt", s)
		})
		// torch.load reads five pickles: a file with fewer is corrupt and
		// must not pass.
		if err == nil && countPickles(data, 5, false) < 5 {
			t.Fatalf("scan accepted a legacy file without five pickles")
		}
	})
}

// countPickles counts the pickles at the start of data that the machine
// parses cleanly, up to max; joblib reads them as joblib does.
func countPickles(data []byte, max int, joblib bool) int {
	m := newPickleMachine(context.Background(), bytes.NewReader(data), 0, newGlobalPolicy(nil))
	m.joblib = joblib
	for n := 0; n < max; n++ {
		m.reset()
		if err := m.runOne(context.Background()); err != nil || m.semErr != nil {
			return n
		}
	}
	return max
}

// FuzzJoblib drives the joblib front end: arbitrary bytes as a joblib file
// (compression magics, corrupt streams), and the same bytes as the pickle
// inside a zlib or gzip stream, so that the fuzzer's mutations reach the
// stream scan past the checksums it cannot forge.
func FuzzJoblib(f *testing.F) {
	for _, name := range []string{"benign.joblib", "evil.joblib", "evil_compressed.joblib"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for mode := range byte(3) {
			f.Add(data, mode)
		}
	}
	f.Add([]byte("ZF0x00000010"+string(make([]byte, 60))), byte(0))
	f.Add([]byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, byte(0))
	f.Add([]byte("BZh91AY&SY"), byte(0))
	s := fuzzScanner()
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		in := data
		switch mode % 3 {
		case 1:
			var b bytes.Buffer
			zw := zlib.NewWriter(&b)
			_, _ = zw.Write(data)
			_ = zw.Close()
			in = b.Bytes()
		case 2:
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(data)
			_ = zw.Close()
			in = b.Bytes()
		}
		head := in[:min(len(in), sniffLen)]
		sniffed := newJoblib().Sniff(head, "f.joblib")
		fs, err := fuzzScan(t, "joblib", in, -1, func(ctx context.Context) ([]Finding, error) {
			return newJoblib().Scan(ctx, sliceSource(in), "f.joblib", s)
		})
		for _, f := range fs {
			if offsetOf(f) != -1 && offsetOf(f) != 0 {
				t.Fatalf("finding %s at offset %d: offsets inside a compressed stream do not map to the file", f.Type, offsetOf(f))
			}
		}
		// What decompresses to something that is not a pickle must not
		// come out clean.
		if sniffed && err == nil && mode%3 != 0 && countPickles(data, 1, true) == 0 && !hasRule(fs, "compressed_size_limit") {
			t.Fatalf("joblib scan accepted a stream whose content is not a pickle: %+v", fs)
		}
		fuzzScan(t, "ScanSource", in, int64(len(in)), func(ctx context.Context) ([]Finding, error) {
			return s.ScanSource(ctx, sliceSource(in), "f.joblib").Findings, nil
		})
	})
}

func hasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Type == rule {
			return true
		}
	}
	return false
}

// kerasConfigSeeds are the config.json documents of the .keras fixtures
// and of the test cases.
func kerasConfigSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "keras", "*.keras"))
	for _, p := range paths {
		zr, err := zip.OpenReader(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range zr.File {
			if m.Name != "config.json" {
				continue
			}
			rc, err := m.Open()
			if err != nil {
				f.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			_ = rc.Close()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
		_ = zr.Close()
	}
	for _, c := range []string{kerasBenignConfig, kerasLambdaConfig, kerasV3BenignConfig, `{"class_name": `, `[]`, `"x"`, `{"class_name": "Lambda"} {}`} {
		f.Add([]byte(c))
	}
}

// FuzzKerasConfig analyses arbitrary bytes as a Keras v3 config.json, on
// its own and inside a .keras archive.
func FuzzKerasConfig(f *testing.F) {
	kerasConfigSeeds(f)
	s := fuzzScanner()
	f.Fuzz(func(t *testing.T, config []byte) {
		fuzzScan(t, "kerasAnalyze", config, -1, func(context.Context) ([]Finding, error) {
			return kerasAnalyze(config, "config.json", 0), nil
		})
		archive := kerasV3Bytes(string(config))
		fs, err := fuzzScan(t, "keras_v3", archive, int64(len(archive)), func(ctx context.Context) ([]Finding, error) {
			return newKerasV3().Scan(ctx, sliceSource(archive), "m.keras", s)
		})
		// Keras refuses a config that is not a JSON object naming its
		// class: such an archive is corrupt and must be an error. One that
		// is must scan without error. (Texts that only Python's json reads,
		// in UTF-16 or with NaN, are left to the unit tests.)
		var top any
		valid := json.Unmarshal(config, &top) == nil
		obj, _ := top.(map[string]any)
		_, named := obj["class_name"].(string)
		plain, perr := pythonJSONText(config)
		switch {
		case valid && named && err != nil:
			t.Fatalf("keras_v3 rejected a valid config: %v", err)
		case valid && !named && err == nil:
			t.Fatalf("keras_v3 accepted a config that is not a Keras object: %+v", fs)
		case !valid && perr == nil && bytes.Equal(plain, config) && err == nil:
			t.Fatalf("keras_v3 accepted a config that is not valid JSON: %+v", fs)
		}
	})
}

// fixTarChecksum recomputes the checksum of a 512-byte tar header block
// after a test or the fuzzer changed it, so that archive/tar parses it.
func fixTarChecksum(block []byte) {
	for i := 148; i < 156; i++ {
		block[i] = ' '
	}
	sum := 0
	for _, c := range block[:512] {
		sum += int(c)
	}
	copy(block[148:156], fmt.Sprintf("%06o\x00 ", sum))
}
