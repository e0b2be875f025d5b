package model

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// h5TestAttr is an attribute for the HDF5 builder; vlen stores the value
// as a variable-length string in the global heap, as h5py does for str.
type h5TestAttr struct {
	name, value string
	vlen        bool
}

// h5Options choose the HDF5 layout the builder writes.
type h5Options struct {
	// v2 writes a version 2 superblock and a version 2 ("OHDR") object
	// header; otherwise version 0 and version 1, h5py's defaults.
	v2 bool
	// continuation moves every attribute after the first into a
	// continuation block.
	continuation bool
	// userBlock puts the superblock at offset 512.
	userBlock bool
}

func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func le16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func le32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func le64(v int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// h5Build writes a minimal HDF5 file whose root group holds attrs. All
// addresses are absolute: the builder lays the file out in one pass with
// the global heap at a fixed place near the end.
func h5Build(attrs []h5TestAttr, o h5Options) []byte {
	base := 0
	if o.userBlock {
		base = 512
	}
	const rootAt = 96 // relative to base: after either superblock
	// Global heap collection with every vlen value, placed after a
	// generous header area.
	heapAt := 8192
	heap := cat([]byte("GCOL"), []byte{1, 0, 0, 0}, le64(0))
	refs := map[string][]byte{}
	for i, a := range attrs {
		if !a.vlen {
			continue
		}
		idx := i + 1
		heap = append(heap, cat(le16(idx), le16(1), le32(0), le64(len(a.value)))...)
		heap = pad8(append(heap, a.value...))
		refs[a.name] = cat(le32(len(a.value)), le64(heapAt), le32(idx))
	}
	heap = append(heap, cat(le16(0), le16(0), le32(0), le64(0))...)
	binary.LittleEndian.PutUint64(heap[8:], uint64(len(heap)))

	attrMsg := func(a h5TestAttr) []byte {
		var dt, data []byte
		if a.vlen {
			dt = cat([]byte{0x19, 0x01, 0, 0}, le32(16), []byte{0x13, 0, 0, 0}, le32(1))
			data = refs[a.name]
		} else {
			dt = cat([]byte{0x13, 0, 0, 0}, le32(len(a.value)))
			data = []byte(a.value)
		}
		name := append([]byte(a.name), 0)
		if o.v2 {
			ds := []byte{2, 0, 0, 0}
			return cat([]byte{3, 0}, le16(len(name)), le16(len(dt)), le16(len(ds)), []byte{0}, name, dt, ds, data)
		}
		ds := []byte{1, 0, 0, 0, 0, 0, 0, 0}
		return pad8(cat([]byte{1, 0}, le16(len(name)), le16(len(dt)), le16(len(ds)), pad8(name), pad8(dt), ds, data))
	}
	msg := func(typ int, data []byte) []byte {
		if o.v2 {
			return cat([]byte{byte(typ)}, le16(len(data)), []byte{0}, data)
		}
		data = pad8(data)
		return cat(le16(typ), le16(len(data)), []byte{0, 0, 0, 0}, data)
	}
	var first, rest []byte
	for i, a := range attrs {
		m := msg(h5MsgAttribute, attrMsg(a))
		if o.continuation && i > 0 {
			rest = append(rest, m...)
		} else {
			first = append(first, m...)
		}
	}
	contAt := 4096 // relative to base
	if o.continuation {
		length := len(rest)
		if o.v2 {
			length += 8 // signature and checksum
		}
		first = append(first, msg(h5MsgContinuation, cat(le64(contAt), le64(length)))...)
	}

	var sb []byte
	if o.v2 {
		sb = cat([]byte(h5Signature), []byte{2, 8, 8, 0}, le64(base), le64(-1), le64(heapAt+len(heap)), le64(rootAt), le32(0))
	} else {
		sb = cat([]byte(h5Signature), []byte{0, 0, 0, 0, 0, 8, 8, 0}, le16(4), le16(16), le32(0),
			le64(base), le64(-1), le64(heapAt+len(heap)), le64(-1),
			le64(0), le64(rootAt), le32(0), le32(0), make([]byte, 16))
	}
	var hdr []byte
	if o.v2 {
		hdr = cat([]byte("OHDR"), []byte{2, 0x02}, le32(len(first)), first, le32(0))
	} else {
		hdr = cat([]byte{1, 0}, le16(len(attrs)+1), le32(1), le32(len(first)), le32(0), first)
	}
	file := make([]byte, base+heapAt+len(heap))
	copy(file[base:], sb)
	copy(file[base+rootAt:], hdr)
	if o.continuation {
		block := rest
		if o.v2 {
			block = cat([]byte("OCHK"), rest, le32(0))
		}
		copy(file[base+contAt:], block)
	}
	copy(file[base+heapAt:], heap)
	return file
}

func TestH5RootAttributes(t *testing.T) {
	attrs := []h5TestAttr{
		{name: "backend", value: "tensorflow", vlen: true},
		{name: "model_config", value: `{"class_name": "Sequential"}`},
		{name: "other", value: "x"},
		{name: "keras_version", value: "2.15.0", vlen: true},
	}
	want := []string{"backend=tensorflow", `model_config={"class_name": "Sequential"}`, "keras_version=2.15.0"}
	for _, o := range []h5Options{{}, {continuation: true}, {v2: true}, {v2: true, continuation: true}, {userBlock: true}} {
		t.Run(cmp.Diff(h5Options{}, o, cmp.AllowUnexported(h5Options{})), func(t *testing.T) {
			data := h5Build(attrs, o)
			got, err := h5RootAttributes(context.Background(), sliceSource(data), func(n string) bool { return n != "other" })
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, a := range got {
				names = append(names, a.Name+"="+string(a.Value))
				if string(data[a.Offset:a.Offset+int64(len(a.Value))]) != string(a.Value) {
					t.Errorf("attribute %s offset %d does not point at its value", a.Name, a.Offset)
				}
			}
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestH5Malformed(t *testing.T) {
	good := h5Build([]h5TestAttr{{name: "model_config", value: "{}"}}, h5Options{continuation: true})
	loop := h5Build([]h5TestAttr{{name: "a", value: "1"}, {name: "b", value: "2"}}, h5Options{continuation: true})
	// Point the continuation block at the root header itself.
	loopCont := 96 + 16 + 8 + 48 + 8
	binary.LittleEndian.PutUint64(loop[loopCont:], 96+16)
	tests := map[string][]byte{
		"no signature":   []byte("not an hdf5 file at all, just text"),
		"truncated":      good[:100],
		"bad superblock": append([]byte(h5Signature), 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9),
		"root outside file": func() []byte {
			b := append([]byte(nil), good[:200]...)
			binary.LittleEndian.PutUint64(b[64:], 1<<40)
			return b
		}(),
		"garbage header":     func() []byte { b := append([]byte(nil), good...); b[96] = 7; return b }(),
		"continuation loops": loop,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := h5RootAttributes(context.Background(), sliceSource(data), func(string) bool { return true })
			if name == "continuation loops" {
				// The loop is cut by the visited set: no error needed,
				// only termination.
				return
			}
			if !errors.Is(err, errHDF5) && !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want errHDF5", err)
			}
		})
	}
}

func FuzzHDF5(f *testing.F) {
	f.Add(h5Build([]h5TestAttr{{name: "model_config", value: `{"class_name": "Lambda"}`}, {name: "v", value: "1", vlen: true}}, h5Options{continuation: true}))
	f.Add(h5Build([]h5TestAttr{{name: "model_config", value: `{}`}}, h5Options{v2: true, continuation: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		attrs, _ := h5RootAttributes(context.Background(), sliceSource(data), func(string) bool { return true })
		for _, a := range attrs {
			if a.Offset < 0 || a.Offset > int64(len(data)) {
				t.Fatalf("attribute %q at offset %d outside the %d-byte file", a.Name, a.Offset, len(data))
			}
		}
		_, _ = newKerasH5().Scan(context.Background(), sliceSource(data), "m.h5", nil)
	})
}
