package model

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// ruleKey identifies a finding for comparison: rule, detail and member.
type ruleKey struct{ Rule, Detail, Member string }

func keysOf(fs []Finding) map[ruleKey]bool {
	out := make(map[ruleKey]bool, len(fs))
	for _, f := range fs {
		out[ruleKey{f.Type, f.Detail, f.Member}] = true
	}
	return out
}

// TestScanFixtures scans every fixture built by testdata/gen/gen.py and
// checks verdict, format and the findings that must be present.
func TestScanFixtures(t *testing.T) {
	tests := []struct {
		file    string
		verdict scan.Verdict
		format  string
		want    []ruleKey // must be present
		absent  []string  // rules that must not appear
	}{
		{file: "benign_dict_p2.pkl", verdict: scan.Clean, format: "pickle"},
		{file: "benign_p0.pkl", verdict: scan.Clean, format: "pickle"},
		{file: "benign_p5.pkl", verdict: scan.Clean, format: "pickle"},
		{file: "evil_global_p0.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "os.system", ""}}},
		{file: "evil_memo_stack_global.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "posix.system", ""}}},
		{file: "evil_string_concat.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "builtins.getattr", ""}, {"pickle_dangerous_global", "os.system", ""}}},
		{file: "evil_operator_add.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_unknown_call", "operator.add", ""}, {"pickle_dangerous_global", "os.system", ""}}},
		{file: "evil_getattr_import.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "os", ""}, {"pickle_dangerous_global", "os.system", ""}}},
		{file: "evil_concatenated.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "subprocess.call", ""}, {"pickle_concatenated", "", ""}}},
		{file: "evil_truncated.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "os.system", ""}}},
		{file: "unknown_call.pkl", verdict: scan.Suspicious, format: "pickle",
			want: []ruleKey{{"pickle_unknown_call", "mylib.layers.Dense", ""}}},
		{file: "unknown_global.pkl", verdict: scan.Suspicious, format: "pickle",
			want: []ruleKey{{"pickle_unknown_global", "mylib.layers.Dense", ""}}},
		{file: "ext_code.pkl", verdict: scan.Suspicious, format: "pickle",
			want: []ruleKey{{"pickle_extension_code", "extension code 7", ""}}},
		{file: "evil_global_mutation.pkl", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_global_mutation", "torch._utils", ""}}},
		{file: "not_model.bin", verdict: scan.Error, format: "unknown"},
		{file: "int_array.npy", verdict: scan.Clean, format: "numpy"},
		{file: "struct_array_v2.npy", verdict: scan.Clean, format: "numpy"},
		{file: "object_array.npy", verdict: scan.Clean, format: "numpy", want: []ruleKey{{"numpy_object_array", "", ""}}},
		{file: "evil_object_array.npy", verdict: scan.Malicious, format: "numpy",
			want: []ruleKey{{"pickle_dangerous_global", "subprocess.check_output", ""}}},
		{file: "truncated.npy", verdict: scan.Error, format: "numpy"},
		{file: "arrays.npz", verdict: scan.Clean, format: "npz"},
		{file: "evil_arrays.npz", verdict: scan.Malicious, format: "npz",
			want: []ruleKey{{"pickle_dangerous_global", "os.system", "b.npy"}}},
		{file: "torch_benign.pt", verdict: scan.Clean, format: "pytorch_zip"},
		{file: "torch_evil.pt", verdict: scan.Malicious, format: "pytorch_zip",
			want: []ruleKey{{"pickle_dangerous_global", "posix.system", "archive/data.pkl"}}},
		{file: "torch_legacy.pt", verdict: scan.Clean, format: "pytorch_legacy", absent: []string{"pickle_concatenated"}},
		{file: "torch_legacy.tar", verdict: scan.Clean, format: "pytorch_tar"},
		{file: "evil_tar.tar", verdict: scan.Malicious, format: "tar",
			want: []ruleKey{{"archive_path_traversal", "", "../escape.pkl"}, {"pickle_dangerous_global", "os.system", "../escape.pkl"}}},
		{file: "benign.joblib", verdict: scan.Clean, format: "pickle"},
		{file: "evil.joblib", verdict: scan.Malicious, format: "pickle",
			want: []ruleKey{{"pickle_dangerous_global", "os.system", ""}}},
		{file: "evil_compressed.joblib", verdict: scan.Malicious, format: "joblib",
			want: []ruleKey{{"pickle_dangerous_global", "os.system", ""}}},
		{file: "zip_traversal.zip", verdict: scan.Malicious, format: "zip",
			want: []ruleKey{{"archive_path_traversal", "", "../../evil.pkl"}}},
		{file: "zip_duplicate.zip", verdict: scan.Malicious, format: "zip",
			want: []ruleKey{{"zip_duplicate_name", "", "data.pkl"}, {"pickle_dangerous_global", "builtins.eval", "data.pkl"}}},
		{file: "zip_nested.zip", verdict: scan.Malicious, format: "zip",
			want: []ruleKey{{"pickle_dangerous_global", "builtins.eval", "inner.zip!deep/data.pkl"}}},
		{file: "zip_symlink.zip", verdict: scan.Suspicious, format: "zip", want: []ruleKey{{"archive_symlink", "", "link"}}},
		{file: "zip_name_mismatch.zip", verdict: scan.Malicious, format: "zip",
			want: []ruleKey{{"zip_name_mismatch", "", "data.pkl"}, {"pickle_dangerous_global", "builtins.eval", "data.pkl"}}},
		{file: "zip_bomb_declared.zip", verdict: scan.Suspicious, format: "zip", want: []ruleKey{{"zip_bomb", "", "big.bin"}}},
		{file: "zip_encrypted.zip", verdict: scan.Suspicious, format: "zip", want: []ruleKey{{"zip_encrypted_member", "", "weights.pkl"}}},
		{file: "archive.7z", verdict: scan.Suspicious, format: "archive", want: []ruleKey{{"archive_unsupported", "7z", ""}}},
	}
	s := New()
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			res := s.ScanFile(context.Background(), filepath.Join("testdata", tc.file))
			got := keysOf(res.Findings)
			if res.Verdict != tc.verdict || res.Format != tc.format {
				t.Errorf("verdict %s format %s (error %q), want %s %s", res.Verdict, res.Format, res.Error, tc.verdict, tc.format)
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("missing finding %+v", w)
				}
			}
			for _, f := range res.Findings {
				for _, a := range tc.absent {
					if f.Type == a {
						t.Errorf("unexpected finding %+v", f)
					}
				}
			}
			if t.Failed() {
				for _, f := range res.Findings {
					t.Logf("  %+v", f)
				}
			}
		})
	}
	// Every fixture the generator writes is checked here.
	gen, err := os.ReadFile(filepath.Join("testdata", "gen", "gen.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`write\("([^"]+)"`).FindAllSubmatch(gen, -1) {
		if !covered[string(m[1])] {
			t.Errorf("fixture %s has no test case", m[1])
		}
	}
}

func TestScanPathWalksAndReportsSymlinks(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "evil_global_p0.pkl"), filepath.Join(dir, "sub", "model.bin"))
	copyFile(t, filepath.Join("testdata", "benign_p0.pkl"), filepath.Join(dir, "a.pkl"))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# a model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "sub", "model.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	type row struct {
		Path    string
		Verdict scan.Verdict
		Format  string
	}
	walk := func(opts ...Option) []row {
		var got []row
		err := New(opts...).ScanPath(context.Background(), dir, func(r Result) error {
			rel, _ := filepath.Rel(dir, r.Path)
			got = append(got, row{filepath.ToSlash(rel), r.Verdict, r.Format})
			return nil
		})
		if err != nil {
			t.Fatalf("ScanPath: %v", err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
		return got
	}
	want := []row{
		{"README.md", scan.Clean, "unknown"},
		{"a.pkl", scan.Clean, "pickle"},
		{"link.bin", scan.Clean, "symlink"},
		{"sub/model.bin", scan.Malicious, "pickle"},
	}
	if diff := cmp.Diff(want, walk()); diff != "" {
		t.Errorf("ScanPath (-want +got):\n%s", diff)
	}
	want[2] = row{"link.bin", scan.Malicious, "pickle"}
	if diff := cmp.Diff(want, walk(WithFollowSymlinks(true))); diff != "" {
		t.Errorf("ScanPath following links (-want +got):\n%s", diff)
	}
}

func TestScanPathStopsOnCallbackError(t *testing.T) {
	stop := os.ErrClosed
	n := 0
	err := New().ScanPath(context.Background(), "testdata", func(Result) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("got err %v after %d results, want %v after 1", err, n, stop)
	}
}

func TestDepthLimit(t *testing.T) {
	tests := []struct {
		depth int
		want  scan.Verdict
		rule  string
	}{
		{depth: 1, want: scan.Suspicious, rule: "archive_depth_limit"},
		{depth: 2, want: scan.Malicious, rule: "pickle_dangerous_global"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			res := New(WithMaxDepth(tc.depth)).ScanFile(context.Background(), filepath.Join("testdata", "zip_nested.zip"))
			if res.Verdict != tc.want {
				t.Errorf("verdict %s, want %s", res.Verdict, tc.want)
			}
			found := false
			for _, f := range res.Findings {
				found = found || f.Type == tc.rule
			}
			if !found {
				t.Errorf("no %s finding in %+v", tc.rule, res.Findings)
			}
		})
	}
}

func TestAllowGlobalsOption(t *testing.T) {
	path := filepath.Join("testdata", "unknown_call.pkl")
	if v := New().ScanFile(context.Background(), path).Verdict; v != scan.Suspicious {
		t.Fatalf("default verdict %s, want suspicious", v)
	}
	if v := New(WithAllowGlobals("mylib.layers.*")).ScanFile(context.Background(), path).Verdict; v != scan.Clean {
		t.Errorf("with allow-list verdict %s, want clean", v)
	}
	// The deny-list wins over user additions.
	if v := New(WithAllowGlobals("os.system")).ScanFile(context.Background(), filepath.Join("testdata", "evil_global_p0.pkl")).Verdict; v != scan.Malicious {
		t.Errorf("allowing os.system gave %s, want malicious", v)
	}
}

func TestAggregate(t *testing.T) {
	tests := []struct {
		name string
		sevs []finding.Severity
		err  error
		want scan.Verdict
	}{
		{"nothing", nil, nil, scan.Clean},
		{"low only", []finding.Severity{finding.Low, finding.Info}, nil, scan.Clean},
		{"medium", []finding.Severity{finding.Medium}, nil, scan.Suspicious},
		{"high", []finding.Severity{finding.High}, nil, scan.Suspicious},
		{"critical", []finding.Severity{finding.High, finding.Critical}, nil, scan.Malicious},
		{"error", []finding.Severity{finding.High}, os.ErrInvalid, scan.Error},
		{"critical beats error", []finding.Severity{finding.Critical}, os.ErrInvalid, scan.Malicious},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fs []Finding
			for _, s := range tc.sevs {
				fs = append(fs, Finding{Finding: finding.Finding{Type: "r", Severity: s}})
			}
			if got, _ := aggregate(fs, tc.err); got != tc.want {
				t.Errorf("aggregate = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestClassifyGlobals(t *testing.T) {
	p := newGlobalPolicy(nil)
	tests := []struct {
		module, name string
		denied       bool
		allowed      bool
	}{
		{"os", "system", true, false},
		{"posix", "system", true, false},
		{"__builtin__", "eval", true, false},
		{"_operator", "attrgetter", true, false},
		{"posixpath", "os.system", true, false}, // protocol 4 attribute walk
		{"collections", "OrderedDict.__class__", true, false},
		{"torch._utils", "_rebuild_tensor_v2", false, true},
		{"torch", "BFloat16Storage", false, true},
		{"numpy.dtypes", "Float64DType", false, true},
		{"_codecs", "encode", false, true},
		{"copy_reg", "_reconstructor", false, true},
		{"collections", "OrderedDict.fromkeys", false, false},
		{"mylib", "Model", false, false},
		{"torch.nn.modules.linear", "Linear", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.module+"."+tc.name, func(t *testing.T) {
			denied, reason, allowed := p.classify(tc.module, tc.name)
			if denied != tc.denied || allowed != tc.allowed {
				t.Errorf("classify = denied %v allowed %v, want %v %v", denied, allowed, tc.denied, tc.allowed)
			}
			if denied && reason == "" {
				t.Error("denied without a reason")
			}
		})
	}
}

func TestLooksLikePickle(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"proto 2", "\x80\x02N.", true},
		{"proto 9", "\x80\x09N.", false},
		{"protocol 0 list", "(lp0\nI1\na.", true},
		{"protocol 0 global", "cos\nsystem\n(S'id'\ntR.", true},
		{"bad global name", "cmod\n\xf8\n", false},
		// Integer and float lines as Python's int(line, 0) and float()
		// read them: a sniffer that turned these away let the pickle go
		// unscanned inside archives.
		{"int with a plus sign", "I+1\n0cos\nsystem\n(S'id'\ntR.", true},
		{"int in hex with underscores", "I0x_1F\nL1_000L\n0.", true},
		{"get and put with spaces", "I1\np 0 \ng0\n.", true},
		{"float with underscores", "F1_0.5\n.", true},
		{"float out of range", "F1e400\n.", true},
		{"int that is a word", "Ione\n.", false},
		{"json", `{"a": 1}`, false},
		{"markdown", "# Title\n", false},
		{"python source", "import os\n", false},
		{"png", "\x89PNG\r\n\x1a\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := looksLikePickle([]byte(tc.head)); got != tc.want {
				t.Errorf("looksLikePickle(%q) = %v, want %v", tc.head, got, tc.want)
			}
		})
	}
}

func TestPickleMalformed(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		errPart string
	}{
		{"empty", "", "truncated"},
		{"bad opcode", "\x80\x02\xff", "invalid opcode"},
		{"no stop", "\x80\x02N", "truncated"},
		{"underflow", "\x80\x02R.", "stack underflow"},
		{"missing memo", "\x80\x02h\x05.", "memo key 5"},
		{"bad protocol", "\x80\x07N.", "protocol 7"},
	}
	p := newGlobalPolicy(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanPickleStream(context.Background(), strings.NewReader(tc.data), 0, p, pickleOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error %v, want it to mention %q", err, tc.errPart)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestArchivedPickleWithPythonNumbers scans archives whose pickle starts
// with an INT line only Python's int() reads ("+1"): before the sniffer
// learned that syntax, the member was skipped as unknown content and the
// archive came out clean.
func TestArchivedPickleWithPythonNumbers(t *testing.T) {
	evil := "I+1\n0cos\nsystem\n(S'id'\ntR."
	for name, data := range map[string][]byte{
		"m.zip": kerasZip("payload.pkl", evil),
		"m.tar": tarOf("payload.pkl", evil),
	} {
		res := New().ScanSource(context.Background(), sliceSource(data), name)
		if res.Verdict != scan.Malicious {
			t.Errorf("%s: verdict %s, want malicious (findings %+v)", name, res.Verdict, res.Findings)
		}
	}
}
