package model

import (
	"bytes"
	"context"

	"github.com/redoubt-sec/redoubt/finding"
)

// defaultFormats lists every format scanner in sniffing order: the first
// whose Sniff accepts a file's head scans it. Formats with an exact magic
// come first; pickle, whose protocol 0 has no header, comes last so that it
// never claims a file another format recognises (a .npy's magic starts
// with the STACK_GLOBAL opcode, a zip's with PERSID).
func defaultFormats() []formatScanner {
	return []formatScanner{
		// A .keras file is a zip: it must be claimed before the zip-based
		// formats. SavedModel and ONNX have no magic number; SavedModel's
		// sniffer is the stricter one, so it goes first.
		newKerasV3(),
		newKerasH5(),
		newGGUF(),
		newSafetensors(),
		newSavedModel(),
		newONNX(),
		newNPY(),
		newTorchLegacy(),
		newPyTorchZip(),
		newNPZ(),
		newZip(),
		newPyTorchTar(),
		newTar(),
		newUnsupportedArchive(),
		newJoblib(),
		newPickle(),
	}
}

// unsupportedArchive recognises archive formats this package cannot open
// (7-Zip, RAR). Their contents stay unchecked, which is reported: a model
// shipped that way hides whatever it holds from scanning.
type unsupportedArchive struct{}

func newUnsupportedArchive() formatScanner { return unsupportedArchive{} }

var unsupportedMagics = map[string][]byte{
	"7z":  {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c},
	"rar": []byte("Rar!\x1a\x07"),
}

func (unsupportedArchive) Name() string { return "archive" }

func (unsupportedArchive) Sniff(head []byte, _ string) bool {
	for _, m := range unsupportedMagics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

func (unsupportedArchive) Scan(_ context.Context, src Source, _ string, _ *Scanner) ([]Finding, error) {
	head := readHead(src, src.Size())
	kind := "archive"
	for name, m := range unsupportedMagics {
		if bytes.HasPrefix(head, m) {
			kind = name
		}
	}
	return []Finding{{Finding: finding.Finding{Type: "archive_unsupported", Severity: finding.Medium, Offset: offsetAt(0),
		Message: kind + " archive: this scanner cannot open it, so its contents were not checked"}, Detail: kind}}, nil
}
