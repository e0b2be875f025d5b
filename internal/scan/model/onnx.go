package model

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// ONNX files are one protobuf ModelProto. Loading one runs no Python, but it
// can still reach outside the file: tensors may keep their bytes in external
// files named by a path (a path that escapes the model directory reads any
// file the loader can), and nodes in non-standard operator domains need a
// custom-op library, native code the runtime loads to run them.

// Field numbers from onnx.proto.
const (
	onnxModelIRVersion    = 1
	onnxModelProducer     = 2
	onnxModelProducerVer  = 3
	onnxModelGraph        = 7
	onnxModelOpset        = 8
	onnxModelTrainingInfo = 20
	onnxModelFunctions    = 25

	onnxOpsetDomain  = 1
	onnxOpsetVersion = 2

	onnxGraphNode         = 1
	onnxGraphName         = 2
	onnxGraphInitializer  = 5
	onnxGraphSparseInit   = 15
	onnxSparseValues      = 1
	onnxSparseIndices     = 2
	onnxTrainingInit      = 1
	onnxTrainingAlgorithm = 2

	onnxNodeName      = 3
	onnxNodeOpType    = 4
	onnxNodeAttribute = 5
	onnxNodeDomain    = 7

	onnxAttrTensor        = 5
	onnxAttrGraph         = 6
	onnxAttrTensors       = 10
	onnxAttrGraphs        = 11
	onnxAttrSparseTensor  = 22
	onnxAttrSparseTensors = 23

	onnxTensorName         = 8
	onnxTensorExternalData = 13
	onnxTensorDataLocation = 14
	onnxEntryKey           = 1
	onnxEntryValue         = 2

	onnxFuncName   = 1
	onnxFuncNode   = 7
	onnxFuncDomain = 10
)

// onnxStandardDomains are the operator domains ONNX Runtime implements
// itself; anything else needs a custom-op library.
var onnxStandardDomains = []string{"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "com.microsoft"}

// onnxMaxName bounds the names and paths read from the file.
const onnxMaxName = 1024

// onnxMaxOps bounds the distinct (domain, op) pairs remembered, so a file
// with millions of made-up op names cannot grow the scanner's memory.
const onnxMaxOps = 4096

type onnxScanner struct{}

// newONNX returns the scanner for ONNX ModelProto files.
func newONNX() formatScanner { return onnxScanner{} }

// Name implements formatScanner.
func (onnxScanner) Name() string { return "onnx" }

// Sniff recognises a ModelProto by its first fields: ir_version (field 1, a
// small varint) followed by ModelProto fields of the right wire types, up to
// the graph or opset list. ONNX has no magic number, so without the .onnx
// extension the graph or opset tag must show up in the head.
func (onnxScanner) Sniff(head []byte, name string) bool {
	fields, ok := pbHeadFields(head, 32)
	if !ok || len(fields) < 2 {
		return false
	}
	if f := fields[0]; f.Num != onnxModelIRVersion || f.Wire != pbVarint || f.Val == 0 || f.Val > 30 {
		return false
	}
	sawGraph := false
	for _, f := range fields[1:] {
		switch f.Num {
		case 5: // model_version
			if f.Wire != pbVarint {
				return false
			}
		case onnxModelProducer, onnxModelProducerVer, 4, 6, onnxModelGraph, onnxModelOpset, 14, onnxModelTrainingInfo, onnxModelFunctions:
			if f.Wire != pbBytes {
				return false
			}
			sawGraph = sawGraph || f.Num == onnxModelGraph || f.Num == onnxModelOpset
		default:
			return false
		}
	}
	return sawGraph || strings.EqualFold(path.Ext(name), ".onnx")
}

// onnxOpKey identifies an operator by domain and type.
type onnxOpKey struct{ domain, op string }

// onnxWalk carries the state of one ONNX scan.
type onnxWalk struct {
	r        *pbReader
	findings []Finding
	// ops counts node uses per (domain, op); firstAt is the offset of the
	// first node using it.
	ops     map[onnxOpKey]int
	firstAt map[onnxOpKey]int64
	// funcs holds the model-local functions, which nodes may call by
	// (domain, name) without any custom-op library.
	funcs   map[onnxOpKey]bool
	opsets  []string
	nodes   int
	tensors int
	// externalFiles counts tensors per external data file inside the
	// model directory.
	externalFiles map[string]int
}

// Scan implements formatScanner.
func (onnxScanner) Scan(ctx context.Context, src Source, name string, _ *Scanner) ([]Finding, error) {
	w := &onnxWalk{
		r:             newPBReader(src, src.Size()),
		ops:           map[onnxOpKey]int{},
		firstAt:       map[onnxOpKey]int64{},
		funcs:         map[onnxOpKey]bool{},
		externalFiles: map[string]int{},
	}
	var irVersion uint64
	var producer, producerVer string
	hasGraph := false
	err := w.r.walk(ctx, 0, src.Size(), 0, func(f pbField) error {
		var err error
		switch {
		case f.Num == onnxModelIRVersion && f.Wire == pbVarint:
			irVersion = f.Val
		case f.Num == onnxModelProducer && f.Wire == pbBytes:
			producer, err = w.r.str(f, 128)
		case f.Num == onnxModelProducerVer && f.Wire == pbBytes:
			producerVer, err = w.r.str(f, 64)
		case f.Num == onnxModelGraph && f.Wire == pbBytes:
			hasGraph = true
			err = w.graph(ctx, f, 1)
		case f.Num == onnxModelOpset && f.Wire == pbBytes:
			err = w.opset(ctx, f, 1)
		case f.Num == onnxModelTrainingInfo && f.Wire == pbBytes:
			err = w.r.walk(ctx, f.Off, f.Off+f.Len, 1, func(g pbField) error {
				if (g.Num == onnxTrainingInit || g.Num == onnxTrainingAlgorithm) && g.Wire == pbBytes {
					return w.graph(ctx, g, 2)
				}
				return nil
			})
		case f.Num == onnxModelFunctions && f.Wire == pbBytes:
			err = w.function(ctx, f, 1)
		}
		return err
	})
	w.report()
	if err != nil {
		return w.findings, fmt.Errorf("onnx: %w", err)
	}
	if !hasGraph {
		return w.findings, fmt.Errorf("onnx: %w: the model has no graph", errProtobuf)
	}
	w.findings = append(w.findings, Finding{Finding: finding.Finding{
		Type:     "onnx_model_info",
		Severity: finding.Info,
		Message:  fmt.Sprintf("ONNX model, IR version %d, %d nodes, %d tensors", irVersion, w.nodes, w.tensors),
	}, Detail: strings.TrimSpace(fmt.Sprintf("producer=%s %s opsets=%s", producer, producerVer, strings.Join(w.opsets, ","))),
	})
	return w.findings, nil
}

// graph walks a GraphProto: its nodes, initializers and sparse initializers.
func (w *onnxWalk) graph(ctx context.Context, g pbField, depth int) error {
	return w.r.walk(ctx, g.Off, g.Off+g.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case onnxGraphNode:
			return w.node(ctx, f, depth+1)
		case onnxGraphInitializer:
			return w.tensor(ctx, f, depth+1)
		case onnxGraphSparseInit:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, depth+1, func(t pbField) error {
				if (t.Num == onnxSparseValues || t.Num == onnxSparseIndices) && t.Wire == pbBytes {
					return w.tensor(ctx, t, depth+2)
				}
				return nil
			})
		}
		return nil
	})
}

// node walks a NodeProto, recording its operator and descending into
// attributes that hold tensors or subgraphs (If, Loop, Scan bodies).
func (w *onnxWalk) node(ctx context.Context, n pbField, depth int) error {
	w.nodes++
	var key onnxOpKey
	err := w.r.walk(ctx, n.Off, n.Off+n.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		var err error
		switch f.Num {
		case onnxNodeOpType:
			key.op, err = w.r.str(f, onnxMaxName)
		case onnxNodeDomain:
			key.domain, err = w.r.str(f, onnxMaxName)
		case onnxNodeAttribute:
			err = w.attribute(ctx, f, depth+1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if _, seen := w.ops[key]; seen || len(w.ops) < onnxMaxOps {
		if !seen {
			w.firstAt[key] = n.Tag
		}
		w.ops[key]++
	}
	return nil
}

// attribute walks an AttributeProto for the tensors and graphs it carries.
func (w *onnxWalk) attribute(ctx context.Context, a pbField, depth int) error {
	return w.r.walk(ctx, a.Off, a.Off+a.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case onnxAttrTensor, onnxAttrTensors:
			return w.tensor(ctx, f, depth+1)
		case onnxAttrGraph, onnxAttrGraphs:
			return w.graph(ctx, f, depth+1)
		case onnxAttrSparseTensor, onnxAttrSparseTensors:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, depth+1, func(t pbField) error {
				if (t.Num == onnxSparseValues || t.Num == onnxSparseIndices) && t.Wire == pbBytes {
					return w.tensor(ctx, t, depth+2)
				}
				return nil
			})
		}
		return nil
	})
}

// tensor walks a TensorProto's name and external-data entries; raw_data and
// the typed data arrays are skipped unread.
func (w *onnxWalk) tensor(ctx context.Context, t pbField, depth int) error {
	w.tensors++
	var name, location string
	var locationAt int64 = -1
	external := false
	err := w.r.walk(ctx, t.Off, t.Off+t.Len, depth, func(f pbField) error {
		var err error
		switch {
		case f.Num == onnxTensorName && f.Wire == pbBytes:
			name, err = w.r.str(f, onnxMaxName)
		case f.Num == onnxTensorDataLocation && f.Wire == pbVarint:
			external = f.Val == 1
		case f.Num == onnxTensorExternalData && f.Wire == pbBytes:
			var key, value string
			var valueAt int64
			err = w.r.walk(ctx, f.Off, f.Off+f.Len, depth+1, func(e pbField) error {
				var err error
				switch {
				case e.Num == onnxEntryKey && e.Wire == pbBytes:
					key, err = w.r.str(e, 64)
				case e.Num == onnxEntryValue && e.Wire == pbBytes:
					value, err = w.r.str(e, onnxMaxName)
					valueAt = e.Off
				}
				return err
			})
			if key == "location" {
				location, locationAt = value, valueAt
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	// A location is checked even when data_location is not EXTERNAL:
	// some loaders look at external_data alone.
	if locationAt < 0 {
		if external {
			w.findings = append(w.findings, Finding{Finding: finding.Finding{
				Type: "onnx_external_data_no_location", Severity: finding.Medium,
				Message: "tensor is marked as external data but names no location",
				Offset:  offsetAt(t.Tag),
			}, Detail: name,
			})
		}
		return nil
	}
	if why := onnxPathEscapes(location); why != "" {
		w.findings = append(w.findings, Finding{Finding: finding.Finding{
			Type: "onnx_external_data_escape", Severity: finding.Critical,
			Message: fmt.Sprintf("tensor %q reads its data from outside the model directory (%s): loading the model reads that file", name, why),
			Offset:  offsetAt(locationAt),
		}, Detail: location,
		})
		return nil
	}
	if _, ok := w.externalFiles[location]; ok || len(w.externalFiles) < onnxMaxOps {
		w.externalFiles[location]++
	}
	return nil
}

// opset records one OperatorSetIdProto as "domain:version".
func (w *onnxWalk) opset(ctx context.Context, o pbField, depth int) error {
	var domain string
	var version uint64
	err := w.r.walk(ctx, o.Off, o.Off+o.Len, depth, func(f pbField) error {
		var err error
		switch {
		case f.Num == onnxOpsetDomain && f.Wire == pbBytes:
			domain, err = w.r.str(f, onnxMaxName)
		case f.Num == onnxOpsetVersion && f.Wire == pbVarint:
			version = f.Val
		}
		return err
	})
	if err != nil {
		return err
	}
	if domain == "" {
		domain = "ai.onnx"
	}
	if len(w.opsets) < 64 {
		w.opsets = append(w.opsets, fmt.Sprintf("%s:%d", domain, version))
	}
	return nil
}

// function walks a model-local FunctionProto: its nodes count like graph
// nodes, and its (domain, name) becomes callable without a custom op.
func (w *onnxWalk) function(ctx context.Context, fn pbField, depth int) error {
	var key onnxOpKey
	err := w.r.walk(ctx, fn.Off, fn.Off+fn.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		var err error
		switch f.Num {
		case onnxFuncName:
			key.op, err = w.r.str(f, onnxMaxName)
		case onnxFuncDomain:
			key.domain, err = w.r.str(f, onnxMaxName)
		case onnxFuncNode:
			err = w.node(ctx, f, depth+1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(w.funcs) < onnxMaxOps {
		w.funcs[key] = true
	}
	return nil
}

// report turns the collected operators, functions and external files into
// findings, one per custom domain rather than one per node.
func (w *onnxWalk) report() {
	custom := map[string][]string{}
	firstAt := map[string]int64{}
	uses := map[string]int{}
	for key, n := range w.ops {
		if slices.Contains(onnxStandardDomains, key.domain) || w.funcs[key] {
			continue
		}
		custom[key.domain] = append(custom[key.domain], key.op)
		uses[key.domain] += n
		if at, ok := firstAt[key.domain]; !ok || w.firstAt[key] < at {
			firstAt[key.domain] = w.firstAt[key]
		}
	}
	for _, domain := range slices.Sorted(maps.Keys(custom)) {
		ops := custom[domain]
		slices.Sort(ops)
		w.findings = append(w.findings, Finding{Finding: finding.Finding{
			Type: "onnx_custom_op_domain", Severity: finding.Medium,
			Message: fmt.Sprintf("%d nodes use operators from the non-standard domain %q, which needs a custom-op library (native code) to run", uses[domain], domain),
			Offset:  offsetAt(firstAt[domain]),
		}, Detail: strings.Join(ops, ","),
		})
	}
	if len(w.funcs) > 0 {
		var names []string
		for key := range w.funcs {
			names = append(names, key.domain+"."+key.op)
		}
		slices.Sort(names)
		w.findings = append(w.findings, Finding{Finding: finding.Finding{
			Type: "onnx_local_functions", Severity: finding.Info,
			Message: fmt.Sprintf("the model defines %d local functions", len(names)),
		}, Detail: strings.Join(names, ","),
		})
	}
	if len(w.externalFiles) > 0 {
		files := slices.Sorted(maps.Keys(w.externalFiles))
		w.findings = append(w.findings, Finding{Finding: finding.Finding{
			Type: "onnx_external_data", Severity: finding.Info,
			Message: fmt.Sprintf("tensors keep their data in %d external files beside the model; scan those too", len(files)),
		}, Detail: strings.Join(files, ","),
		})
	}
}

// onnxPathEscapes says why an external-data location would resolve outside
// the model directory, or returns "" when it stays inside. Both separators
// count, since the same file may be loaded on Windows.
func onnxPathEscapes(loc string) string {
	switch {
	case loc == "":
		return "empty path"
	case strings.ContainsRune(loc, 0):
		return "NUL byte in path"
	case strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`):
		return "absolute path"
	case len(loc) >= 2 && loc[1] == ':' && (loc[0]|0x20 >= 'a' && loc[0]|0x20 <= 'z'):
		return "drive-letter path"
	case strings.HasPrefix(loc, "~"):
		return "home-directory path"
	}
	for part := range strings.FieldsFuncSeq(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "parent-directory component"
		}
	}
	return ""
}
