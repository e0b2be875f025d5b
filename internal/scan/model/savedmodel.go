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

// A TensorFlow SavedModel's saved_model.pb is a protobuf SavedModel: meta
// graphs, each with a GraphDef of NodeDefs and a library of FunctionDefs.
// Running the graph runs its ops, and some ops touch the file system or call
// back into Python, so the scan lists every op and flags the dangerous ones.

// Field numbers from TensorFlow's saved_model.proto, meta_graph.proto,
// graph.proto, function.proto, node_def.proto and attr_value.proto.
const (
	tfSavedModelVersion    = 1
	tfSavedModelMetaGraphs = 2

	tfMetaGraphInfo        = 1
	tfMetaGraphGraphDef    = 2
	tfMetaGraphObjectGraph = 7

	tfMetaInfoTags      = 4
	tfMetaInfoTFVersion = 5

	tfGraphNode    = 1
	tfGraphLibrary = 2
	tfLibFunction  = 1
	tfFuncSig      = 1
	tfFuncNodeDef  = 3
	tfOpDefName    = 1

	tfNodeName = 1
	tfNodeOp   = 2
	tfNodeAttr = 5

	tfAttrEntryKey   = 1
	tfAttrEntryValue = 2
	tfAttrValueList  = 1
	tfAttrValueS     = 2
	tfAttrListS      = 2
)

// tfOpRisk says how bad an op is and why.
type tfOpRisk struct {
	severity finding.Severity
	why      string
	// saver marks checkpoint ops that every SavedModel has in its saver
	// graph; they are flagged only outside it.
	saver bool
	// fileAttr names the string attribute that makes the op write to a
	// file ("file://..."); the op is flagged only when it does.
	fileAttr string
}

// tfDangerousOps are the ops that reach outside the tensor world. Python
// callbacks and arbitrary file reads and writes are critical: a served model
// never needs them, and they give code execution or data theft. Ops that
// only list or map files, or read datasets, rank lower.
var tfDangerousOps = map[string]tfOpRisk{
	"PyFunc":          {severity: finding.Critical, why: "calls a Python function"},
	"PyFuncStateless": {severity: finding.Critical, why: "calls a Python function"},
	"EagerPyFunc":     {severity: finding.Critical, why: "calls a Python function"},
	"WriteFile":       {severity: finding.Critical, why: "writes a file"},
	"ReadFile":        {severity: finding.Critical, why: "reads a file"},

	"MatchingFiles":       {severity: finding.High, why: "lists files on disk"},
	"ImmutableConst":      {severity: finding.High, why: "memory-maps a file"},
	"DatasetToTFRecord":   {severity: finding.High, why: "writes a file"},
	"Rpc":                 {severity: finding.High, why: "makes network calls"},
	"TryRpc":              {severity: finding.High, why: "makes network calls"},
	"Save":                {severity: finding.High, why: "writes a checkpoint file", saver: true},
	"SaveV2":              {severity: finding.High, why: "writes a checkpoint file", saver: true},
	"SaveSlices":          {severity: finding.High, why: "writes a checkpoint file", saver: true},
	"MergeV2Checkpoints":  {severity: finding.High, why: "moves and deletes checkpoint files", saver: true},
	"Restore":             {severity: finding.High, why: "reads a checkpoint file", saver: true},
	"RestoreV2":           {severity: finding.High, why: "reads a checkpoint file", saver: true},
	"RestoreSlice":        {severity: finding.High, why: "reads a checkpoint file", saver: true},
	"PrintV2":             {severity: finding.High, why: "prints tensors into a file", fileAttr: "output_stream"},
	"DebugIdentity":       {severity: finding.High, why: "dumps tensors into a file", fileAttr: "debug_urls"},
	"DebugIdentityV2":     {severity: finding.High, why: "dumps tensors into a file", fileAttr: "debug_urls"},
	"DebugNanCount":       {severity: finding.High, why: "dumps tensors into a file", fileAttr: "debug_urls"},
	"DebugNumericSummary": {severity: finding.High, why: "dumps tensors into a file", fileAttr: "debug_urls"},

	"CreateSummaryFileWriter":    {severity: finding.Medium, why: "writes summary files"},
	"CreateSummaryDbWriter":      {severity: finding.Medium, why: "writes a summary database"},
	"TextLineDataset":            {severity: finding.Medium, why: "reads files"},
	"TFRecordDataset":            {severity: finding.Medium, why: "reads files"},
	"TFRecordDatasetV2":          {severity: finding.Medium, why: "reads files"},
	"FixedLengthRecordDataset":   {severity: finding.Medium, why: "reads files"},
	"FixedLengthRecordDatasetV2": {severity: finding.Medium, why: "reads files"},
	"WholeFileReader":            {severity: finding.Medium, why: "reads files"},
	"WholeFileReaderV2":          {severity: finding.Medium, why: "reads files"},
	"TextLineReader":             {severity: finding.Medium, why: "reads files"},
	"TextLineReaderV2":           {severity: finding.Medium, why: "reads files"},
	"TFRecordReader":             {severity: finding.Medium, why: "reads files"},
	"TFRecordReaderV2":           {severity: finding.Medium, why: "reads files"},
	"FixedLengthRecordReader":    {severity: finding.Medium, why: "reads files"},
	"FixedLengthRecordReaderV2":  {severity: finding.Medium, why: "reads files"},
	"LoadAndRemapMatrix":         {severity: finding.Medium, why: "reads a checkpoint file"},
}

// tfMaxObjectGraph bounds the object graph read to look for Keras configs.
const tfMaxObjectGraph = 64 << 20

type savedModelScanner struct{}

// newSavedModel returns the scanner for TensorFlow saved_model.pb files
// (and keras_metadata.pb, which sits beside them).
func newSavedModel() formatScanner { return savedModelScanner{} }

// Name implements formatScanner.
func (savedModelScanner) Name() string { return "savedmodel" }

// Sniff recognises a SavedModel by its first bytes: schema version 1, then
// a meta graph whose first field is its MetaInfoDef. Files named
// saved_model.pb or keras_metadata.pb only need to start like a protobuf.
func (savedModelScanner) Sniff(head []byte, name string) bool {
	fields, ok := pbHeadFields(head, 4)
	if !ok || len(fields) == 0 {
		return false
	}
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if base == "saved_model.pb" || base == "keras_metadata.pb" {
		return fields[0].Num <= 2
	}
	if len(fields) < 2 {
		return false
	}
	v, mg := fields[0], fields[1]
	return v.Num == tfSavedModelVersion && v.Wire == pbVarint && v.Val == 1 &&
		mg.Num == tfSavedModelMetaGraphs && mg.Wire == pbBytes &&
		mg.Off < int64(len(head)) && head[mg.Off] == 0x0a
}

// tfOpUse aggregates the uses of one op.
type tfOpUse struct {
	count int
	// first is where the first flagged use is: node name and scope.
	node, scope string
	offset      int64
	detail      string
}

// tfWalk carries the state of one SavedModel scan.
type tfWalk struct {
	r        *pbReader
	findings []Finding
	flagged  map[string]*tfOpUse
	ops      map[string]int
	tags     []string
	version  string
	nodes    int
}

// Scan implements formatScanner.
func (savedModelScanner) Scan(ctx context.Context, src Source, name string, _ *Scanner) ([]Finding, error) {
	if path.Base(strings.ReplaceAll(name, `\`, "/")) == "keras_metadata.pb" {
		// Keras keeps each layer's JSON config here; the protobuf around
		// it matters less than the configs, so scan for them directly.
		return kerasScanBlob(ctx, src, 0, min(src.Size(), tfMaxObjectGraph), "keras_metadata.pb")
	}
	w := &tfWalk{r: newPBReader(src, src.Size()), flagged: map[string]*tfOpUse{}, ops: map[string]int{}}
	metaGraphs := 0
	err := w.r.walk(ctx, 0, src.Size(), 0, func(f pbField) error {
		if f.Num != tfSavedModelMetaGraphs || f.Wire != pbBytes {
			return nil
		}
		metaGraphs++
		return w.metaGraph(ctx, f)
	})
	w.report()
	if err != nil {
		return w.findings, fmt.Errorf("savedmodel: %w", err)
	}
	if metaGraphs == 0 {
		return w.findings, fmt.Errorf("savedmodel: %w: no meta graph", errProtobuf)
	}
	ops := slices.Sorted(maps.Keys(w.ops))
	if len(ops) > 200 {
		ops = append(ops[:200], "…")
	}
	w.findings = append(w.findings, Finding{Finding: finding.Finding{
		Type: "savedmodel_info", Severity: finding.Info,
		Message: fmt.Sprintf("TensorFlow SavedModel, %d meta graphs, %d nodes, %d distinct ops", metaGraphs, w.nodes, len(w.ops)),
	}, Detail: fmt.Sprintf("tags=%s tf=%s ops=%s", strings.Join(w.tags, ","), w.version, strings.Join(ops, ",")),
	})
	return w.findings, nil
}

// metaGraph walks one MetaGraphDef.
func (w *tfWalk) metaGraph(ctx context.Context, mg pbField) error {
	return w.r.walk(ctx, mg.Off, mg.Off+mg.Len, 1, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case tfMetaGraphInfo:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, 2, func(g pbField) error {
				var err error
				var s string
				switch {
				case g.Num == tfMetaInfoTags && g.Wire == pbBytes && len(w.tags) < 16:
					s, err = w.r.str(g, 64)
					w.tags = append(w.tags, s)
				case g.Num == tfMetaInfoTFVersion && g.Wire == pbBytes:
					w.version, err = w.r.str(g, 64)
				}
				return err
			})
		case tfMetaGraphGraphDef:
			return w.graph(ctx, f)
		case tfMetaGraphObjectGraph:
			// Keras layers saved through SavedModel keep their JSON
			// configs (Lambda layers included) in the object graph.
			found, err := kerasScanBlob(ctx, w.r.src, f.Off, min(f.Len, tfMaxObjectGraph), "object_graph_def")
			w.findings = append(w.findings, found...)
			return err
		}
		return nil
	})
}

// graph walks a GraphDef: top-level nodes and the function library.
func (w *tfWalk) graph(ctx context.Context, g pbField) error {
	return w.r.walk(ctx, g.Off, g.Off+g.Len, 2, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case tfGraphNode:
			return w.node(ctx, f, 3, "")
		case tfGraphLibrary:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, 3, func(l pbField) error {
				if l.Num == tfLibFunction && l.Wire == pbBytes {
					return w.function(ctx, l)
				}
				return nil
			})
		}
		return nil
	})
}

// function walks a FunctionDef. Its name comes from the signature, which
// protobuf writes first, so it is known before the nodes are visited.
func (w *tfWalk) function(ctx context.Context, fn pbField) error {
	name := ""
	return w.r.walk(ctx, fn.Off, fn.Off+fn.Len, 4, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case tfFuncSig:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, 5, func(s pbField) error {
				var err error
				if s.Num == tfOpDefName && s.Wire == pbBytes {
					name, err = w.r.str(s, 256)
				}
				return err
			})
		case tfFuncNodeDef:
			return w.node(ctx, f, 5, name)
		}
		return nil
	})
}

// node walks a NodeDef: its name, op and, for ops that may write to files,
// their string attributes.
func (w *tfWalk) node(ctx context.Context, n pbField, depth int, scope string) error {
	w.nodes++
	var name, op string
	var attrs []string // "key=value" for string attributes
	err := w.r.walk(ctx, n.Off, n.Off+n.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		var err error
		switch f.Num {
		case tfNodeName:
			name, err = w.r.str(f, 256)
		case tfNodeOp:
			op, err = w.r.str(f, 128)
		case tfNodeAttr:
			attrs, err = w.attr(ctx, f, depth+1, attrs)
		}
		return err
	})
	if err != nil {
		return err
	}
	if _, ok := w.ops[op]; ok || len(w.ops) < 4096 {
		w.ops[op]++
	}
	risk, ok := tfDangerousOps[op]
	if !ok {
		return nil
	}
	if risk.saver && tfInSaver(name, scope) {
		return nil
	}
	detail := ""
	if risk.fileAttr != "" {
		for _, a := range attrs {
			key, value, _ := strings.Cut(a, "=")
			if key == risk.fileAttr && strings.HasPrefix(strings.ToLower(value), "file://") {
				detail = value
			}
		}
		if detail == "" {
			return nil
		}
	}
	use := w.flagged[op]
	if use == nil {
		use = &tfOpUse{node: name, scope: scope, offset: n.Tag, detail: detail}
		w.flagged[op] = use
	}
	use.count++
	return nil
}

// attr reads one attr map entry and appends "key=value" for each string
// value it holds (s, or list.s), bounded in number and length.
func (w *tfWalk) attr(ctx context.Context, e pbField, depth int, out []string) ([]string, error) {
	var key string
	var values []string
	err := w.r.walk(ctx, e.Off, e.Off+e.Len, depth, func(f pbField) error {
		if f.Wire != pbBytes {
			return nil
		}
		switch f.Num {
		case tfAttrEntryKey:
			var err error
			key, err = w.r.str(f, 128)
			return err
		case tfAttrEntryValue:
			return w.r.walk(ctx, f.Off, f.Off+f.Len, depth+1, func(v pbField) error {
				switch {
				case v.Num == tfAttrValueS && v.Wire == pbBytes && len(values) < 16:
					s, err := w.r.str(v, 512)
					values = append(values, s)
					return err
				case v.Num == tfAttrValueList && v.Wire == pbBytes:
					return w.r.walk(ctx, v.Off, v.Off+v.Len, depth+2, func(l pbField) error {
						if l.Num == tfAttrListS && l.Wire == pbBytes && len(values) < 16 {
							s, err := w.r.str(l, 512)
							values = append(values, s)
							return err
						}
						return nil
					})
				}
				return nil
			})
		}
		return nil
	})
	for _, v := range values {
		if len(out) < 64 {
			out = append(out, key+"="+v)
		}
	}
	return out, err
}

// tfInSaver reports whether a node belongs to the checkpoint saver that
// every SavedModel carries: TF1 puts it under the "save" name scope, TF2 in
// the traced save and restore functions.
func tfInSaver(node, scope string) bool {
	if strings.Contains(scope, "_traced_save") || strings.Contains(scope, "_traced_restore") {
		return true
	}
	top, _, _ := strings.Cut(node, "/")
	return top == "save" || strings.HasPrefix(top, "save_")
}

// report turns the flagged op uses into findings, one per op.
func (w *tfWalk) report() {
	for _, op := range slices.Sorted(maps.Keys(w.flagged)) {
		use, risk := w.flagged[op], tfDangerousOps[op]
		where := fmt.Sprintf("node %q", use.node)
		if use.scope != "" {
			where += fmt.Sprintf(" in function %q", use.scope)
		}
		member := use.scope
		detail := use.detail
		if detail == "" {
			detail = use.node
		}
		w.findings = append(w.findings, Finding{Finding: finding.Finding{
			Type: "savedmodel_dangerous_op", Severity: risk.severity,
			Message: fmt.Sprintf("op %s %s when the graph runs (%d uses, first at %s)", op, risk.why, use.count, where),
			Member:  member, Offset: offsetAt(use.offset),
		}, Detail: detail,
		})
	}
}
