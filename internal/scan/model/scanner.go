package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
	"github.com/redoubt-sec/redoubt/internal/scan"
)

// Scanner scans model files. It is safe for concurrent use: all state of a
// scan lives on the stack of the call. Build one with New.
type Scanner struct {
	opts    options
	policy  *globalPolicy
	formats []formatScanner
}

// options are the Scanner's settings; see the With* functions.
type options struct {
	maxDepth        int
	maxDecompressed int64
	memBuffer       int64
	tempDir         string
	followSymlinks  bool
	extraAllow      []string
	logger          *slog.Logger
}

// Option configures a Scanner.
type Option func(*options)

// WithMaxDepth sets how deep containers nest before the scanner stops
// descending (a zip in a zip in a tar is depth 3). Default 4.
func WithMaxDepth(n int) Option { return func(o *options) { o.maxDepth = n } }

// WithAllowGlobals adds pickle globals ("module.name", or a pattern where
// "*" matches within one dotted segment) to the allow-list, for projects
// whose checkpoints pickle their own classes. The deny-list still wins.
func WithAllowGlobals(names ...string) Option {
	return func(o *options) { o.extraAllow = append(o.extraAllow, names...) }
}

// WithMaxDecompressed caps how many bytes one compressed member or stream
// is expanded to (a guard against decompression bombs). Default 4 GiB.
func WithMaxDecompressed(n int64) Option { return func(o *options) { o.maxDecompressed = n } }

// WithMemoryBuffer sets how large a decompressed member may grow in memory
// before it is spilled to a temporary file. Default 32 MiB.
func WithMemoryBuffer(n int64) Option { return func(o *options) { o.memBuffer = n } }

// WithTempDir sets where spilled members go (default os.TempDir()).
func WithTempDir(dir string) Option { return func(o *options) { o.tempDir = dir } }

// WithFollowSymlinks makes ScanPath scan the files that symbolic links
// point to (Hugging Face cache snapshots are links into a blob store).
// Links to directories are never followed, so walks cannot loop. Default
// off: links are reported, not read.
func WithFollowSymlinks(follow bool) Option { return func(o *options) { o.followSymlinks = follow } }

// WithLogger sets the logger for debug details (skipped files); default
// discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New returns a Scanner with every known format registered.
func New(opts ...Option) *Scanner {
	o := options{
		maxDepth:        4,
		maxDecompressed: 4 << 30,
		memBuffer:       32 << 20,
		logger:          slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Scanner{opts: o, policy: newGlobalPolicy(o.extraAllow), formats: defaultFormats()}
}

// ScanFile scans one file. Problems opening or parsing it are reported in
// the Result (verdict Error), never as a separate error.
func (s *Scanner) ScanFile(ctx context.Context, path string) Result {
	f, err := os.Open(path)
	if err != nil {
		return Result{Path: path, Format: "unknown", Verdict: scan.Error, Findings: []Finding{}, Error: err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{Path: path, Format: "unknown", Verdict: scan.Error, Findings: []Finding{}, Error: err.Error()}
	}
	if !st.Mode().IsRegular() {
		return Result{Path: path, Format: "unknown", Verdict: scan.Error, Findings: []Finding{}, Error: "not a regular file"}
	}
	return s.ScanSource(ctx, io.NewSectionReader(f, 0, st.Size()), path)
}

// ScanSource scans content that is already open (or in memory); name is
// reported as the Result's Path and used as a hint for unknown formats.
func (s *Scanner) ScanSource(ctx context.Context, src Source, name string) Result {
	res := Result{Path: name, Format: "unknown", Size: src.Size(), Findings: []Finding{}}
	head := readHead(src, src.Size())
	f := s.sniff(head, filepath.Base(name))
	if f == nil {
		if looksLikeModelName(name) || len(head) == 0 {
			res.Verdict, res.Error = scan.Error, "unrecognised or empty model file: content matches no supported format"
			return res
		}
		res.Verdict = scan.Clean
		res.Findings = append(res.Findings, Finding{Finding: finding.Finding{Scanner: scannerName, Type: "not_a_model", Score: 1,
			Severity: finding.Info, Message: "content matches no model format; not scanned"}})
		return res
	}
	res.Format = f.Name()
	found, err := f.Scan(ctx, src, filepath.Base(name), s)
	claim(found, f.Name())
	res.Findings = append(res.Findings, found...)
	res.Verdict, res.Error = aggregate(res.Findings, err)
	return res
}

// ScanPath scans a file, or every file under a directory in lexical order,
// calling fn with each Result. Symbolic links are reported, not followed
// (see WithFollowSymlinks). fn returning an error stops the walk and
// ScanPath returns that error; so does a cancelled ctx.
func (s *Scanner) ScanPath(ctx context.Context, root string, fn func(Result) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			// An unreadable directory or file is a result, not the end.
			if rerr := fn(Result{Path: p, Format: "unknown", Verdict: scan.Error, Findings: []Finding{}, Error: err.Error()}); rerr != nil {
				return rerr
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			return fn(s.scanLink(ctx, p))
		case !d.Type().IsRegular():
			return fn(Result{Path: p, Format: "unknown", Verdict: scan.Clean, Findings: []Finding{{Finding: finding.Finding{Scanner: scannerName, Type: "not_a_regular_file", Score: 1,
				Severity: finding.Info, Message: "device, socket or pipe; not read"}}}})
		}
		return fn(s.ScanFile(ctx, p))
	})
}

// scanLink reports a symbolic link, and scans its target file when
// following links is on.
func (s *Scanner) scanLink(ctx context.Context, p string) Result {
	target, err := os.Readlink(p)
	if err != nil {
		return Result{Path: p, Format: "symlink", Verdict: scan.Error, Findings: []Finding{}, Error: err.Error()}
	}
	note := Finding{Finding: finding.Finding{Scanner: scannerName, Type: "symlink", Score: 1, Severity: finding.Info,
		Message: "symbolic link; not followed"}, Detail: target}
	if s.opts.followSymlinks {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			res := s.ScanFile(ctx, p)
			note.Message = "symbolic link; its target was scanned"
			res.Findings = append([]Finding{note}, res.Findings...)
			return res
		}
	}
	return Result{Path: p, Format: "symlink", Verdict: scan.Clean, Findings: []Finding{note}}
}

// depthKey carries the container nesting depth through scanMember calls.
type depthKey struct{}

func depthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

// scanMember scans one member of a container (a zip entry, a tar entry, a
// decompressed stream): it sniffs the member's content, dispatches to the
// matching format and prefixes the findings' Member with the member path
// (nested containers join paths with "!"). Unknown content is skipped. A
// member that fails to parse yields a "scan_error" finding, which makes
// the file's verdict Error unless something malicious was found.
func (s *Scanner) scanMember(ctx context.Context, src Source, member string) []Finding {
	return s.scanMemberAs(ctx, src, member, nil)
}

// scanMemberAs is scanMember with the format fixed by the container
// rather than sniffed (f nil sniffs): for members the loader reads in a
// known way whatever their first bytes look like.
func (s *Scanner) scanMemberAs(ctx context.Context, src Source, member string, f formatScanner) []Finding {
	depth := depthOf(ctx) + 1
	if depth > s.opts.maxDepth {
		return []Finding{{Finding: finding.Finding{Type: "archive_depth_limit", Severity: finding.Medium, Member: member,
			Message: fmt.Sprintf("containers nest deeper than %d levels; this member was not scanned", s.opts.maxDepth)}}}
	}
	ctx = context.WithValue(ctx, depthKey{}, depth)
	if f == nil {
		f = s.sniff(readHead(src, src.Size()), member)
	}
	if f == nil {
		s.opts.logger.Debug("member skipped: unknown format", "member", member)
		return nil
	}
	found, err := f.Scan(ctx, src, member, s)
	claim(found, f.Name())
	for i := range found {
		if found[i].Member == "" {
			found[i].Member = member
		} else {
			found[i].Member = member + "!" + found[i].Member
		}
	}
	if err != nil {
		found = append(found, Finding{Finding: finding.Finding{Scanner: f.Name(), Type: "scan_error", Score: 1, Severity: finding.Info, Member: member,
			Message: fmt.Sprintf("%s member could not be fully analysed: %v", f.Name(), err)}})
	}
	return found
}

// sniff returns the first format that claims the head, or nil.
func (s *Scanner) sniff(head []byte, name string) formatScanner {
	if len(head) == 0 {
		return nil
	}
	for _, f := range s.formats {
		if f.Sniff(head, name) {
			return f
		}
	}
	return nil
}

// claim marks the findings a format scanner made: its name as their
// Scanner (findings of a nested member already carry the member's format),
// and a Score of 1, since the rules state facts about the bytes.
func claim(found []Finding, scanner string) {
	for i := range found {
		if found[i].Scanner == "" {
			found[i].Scanner = scanner
		}
		if found[i].Score == 0 {
			found[i].Score = 1
		}
	}
}

// aggregate derives the verdict with the rule both scanners share
// (scan.VerdictOf) from the worst severity and whether the scan failed: a
// format error, or a member that could not be analysed (a scan_error
// finding, whose member and message become the Result's Error).
func aggregate(found []Finding, scanErr error) (scan.Verdict, string) {
	var worst finding.Severity
	msg := ""
	if scanErr != nil {
		msg = scanErr.Error()
	}
	for _, f := range found {
		worst = max(worst, f.Severity)
		if f.Type == "scan_error" && msg == "" {
			msg = f.Member + ": " + f.Message
		}
	}
	return scan.VerdictOf(worst, msg != ""), msg
}

// modelExtensions are names that promise a model file: content matching no
// format under such a name is an Error (corrupt or disguised), not Clean.
var modelExtensions = map[string]bool{
	".pt": true, ".pth": true, ".bin": true, ".pkl": true, ".pickle": true,
	".ckpt": true, ".npy": true, ".npz": true, ".joblib": true, ".h5": true,
	".hdf5": true, ".keras": true, ".onnx": true, ".safetensors": true,
	".gguf": true, ".pb": true, ".dill": true, ".sav": true, ".model": true,
	".mar": true, ".pdparams": true, ".msgpack": true, ".tflite": true,
}

func looksLikeModelName(name string) bool {
	return modelExtensions[strings.ToLower(filepath.Ext(name))]
}

// materialize expands a compressed member into a Source: in memory up to
// the memory buffer size, in a temporary file beyond. It stops at the
// decompression cap and on bomb-like ratios, reporting either. declared is
// the size the container promised (0 when unknown) and packed the
// compressed size.
func (s *Scanner) materialize(ctx context.Context, r io.Reader, declared, packed uint64, member string) (Source, func(), []Finding, error) {
	var (
		mem     bytes.Buffer
		tmp     *os.File
		n       uint64
		found   []Finding
		chunk   = make([]byte, 256<<10)
		cleanup = func() {}
	)
	fail := func(err error) (Source, func(), []Finding, error) {
		cleanup()
		return nil, func() {}, found, err
	}
	add := func(rule string, sev finding.Severity, msg string) {
		found = append(found, Finding{Finding: finding.Finding{Type: rule, Severity: sev, Member: member, Message: msg}})
	}
	mismatch := false
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		k, rerr := r.Read(chunk)
		if k > 0 {
			n += uint64(k)
			if tmp == nil && int64(mem.Len()+k) > s.opts.memBuffer {
				f, err := os.CreateTemp(s.opts.tempDir, "redoubt-member-*")
				if err != nil {
					return fail(fmt.Errorf("spill member to disk: %w", err))
				}
				tmp = f
				cleanup = func() { _ = f.Close(); _ = os.Remove(f.Name()) }
				if _, err := tmp.Write(mem.Bytes()); err != nil {
					return fail(fmt.Errorf("spill member to disk: %w", err))
				}
				mem = bytes.Buffer{}
			}
			if tmp != nil {
				if _, err := tmp.Write(chunk[:k]); err != nil {
					return fail(fmt.Errorf("spill member to disk: %w", err))
				}
			} else {
				mem.Write(chunk[:k])
			}
		}
		if declared > 0 && n > declared && !mismatch {
			mismatch = true
			add("archive_size_mismatch", finding.High, fmt.Sprintf("member expands past its declared size of %d bytes", declared))
		}
		if n > zipBombMinSize && n/max(packed, 1) > zipBombRatio {
			add("zip_bomb", finding.High, fmt.Sprintf("member expands over %d:1 (%d bytes read from %d); scanning stopped there", zipBombRatio, n, packed))
			break
		}
		if int64(n) >= s.opts.maxDecompressed {
			add("decompressed_size_limit", finding.Medium, fmt.Sprintf("member expands past the %d-byte cap; the rest was not scanned", s.opts.maxDecompressed))
			break
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("decompress: %w", rerr))
		}
	}
	if tmp != nil {
		return io.NewSectionReader(tmp, 0, int64(n)), cleanup, found, nil
	}
	return bytes.NewReader(mem.Bytes()), cleanup, found, nil
}
