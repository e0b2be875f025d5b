package model

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// Tar containers, above all PyTorch's legacy tar checkpoints (torch 0.1 to
// 0.3): members "sys_info", "pickle", "storages" and "tensors". "pickle"
// and "sys_info" are plain pickles. "storages" and "tensors" interleave
// pickles with raw bytes (storage payloads, tensor shapes), so they are
// walked record by record with the pickle machine, skipping the payloads.

const tarMaxEntries = 1 << 18

// tarFormat scans tar archives; kind is "pytorch_tar" or "tar".
type tarFormat struct{ kind string }

func newPyTorchTar() formatScanner { return tarFormat{kind: "pytorch_tar"} }
func newTar() formatScanner        { return tarFormat{kind: "tar"} }

func (t tarFormat) Name() string { return t.kind }

// Sniff checks the ustar magic; a PyTorch tar's first member is sys_info.
func (t tarFormat) Sniff(head []byte, _ string) bool {
	if len(head) < 263 || string(head[257:262]) != "ustar" {
		return false
	}
	if t.kind == "pytorch_tar" {
		name, _, _ := strings.Cut(string(head[:100]), "\x00")
		return name == "sys_info"
	}
	return true
}

func (t tarFormat) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	sr := io.NewSectionReader(src, 0, src.Size())
	tr := tar.NewReader(sr)
	var found []Finding
	seen := make(map[string]bool)
	torchSeen := make(map[string]bool)
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		if n >= tarMaxEntries {
			return found, fmt.Errorf("tar holds more than %d entries", tarMaxEntries)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if t.kind == "pytorch_tar" {
				for _, name := range slices.Sorted(maps.Keys(torchTarMembers)) {
					if !torchSeen[name] {
						return found, fmt.Errorf("legacy PyTorch tar has no %q member, which torch.load reads", name)
					}
				}
			}
			return found, nil
		}
		if err != nil {
			return found, fmt.Errorf("tar entry %d: %w", n, err)
		}
		off, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return found, fmt.Errorf("tar entry %q: %w", hdr.Name, err)
		}
		add := func(rule string, sev finding.Severity, msg string) {
			found = append(found, Finding{Finding: finding.Finding{Type: rule, Severity: sev, Message: msg, Member: hdr.Name, Offset: offsetAt(off)}})
		}
		if reason, bad := unsafeArchivePath(hdr.Name); bad {
			add("archive_path_traversal", finding.Critical, "member name "+reason+"; extracting it writes outside the target directory")
		}
		if seen[hdr.Name] {
			add("archive_duplicate_name", finding.High, "two members share this name; extraction keeps the last one")
		}
		seen[hdr.Name] = true
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
		case tar.TypeSymlink, tar.TypeLink:
			msg := fmt.Sprintf("member is a link to %q; extracting it can redirect later writes", hdr.Linkname)
			if reason, bad := unsafeArchivePath(hdr.Linkname); bad || hdr.Typeflag == tar.TypeSymlink {
				if bad {
					msg += " (the target " + reason + ")"
				}
				add("archive_symlink", finding.High, msg)
			}
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			add("archive_special_file", finding.Medium, "member is a device or pipe")
			continue
		default:
			continue // directories, PAX/GNU metadata
		}
		// Written as a subtraction: a size near MaxInt64 (base-256 sizes
		// reach it) would overflow off+hdr.Size and pass, and the member
		// would then claim to be exabytes long to whatever scans it.
		if hdr.Size > src.Size()-off {
			return found, fmt.Errorf("tar member %q: %w", hdr.Name, errTruncatedTar)
		}
		member := io.NewSectionReader(src, off, hdr.Size)
		// torch.load reads the members it needs by what they are, not by
		// what they look like: so are they scanned.
		switch {
		case t.kind == "pytorch_tar" && hdr.Name == "pickle":
			torchSeen[hdr.Name] = true
			found = append(found, s.scanMemberAs(ctx, member, hdr.Name, loadedPickle{})...)
		case t.kind == "pytorch_tar" && (hdr.Name == "storages" || hdr.Name == "tensors"):
			torchSeen[hdr.Name] = true
			found = append(found, scanTorchRecordsMember(ctx, member, off, hdr.Name, s.policy)...)
		default:
			found = append(found, s.scanMember(ctx, member, hdr.Name)...)
		}
	}
}

// torchTarMembers are the members torch.load reads from a legacy tar
// checkpoint; it fails when one is missing.
var torchTarMembers = map[string]bool{"storages": true, "tensors": true, "pickle": true}

var errTruncatedTar = errors.New("data runs past the end of the file")

// torchElementSizes maps legacy storage classes to their element size.
var torchElementSizes = map[string]int64{
	"DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
	"LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
	"ByteStorage": 1, "BoolStorage": 1, "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16,
}

// scanTorchRecords walks a legacy "storages" or "tensors" member:
//
//	storages: pickle(count), count x [pickle((key, location, type)), int64 n, n*elemsize bytes], pickle(views)
//	tensors:  pickle(count), count x [pickle((key, storage_id, type)), int32 ndim, 4 pad bytes, ndim int64 sizes, ndim int64 strides, int64 offset]
func scanTorchRecords(ctx context.Context, r *io.SectionReader, base int64, kind string, policy *globalPolicy) ([]Finding, error) {
	m := newPickleMachine(ctx, r, base, policy)
	count, err := m.runValue()
	if err != nil {
		return m.finish(), err
	}
	if count.kind != pkInt || count.big || count.num < 0 || count.num > 1<<24 {
		return m.finish(), fmt.Errorf("record count is %s, not a small integer", describe(count))
	}
	for i := int64(0); i < count.num; i++ {
		args, err := m.runValue()
		if err != nil {
			return m.finish(), err
		}
		switch kind {
		case "storages":
			typ := args.item(2)
			size, ok := int64(0), false
			if typ.kind == pkGlobal {
				size, ok = torchElementSizes[typ.str[strings.LastIndexByte(typ.str, '.')+1:]]
			}
			if !ok {
				return m.finish(), fmt.Errorf("storage %d has unknown type %s", i, describe(typ))
			}
			b, err := m.r.readFull(8)
			if err != nil {
				return m.finish(), err
			}
			n := int64(leUint64(b))
			if n < 0 || n > (1<<62)/size {
				return m.finish(), fmt.Errorf("storage %d declares %d elements", i, n)
			}
			if err := m.r.skip(n * size); err != nil {
				return m.finish(), err
			}
		case "tensors":
			b, err := m.r.readFull(8)
			if err != nil {
				return m.finish(), err
			}
			ndim := int64(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
			if ndim < 0 || ndim > 64 {
				return m.finish(), fmt.Errorf("tensor %d has %d dimensions", i, ndim)
			}
			if err := m.r.skip(16*ndim + 8); err != nil {
				return m.finish(), err
			}
		}
	}
	if kind == "storages" {
		if _, err := m.runValue(); err != nil { // storage views
			return m.finish(), err
		}
	}
	return m.finish(), nil
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// scanTorchRecordsMember walks a "storages" or "tensors" member as
// torch.load reads it; findings carry file offsets.
func scanTorchRecordsMember(ctx context.Context, member *io.SectionReader, off int64, name string, policy *globalPolicy) []Finding {
	fs, err := scanTorchRecords(ctx, member, off, name, policy)
	for i := range fs {
		fs[i].Member = name
	}
	if err != nil {
		fs = append(fs, Finding{Finding: finding.Finding{Type: "scan_error", Severity: finding.Info, Member: name, Offset: offsetAt(off),
			Message: fmt.Sprintf("cannot walk the %s records: %v", name, err)}})
	}
	return fs
}

// loadedPickle scans a container member that the loader unpickles with one
// pickle.load (PyTorch's data.pkl, a legacy tar's "pickle"), whatever its
// first bytes look like: sniffing it instead would let a pickle that the
// sniffer does not recognise, but Python's unpickler runs, go unscanned,
// and a member that is no pickle at all pass as clean. One that does not
// parse is an error.
type loadedPickle struct{}

func (loadedPickle) Name() string { return "pickle" }

func (loadedPickle) Sniff([]byte, string) bool { return false } // never sniffed: containers pick it

func (loadedPickle) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	return scanPickleStream(ctx, io.NewSectionReader(src, 0, src.Size()), 0, s.policy, pickleOptions{maxPickles: 1, strict: true})
}
