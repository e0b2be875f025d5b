package model

import (
	"compress/bzip2"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// Zip containers: PyTorch checkpoints (torch.save since 1.6), NumPy .npz,
// Keras v3 .keras files and generic archives. The central directory is
// parsed here rather than with archive/zip because the checks need what
// that package hides or normalises: each local header (whose name may
// differ from the central one, an evasion), raw flags (fake encryption),
// overlapping entries and exact data offsets (so tensor payloads are
// skipped by offset without being read).

const (
	zipLocalSig    = 0x04034b50
	zipCentralSig  = 0x02014b50
	zipEOCDSig     = 0x06054b50
	zipEOCD64Sig   = 0x06064b50
	zipLocator64   = 0x07064b50
	zipMaxEntries  = 1 << 18
	zipMaxComment  = 1 << 16
	zipEOCDLen     = 22
	zipLocalLen    = 30
	zipCentralLen  = 46
	zipBombRatio   = 100
	zipBombMinSize = 100 << 20
)

// zipEntry is one central directory record joined with its local header.
type zipEntry struct {
	name      string
	localName string
	flags     uint16
	method    uint16
	madeBy    uint16
	extAttr   uint32
	csize     uint64
	usize     uint64
	headerOff int64
	dataOff   int64
	localOK   bool
	localMeth uint16
}

func (e *zipEntry) isDir() bool { return strings.HasSuffix(e.name, "/") }

// isSymlink reports a Unix symlink: made on Unix (3) with S_IFLNK in the
// high 16 bits of the external attributes.
func (e *zipEntry) isSymlink() bool {
	return e.madeBy>>8 == 3 && (e.extAttr>>16)&0xf000 == 0xa000
}

// readZipDirectory parses the end-of-central-directory record (zip64
// included), the central directory and every local header.
func readZipDirectory(src Source) ([]zipEntry, error) {
	size := src.Size()
	tailLen := min(size, int64(zipEOCDLen+zipMaxComment))
	tail := make([]byte, tailLen)
	if _, err := src.ReadAt(tail, size-tailLen); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read zip tail: %w", err)
	}
	eocd := -1
	for i := len(tail) - zipEOCDLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) == zipEOCDSig {
			eocd = i
			break
		}
	}
	if eocd < 0 {
		return nil, errors.New("no end of central directory record (truncated or not a zip)")
	}
	eocdPos := size - tailLen + int64(eocd)
	rec := tail[eocd:]
	count := uint64(binary.LittleEndian.Uint16(rec[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(rec[12:]))
	cdOff := uint64(binary.LittleEndian.Uint32(rec[16:]))
	if count == 0xffff || cdSize == 0xffffffff || cdOff == 0xffffffff {
		if c, s, o, ok := readZip64EOCD(src, eocdPos); ok {
			count, cdSize, cdOff = c, s, o
		}
	}
	if count > zipMaxEntries {
		return nil, fmt.Errorf("zip declares %d entries, more than the %d this scanner reads", count, zipMaxEntries)
	}
	if cdSize > uint64(size) || cdOff > uint64(size) {
		return nil, fmt.Errorf("central directory (offset %d, size %d) lies outside the %d-byte file", cdOff, cdSize, size)
	}
	// Data prepended to the archive (self-extractors) shifts every offset:
	// find the base at which the central directory's signature appears.
	base := int64(0)
	for _, cand := range []int64{0, eocdPos - int64(cdSize) - int64(cdOff), eocdPos - 76 - int64(cdSize) - int64(cdOff)} {
		sig := make([]byte, 4)
		if cand >= 0 && count > 0 {
			if _, err := src.ReadAt(sig, cand+int64(cdOff)); err == nil && binary.LittleEndian.Uint32(sig) == zipCentralSig {
				base = cand
				break
			}
		}
	}
	cd := io.NewSectionReader(src, base+int64(cdOff), int64(cdSize))
	entries := make([]zipEntry, 0, count)
	hdr := make([]byte, zipCentralLen)
	pos := int64(0)
	for i := uint64(0); i < count; i++ {
		if _, err := cd.ReadAt(hdr, pos); err != nil {
			return entries, fmt.Errorf("central directory entry %d: %w", i, errTruncatedZip)
		}
		if binary.LittleEndian.Uint32(hdr) != zipCentralSig {
			return entries, fmt.Errorf("central directory entry %d at offset %d has a bad signature", i, base+int64(cdOff)+pos)
		}
		e := zipEntry{
			madeBy:    binary.LittleEndian.Uint16(hdr[4:]),
			flags:     binary.LittleEndian.Uint16(hdr[8:]),
			method:    binary.LittleEndian.Uint16(hdr[10:]),
			csize:     uint64(binary.LittleEndian.Uint32(hdr[20:])),
			usize:     uint64(binary.LittleEndian.Uint32(hdr[24:])),
			extAttr:   binary.LittleEndian.Uint32(hdr[38:]),
			headerOff: int64(binary.LittleEndian.Uint32(hdr[42:])),
		}
		nameLen := int64(binary.LittleEndian.Uint16(hdr[28:]))
		extraLen := int64(binary.LittleEndian.Uint16(hdr[30:]))
		commentLen := int64(binary.LittleEndian.Uint16(hdr[32:]))
		varBuf := make([]byte, nameLen+extraLen)
		if _, err := cd.ReadAt(varBuf, pos+zipCentralLen); err != nil {
			return entries, fmt.Errorf("central directory entry %d: %w", i, errTruncatedZip)
		}
		e.name = string(varBuf[:nameLen])
		applyZip64Extra(&e, varBuf[nameLen:])
		e.headerOff += base
		readLocalHeader(src, &e)
		entries = append(entries, e)
		pos += zipCentralLen + nameLen + extraLen + commentLen
	}
	return entries, nil
}

var errTruncatedZip = errors.New("truncated zip")

// readZip64EOCD follows the zip64 locator that precedes the EOCD record.
func readZip64EOCD(src Source, eocdPos int64) (count, cdSize, cdOff uint64, ok bool) {
	if eocdPos < 20 {
		return 0, 0, 0, false
	}
	loc := make([]byte, 20)
	if _, err := src.ReadAt(loc, eocdPos-20); err != nil || binary.LittleEndian.Uint32(loc) != zipLocator64 {
		return 0, 0, 0, false
	}
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	rec := make([]byte, 56)
	if off < 0 || off > src.Size()-56 {
		return 0, 0, 0, false
	}
	if _, err := src.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != zipEOCD64Sig {
		return 0, 0, 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), binary.LittleEndian.Uint64(rec[40:]), binary.LittleEndian.Uint64(rec[48:]), true
}

// applyZip64Extra replaces saturated 32-bit fields with their zip64 values.
func applyZip64Extra(e *zipEntry, extra []byte) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if n > len(extra)-4 {
			return
		}
		field := extra[4 : 4+n]
		extra = extra[4+n:]
		if id != 0x0001 {
			continue
		}
		next := func() (uint64, bool) {
			if len(field) < 8 {
				return 0, false
			}
			v := binary.LittleEndian.Uint64(field)
			field = field[8:]
			return v, true
		}
		if e.usize == 0xffffffff {
			if v, ok := next(); ok {
				e.usize = v
			}
		}
		if e.csize == 0xffffffff {
			if v, ok := next(); ok {
				e.csize = v
			}
		}
		if e.headerOff == 0xffffffff {
			if v, ok := next(); ok && v <= 1<<62 {
				e.headerOff = int64(v)
			}
		}
	}
}

// readLocalHeader fills the local name, method and data offset.
func readLocalHeader(src Source, e *zipEntry) {
	hdr := make([]byte, zipLocalLen)
	if e.headerOff < 0 || e.headerOff > src.Size()-zipLocalLen {
		return
	}
	if _, err := src.ReadAt(hdr, e.headerOff); err != nil || binary.LittleEndian.Uint32(hdr) != zipLocalSig {
		return
	}
	nameLen := int64(binary.LittleEndian.Uint16(hdr[26:]))
	extraLen := int64(binary.LittleEndian.Uint16(hdr[28:]))
	name := make([]byte, nameLen)
	if _, err := src.ReadAt(name, e.headerOff+zipLocalLen); err != nil {
		return
	}
	e.localName = string(name)
	e.localMeth = binary.LittleEndian.Uint16(hdr[8:])
	e.dataOff = e.headerOff + zipLocalLen + nameLen + extraLen
	e.localOK = true
}

// zipFormat scans zip archives; kind names the flavour it was sniffed as.
type zipFormat struct{ kind string }

func newPyTorchZip() formatScanner { return zipFormat{kind: "pytorch_zip"} }
func newNPZ() formatScanner        { return zipFormat{kind: "npz"} }
func newZip() formatScanner        { return zipFormat{kind: "zip"} }

func (z zipFormat) Name() string { return z.kind }

// Sniff matches on the zip signature and, for the flavours, on the first
// member's name: torch.save writes "<archive>/data.pkl" (or its version
// records) first, numpy.savez writes "<key>.npy" members.
func (z zipFormat) Sniff(head []byte, _ string) bool {
	if len(head) < zipLocalLen || binary.LittleEndian.Uint32(head) != zipLocalSig {
		return len(head) >= zipEOCDLen && z.kind == "zip" && binary.LittleEndian.Uint32(head) == zipEOCDSig
	}
	n := int(binary.LittleEndian.Uint16(head[26:]))
	first := ""
	if zipLocalLen+n <= len(head) {
		first = string(head[zipLocalLen : zipLocalLen+n])
	}
	switch z.kind {
	case "pytorch_zip":
		return isTorchRecord(first)
	case "npz":
		return strings.HasSuffix(first, ".npy")
	}
	return true
}

// isTorchRecord recognises the records torch.save writes at the archive
// root: "<archive>/data.pkl", "<archive>/version", "<archive>/byteorder", ...
func isTorchRecord(name string) bool {
	dir, base := path.Split(name)
	if dir == "" || strings.Count(dir, "/") != 1 {
		return false
	}
	switch base {
	case "data.pkl", "version", ".format_version", "byteorder", ".storage_alignment", "constants.pkl":
		return true
	}
	return false
}

// isTorchPickle reports the records that torch.load (data.pkl) and
// torch.jit.load (constants.pkl) unpickle.
func isTorchPickle(name string) bool {
	base := path.Base(name)
	return isTorchRecord(name) && (base == "data.pkl" || base == "constants.pkl")
}

// isTensorPayload reports a PyTorch storage member, "<archive>/data/<key>":
// raw tensor bytes that torch reads by offset and never unpickles.
func isTensorPayload(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 3 && parts[1] == "data" && parts[2] != ""
}

func (z zipFormat) Scan(ctx context.Context, src Source, name string, s *Scanner) ([]Finding, error) {
	entries, err := readZipDirectory(src)
	var fs []Finding
	if err != nil && len(entries) == 0 {
		return nil, err
	}
	seenNames := make(map[string]bool, len(entries))
	seenOffsets := make(map[int64]string, len(entries))
	hasPickle := false
	for i := range entries {
		if err := ctx.Err(); err != nil {
			return fs, err
		}
		e := &entries[i]
		add := func(rule string, sev finding.Severity, msg string) {
			fs = append(fs, Finding{Finding: finding.Finding{Type: rule, Severity: sev, Message: msg, Member: e.name, Offset: offsetAt(e.headerOff)}})
		}
		if reason, bad := unsafeArchivePath(e.name); bad {
			add("archive_path_traversal", finding.Critical, "member name "+reason+"; extracting it writes outside the target directory")
		}
		if seenNames[e.name] {
			add("zip_duplicate_name", finding.High, "two members share this name; readers disagree on which one they load")
		}
		seenNames[e.name] = true
		if prev, ok := seenOffsets[e.headerOff]; ok {
			add("zip_overlapping_entries", finding.High, fmt.Sprintf("member shares its data with %q (overlapping entries: a zip bomb or evasion technique)", prev))
			continue
		}
		seenOffsets[e.headerOff] = e.name
		if !e.localOK {
			add("zip_bad_local_header", finding.High, "central directory points at a missing or corrupt local header")
			continue
		}
		if e.localName != e.name {
			add("zip_name_mismatch", finding.High, fmt.Sprintf("local header names this member %q; scanners and loaders that read different headers see different files", e.localName))
		}
		if e.localMeth != e.method {
			add("zip_header_mismatch", finding.High, fmt.Sprintf("local header says compression method %d, central directory %d", e.localMeth, e.method))
		}
		if e.isSymlink() {
			add("archive_symlink", finding.High, "member is a symbolic link; extracting it can redirect later writes")
			continue
		}
		if e.isDir() {
			continue
		}
		if e.usize > zipBombMinSize && (e.csize == 0 || e.usize/max(e.csize, 1) > zipBombRatio) {
			add("zip_bomb", finding.High, fmt.Sprintf("declares %d bytes from %d compressed (ratio over %d:1)", e.usize, e.csize, zipBombRatio))
			continue
		}
		if e.dataOff < 0 || uint64(e.dataOff) > uint64(src.Size()) || e.csize > uint64(src.Size()-e.dataOff) {
			add("zip_member_out_of_bounds", finding.Medium, "member data runs past the end of the file")
			continue
		}
		if z.kind == "pytorch_zip" && isTensorPayload(e.name) {
			continue // raw tensor bytes: skipped unread
		}
		if strings.HasSuffix(e.name, ".pkl") {
			hasPickle = true
		}
		raw := io.NewSectionReader(src, e.dataOff, int64(e.csize))
		if e.flags&(0x1|0x20|0x40) != 0 {
			head := make([]byte, sniffLen)
			n, _ := raw.ReadAt(head, 0)
			if e.method == 0 && e.csize == e.usize && s.sniff(head[:n], e.name) != nil {
				add("zip_flag_evasion", finding.High, fmt.Sprintf("member is flagged encrypted or patched (flags 0x%04x) but stored in plain text; loaders that ignore the flag, PyTorch among them, read it", e.flags))
			} else {
				sev := finding.Low
				if looksLikeModelName(e.name) {
					sev = finding.Medium
				}
				add("zip_encrypted_member", sev, "member is encrypted and could not be scanned")
				continue
			}
		}
		member, cleanup, more, err := s.openZipMember(ctx, e, raw)
		fs = append(fs, more...)
		if err != nil {
			add("scan_error", finding.Info, fmt.Sprintf("cannot read member: %v", err))
			continue
		}
		if z.kind == "pytorch_zip" && isTorchPickle(e.name) {
			// torch.load unpickles these whatever they look like: scan
			// them as pickles rather than trust the sniffer.
			fs = append(fs, s.scanMemberAs(ctx, member, e.name, loadedPickle{})...)
		} else {
			fs = append(fs, s.scanMember(ctx, member, e.name)...)
		}
		cleanup()
	}
	if z.kind == "pytorch_zip" && !hasPickle {
		fs = append(fs, Finding{Finding: finding.Finding{Type: "pytorch_no_pickle", Severity: finding.Low,
			Message: "PyTorch archive has no .pkl record"}})
	}
	if err != nil {
		return fs, err
	}
	return fs, nil
}

// openZipMember returns a Source over a member's uncompressed bytes: the
// file region itself for stored members, a bounded decompressed copy
// otherwise.
func (s *Scanner) openZipMember(ctx context.Context, e *zipEntry, raw *io.SectionReader) (Source, func(), []Finding, error) {
	switch e.method {
	case 0:
		return raw, func() {}, nil, nil
	case 8:
		fr := flate.NewReader(raw)
		src, cleanup, fs, err := s.materialize(ctx, fr, e.usize, e.csize, e.name)
		_ = fr.Close()
		return src, cleanup, fs, err
	case 12:
		return s.materialize(ctx, bzip2.NewReader(raw), e.usize, e.csize, e.name)
	}
	return nil, nil, []Finding{{Finding: finding.Finding{Type: "zip_unsupported_compression", Severity: finding.Medium, Member: e.name, Offset: offsetAt(e.headerOff),
		Message: fmt.Sprintf("compression method %d is not supported; the member was not scanned", e.method)}}}, fmt.Errorf("compression method %d", e.method)
}

// unsafeArchivePath reports member names that escape the extraction
// directory: absolute paths, drive letters, ".." components, NUL bytes.
func unsafeArchivePath(name string) (string, bool) {
	switch {
	case strings.ContainsRune(name, 0):
		return "contains a NUL byte", true
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`):
		return "is an absolute path", true
	case len(name) >= 2 && name[1] == ':' && (name[0]|0x20 >= 'a' && name[0]|0x20 <= 'z'):
		return "starts with a drive letter", true
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "climbs out with ..", true
		}
	}
	return "", false
}

// sniffLen is how much of a file or member the sniffers see.
const sniffLen = 4096

// readHead reads up to sniffLen bytes from the start of src.
func readHead(src io.ReaderAt, size int64) []byte {
	head := make([]byte, min(size, sniffLen))
	n, _ := src.ReadAt(head, 0)
	return head[:n]
}
