package model

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/redoubt-sec/redoubt/finding"
)

// Keras models carry their architecture as JSON: the root attribute
// model_config of a legacy .h5 file, config.json in a .keras (v3) zip. The
// config is data, except where it is not: a Lambda layer stores its Python
// function as marshalled bytecode that runs on load, and Keras 3 configs
// name the Python module each object is imported from, so a config can make
// Keras import and call any function it likes.

// kerasMaxConfig bounds a config read into memory.
const kerasMaxConfig = 64 << 20

// kerasAllowedModules are the module prefixes that Keras itself and its
// official companions serialise objects from.
var kerasAllowedModules = []string{"keras", "tensorflow", "tf_keras", "keras_hub", "keras_nlp", "keras_cv"}

// kerasDangerousModules give code execution, process or network access, or
// a way to load more code; an object imported from one is an attack.
var kerasDangerousModules = []string{
	"os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "runpy", "importlib",
	"pickle", "_pickle", "marshal", "ctypes", "pty", "code", "codeop", "webbrowser",
	"commands", "multiprocessing", "asyncio", "pip", "setuptools", "timeit", "bdb", "pdb",
	"requests", "urllib", "http", "ftplib", "telnetlib", "smtplib", "tempfile", "glob",
	"pathlib", "zipfile", "tarfile", "io", "operator", "functools", "types", "inspect", "gc",
}

// kerasDangerousNames are function names that are dangerous whatever module
// they come from: Python's code-running builtins, and the Keras helpers
// abused to get around safe_mode (downloading files, switching safe_mode
// off).
var kerasDangerousNames = []string{
	"eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "delattr",
	"globals", "locals", "vars", "breakpoint", "input", "system", "popen",
	"get_file", "enable_unsafe_deserialization", "load_model", "load_weights",
}

// kerasDangerousTFOps are substrings of TFOpLambda function names that reach
// files or Python.
var kerasDangerousTFOps = []string{
	"io.", "gfile", "py_func", "py_function", "numpy_function", "raw_ops.",
	"load_library", "load_op_library", "saved_model", "write_file", "read_file",
}

type kerasH5Scanner struct{}

// newKerasH5 returns the scanner for legacy Keras .h5 (HDF5) files.
func newKerasH5() formatScanner { return kerasH5Scanner{} }

// Name implements formatScanner.
func (kerasH5Scanner) Name() string { return "keras_h5" }

// Sniff recognises the HDF5 superblock signature at any offset HDF5 allows
// inside the head (0, 512, 1024, 2048).
func (kerasH5Scanner) Sniff(head []byte, _ string) bool {
	for off := 0; off+len(h5Signature) <= len(head); off = max(512, off*2) {
		if bytes.HasPrefix(head[off:], []byte(h5Signature)) {
			return true
		}
	}
	return false
}

// Scan implements formatScanner. It reads the root group's attributes
// through a structured HDF5 walk and, when that fails or finds no config,
// falls back to searching the file's first and last bytes for Keras JSON.
func (kerasH5Scanner) Scan(ctx context.Context, src Source, _ string, _ *Scanner) ([]Finding, error) {
	attrs, err := h5RootAttributes(ctx, src, func(name string) bool {
		return name == "model_config" || name == "training_config" || name == "keras_version" || name == "backend"
	})
	var findings []Finding
	sawConfig := false
	version := ""
	for _, a := range attrs {
		switch a.Name {
		case "keras_version", "backend":
			version = strings.TrimSpace(version + " " + a.Name + "=" + string(a.Value))
		default:
			sawConfig = true
			findings = append(findings, kerasAnalyze(a.Value, a.Name, a.Offset)...)
		}
	}
	if err == nil && sawConfig {
		return append(findings, Finding{Finding: finding.Finding{
			Type: "keras_h5_info", Severity: finding.Info,
			Message: "Keras HDF5 model",
		}, Detail: version,
		}), nil
	}
	if ctx.Err() != nil {
		return findings, ctx.Err()
	}
	why := "the root group has no model_config attribute"
	if err != nil {
		why = err.Error()
	}
	// The fallback sees configs the walk cannot reach (dense attribute
	// storage, shared datatypes) at the cost of precision.
	fallback, ferr := kerasScanBlob(ctx, src, 0, min(src.Size(), kerasMaxConfig), "")
	if ferr == nil && src.Size() > kerasMaxConfig {
		var tail []Finding
		start := max(kerasMaxConfig, src.Size()-kerasMaxConfig)
		tail, ferr = kerasScanBlob(ctx, src, start, src.Size()-start, "")
		fallback = append(fallback, tail...)
	}
	findings = append(findings, fallback...)
	if ferr != nil {
		return findings, fmt.Errorf("keras_h5: %w", ferr)
	}
	if err != nil && len(fallback) == 0 {
		// Neither reading worked: the file cannot be vouched for.
		return findings, fmt.Errorf("keras_h5: %w", err)
	}
	msg := "HDF5 file without a Keras model config (a weights-only file, or not Keras)"
	if len(fallback) > 0 || err != nil {
		msg = "structured HDF5 walk incomplete; searched the raw bytes for Keras JSON instead"
	}
	return append(findings, Finding{Finding: finding.Finding{
		Type: "keras_h5_fallback", Severity: finding.Info,
		Message: msg,
	}, Detail: why,
	}), nil
}

type kerasV3Scanner struct{}

// newKerasV3 returns the scanner for Keras 3 .keras zip archives.
func newKerasV3() formatScanner { return kerasV3Scanner{} }

// Name implements formatScanner.
func (kerasV3Scanner) Name() string { return "keras_v3" }

// Sniff recognises a zip whose first entries are Keras's metadata.json and
// config.json (Keras writes them first and uncompressed-small, so both
// names fall in the head), or a zip named *.keras.
func (kerasV3Scanner) Sniff(head []byte, name string) bool {
	if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false
	}
	if strings.EqualFold(path.Ext(name), ".keras") {
		return true
	}
	return bytes.Contains(head, []byte("config.json")) && bytes.Contains(head, []byte("metadata.json"))
}

// kerasV3Members are the entries Keras itself writes.
var kerasV3Members = []string{"config.json", "metadata.json", "model.weights.h5", "model.weights.npz"}

// Scan implements formatScanner.
func (kerasV3Scanner) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	zr, err := zip.NewReader(io.NewSectionReader(src, 0, src.Size()), src.Size())
	if err != nil {
		return nil, fmt.Errorf("keras_v3: opening zip: %w", err)
	}
	var findings []Finding
	var configErr error
	sawConfig := false
	version := ""
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return findings, err
		}
		switch {
		case f.Name == "config.json":
			data, off, err := kerasReadMember(f)
			if err != nil {
				return findings, fmt.Errorf("keras_v3: %w", err)
			}
			sawConfig = true
			doc, err := kerasV3Config(data)
			if err != nil {
				// Keras cannot load the model, and nothing in the config
				// could be checked: an error, not a pass. The other
				// members are still scanned for what they hold.
				configErr = fmt.Errorf("keras_v3: %w", err)
				continue
			}
			findings = append(findings, kerasFindings(doc, f.Name, off)...)
		case f.Name == "metadata.json":
			data, _, err := kerasReadMember(f)
			if err != nil {
				return findings, fmt.Errorf("keras_v3: %w", err)
			}
			var meta struct {
				Version string `json:"keras_version"`
			}
			if json.Unmarshal(data, &meta) == nil {
				version = meta.Version
			}
		default:
			// The generic zip scanner does not see inside a file claimed
			// as keras_v3: stored members go through the Scanner's own
			// sniffing, and a member Keras never writes raises a flag.
			off, err := f.DataOffset()
			if s != nil && err == nil && f.Method == zip.Store && f.CompressedSize64 <= uint64(src.Size()) {
				findings = append(findings, s.scanMember(ctx, io.NewSectionReader(src, off, int64(f.CompressedSize64)), f.Name)...)
			}
			if !slices.Contains(kerasV3Members, f.Name) && !strings.HasPrefix(f.Name, "assets/") {
				findings = append(findings, Finding{Finding: finding.Finding{
					Type: "keras_v3_unexpected_member", Severity: finding.Medium,
					Message: "archive member that Keras does not write; check what it is and who reads it",
					Member:  f.Name, Offset: offsetAt(off),
				},
				})
			}
		}
	}
	if !sawConfig {
		return findings, errors.New("keras_v3: the archive has no config.json")
	}
	if configErr != nil {
		return findings, configErr
	}
	return append(findings, Finding{Finding: finding.Finding{
		Type: "keras_v3_info", Severity: finding.Info,
		Message: "Keras 3 model archive",
	}, Detail: "keras_version=" + version,
	}), nil
}

// kerasReadMember reads a zip member of at most kerasMaxConfig bytes and
// returns it with its data offset in the archive.
func kerasReadMember(f *zip.File) ([]byte, int64, error) {
	if f.UncompressedSize64 > kerasMaxConfig {
		return nil, 0, fmt.Errorf("member %s is %d bytes, over the %d-byte limit for a config", f.Name, f.UncompressedSize64, kerasMaxConfig)
	}
	off, _ := f.DataOffset()
	rc, err := f.Open()
	if err != nil {
		return nil, off, fmt.Errorf("opening member %s: %w", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, kerasMaxConfig+1))
	if err != nil {
		return nil, off, fmt.Errorf("reading member %s: %w", f.Name, err)
	}
	if len(data) > kerasMaxConfig {
		return nil, off, fmt.Errorf("member %s inflates past the %d-byte limit for a config", f.Name, kerasMaxConfig)
	}
	return data, off, nil
}

// kerasReport collects config findings, merging repeats (a model with fifty
// custom layers of one class gives one finding, with a count).
type kerasReport struct {
	member string
	offset int64
	keys   []string
	byKey  map[string]*Finding
	counts map[string]int
}

func (r *kerasReport) add(rule string, severity finding.Severity, msg, detail string) {
	key := rule + "\x00" + detail
	if f, ok := r.byKey[key]; ok {
		r.counts[key]++
		f.Severity = max(f.Severity, severity)
		return
	}
	r.keys = append(r.keys, key)
	r.byKey[key] = &Finding{Finding: finding.Finding{Type: rule, Severity: severity, Message: msg, Member: r.member, Offset: offsetAt(r.offset)}, Detail: detail}
	r.counts[key] = 1
}

func (r *kerasReport) findings() []Finding {
	out := make([]Finding, 0, len(r.keys))
	for _, k := range r.keys {
		f := *r.byKey[k]
		if n := r.counts[k]; n > 1 {
			f.Message += fmt.Sprintf(" (%d times)", n)
		}
		out = append(out, f)
	}
	return out
}

// kerasAnalyze checks one Keras config document (model_config,
// training_config, a layer's metadata). offset locates the document in the
// file; findings carry it since JSON positions inside a decoded document do
// not map back to file bytes once escapes are involved.
func kerasAnalyze(data []byte, member string, offset int64) []Finding {
	doc, err := kerasDecode(data)
	if err != nil {
		return []Finding{{Finding: finding.Finding{
			Type: "keras_config_invalid", Severity: finding.Medium,
			Message: "Keras config is not valid JSON, so Keras would refuse it and nothing in it could be checked",
			Member:  member, Offset: offsetAt(offset),
		}, Detail: err.Error(),
		}}
	}
	return kerasFindings(doc, member, offset)
}

// kerasFindings checks a decoded config document.
func kerasFindings(doc any, member string, offset int64) []Finding {
	r := &kerasReport{member: member, offset: offset, byKey: map[string]*Finding{}, counts: map[string]int{}}
	kerasWalk(r, doc)
	return r.findings()
}

// kerasV3Config decodes a .keras archive's config.json, which Keras 3
// loads with json.loads and deserialises as one object: a JSON object
// naming its class_name. Anything else cannot be a loadable model.
func kerasV3Config(data []byte) (any, error) {
	doc, err := kerasDecode(data)
	if err != nil {
		return nil, fmt.Errorf("config.json is not valid JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("config.json holds a JSON %s, not a serialised Keras object", jsonKind(doc))
	}
	if _, ok := obj["class_name"].(string); !ok {
		return nil, errors.New("config.json is not a serialised Keras object: it names no class_name")
	}
	return doc, nil
}

// jsonKind names the JSON type of a decoded value, for errors.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// kerasDecode parses a Keras config document as Keras does, with Python's
// json.loads on the raw bytes, so that what Keras loads is what gets
// checked: the text is decoded as Python detects it (see pythonJSONText),
// NaN and the infinities are accepted, and anything but whitespace after
// the value is an error, as Python's "Extra data" is.
func kerasDecode(data []byte) (any, error) {
	text, err := pythonJSONText(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("extra data after the JSON value")
	}
	return doc, nil
}

// kerasWalk visits every object in a decoded config.
func kerasWalk(r *kerasReport, v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			kerasWalk(r, e)
		}
	case map[string]any:
		if class, ok := v["class_name"].(string); ok {
			kerasObject(r, class, v)
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			kerasWalk(r, v[k])
		}
	}
}

// kerasObject checks one serialised object: {"class_name", "config"} and,
// in Keras 3, "module" and "registered_name".
func kerasObject(r *kerasReport, class string, obj map[string]any) {
	config, _ := obj["config"].(map[string]any)
	switch class {
	case "Lambda":
		r.add("keras_lambda_layer", finding.Critical,
			"Lambda layer: its Python function is stored in the model and runs when the model is loaded or called",
			kerasLambdaDetail(config))
	case "TFOpLambda":
		fn, _ := config["function"].(string)
		for _, bad := range kerasDangerousTFOps {
			if strings.Contains(fn, bad) {
				r.add("keras_tfop_lambda", finding.Critical,
					"TFOpLambda layer calls a TensorFlow function that reaches files or Python", fn)
				break
			}
		}
	}
	name := class
	if s, ok := obj["config"].(string); ok && (class == "function" || class == "__function__") {
		name = s // Keras 3 functions: {"class_name": "function", "config": "relu"}
	}
	module, hasModule := obj["module"].(string)
	registered, _ := obj["registered_name"].(string)
	top, _, _ := strings.Cut(module, ".")
	switch {
	case slices.Contains(kerasDangerousNames, name) && (!hasModule || !kerasAllowed(module) || name == "get_file" || name == "enable_unsafe_deserialization"):
		r.add("keras_dangerous_object", finding.Critical,
			fmt.Sprintf("config deserialises %q, a function that runs code or switches off Keras safe mode", name),
			strings.TrimPrefix(module+"."+name, "."))
	case !hasModule:
	case slices.Contains(kerasDangerousModules, top) || (top == "builtins" && slices.Contains(kerasDangerousNames, name)):
		r.add("keras_dangerous_module", finding.Critical,
			fmt.Sprintf("config imports %q from module %q, which can run code", name, module), module+"."+name)
	case top == "builtins" || top == "__builtin__":
	case !kerasAllowed(module):
		r.add("keras_custom_object", finding.High,
			fmt.Sprintf("config imports %q from module %q, outside Keras: loading runs that module's code", name, module),
			module+"."+name)
	case strings.Contains(registered, ">") && !kerasAllowed(strings.ToLower(registered[:strings.Index(registered, ">")])):
		// Keras's own packages register as "keras_hub>Name"; anything
		// else was registered by code the loading process must import.
		r.add("keras_registered_object", finding.Medium,
			"config names a registered custom object; loading needs, and runs, the code that registered it",
			registered)
	}
}

// kerasAllowed reports whether module is Keras's own or TensorFlow's.
func kerasAllowed(module string) bool {
	top, _, _ := strings.Cut(module, ".")
	return slices.Contains(kerasAllowedModules, top)
}

// kerasLambdaDetail describes a Lambda's function: the named function, or
// the identifiers readable in its marshalled bytecode (the names it uses,
// such as "os" and "system", are stored as plain strings).
func kerasLambdaDetail(config map[string]any) string {
	var code string
	switch fn := config["function"].(type) {
	case []any: // Keras 2: [base64 bytecode, defaults, closure]
		if len(fn) > 0 {
			code, _ = fn[0].(string)
		}
	case string: // Keras 2 named function, or a bare base64 string
		if t, _ := config["function_type"].(string); t == "function" {
			module, _ := config["module"].(string)
			return "function " + strings.TrimPrefix(module+"."+fn, ".")
		}
		code = fn
	case map[string]any: // Keras 3: {"class_name": "__lambda__", "config": {"code": ...}}
		if c, ok := fn["config"].(map[string]any); ok {
			code, _ = c["code"].(string)
		} else if s, ok := fn["config"].(string); ok {
			module, _ := fn["module"].(string)
			return "function " + strings.TrimPrefix(module+"."+s, ".")
		}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(code))
	if err != nil || len(raw) == 0 {
		return "bytecode not decodable"
	}
	return "bytecode names: " + strings.Join(printableRuns(raw, 2, 16), ",")
}

// printableRuns returns up to limit distinct runs of identifier-like bytes
// at least minLen long, in order of appearance.
func printableRuns(b []byte, minLen, limit int) []string {
	var out []string
	start := -1
	for i := 0; i <= len(b); i++ {
		ok := i < len(b) && (b[i] == '_' || b[i] == '.' || b[i] >= '0' && b[i] <= '9' || b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z')
		if ok && start < 0 {
			start = i
		}
		if !ok && start >= 0 {
			if i-start >= minLen && !slices.Contains(out, string(b[start:i])) {
				out = append(out, string(b[start:i]))
				if len(out) == limit {
					return out
				}
			}
			start = -1
		}
	}
	return out
}

// kerasScanBlob reads n bytes at off and analyses every JSON object in them
// that holds a "class_name" key: the fallback for HDF5 files the structured
// walk cannot read, and the way into protobuf files that embed Keras
// configs as strings. Candidate objects are found by brace matching that
// gives up at the first byte JSON cannot contain, so binary data costs
// little; a work budget bounds the rest.
func kerasScanBlob(ctx context.Context, src io.ReaderAt, off, n int64, member string) ([]Finding, error) {
	if n <= 0 {
		return nil, nil
	}
	data := make([]byte, n)
	if got, err := src.ReadAt(data, off); got < len(data) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
	}
	var findings []Finding
	budget := 16*len(data) + 1<<20
	for i := 0; i < len(data); {
		k := bytes.Index(data[i:], []byte(`{"`))
		if k < 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return findings, err
		}
		start := i + k
		end, steps := jsonObjectEnd(data, start)
		budget -= steps
		if budget < 0 {
			findings = append(findings, Finding{Finding: finding.Finding{
				Type: "keras_blob_budget", Severity: finding.Info,
				Message: "stopped searching for Keras JSON: work budget exhausted", Member: member, Offset: offsetAt(off + int64(start)),
			},
			})
			break
		}
		if end < 0 {
			i = start + 1
			continue
		}
		obj := data[start:end]
		if !bytes.Contains(obj, []byte(`"class_name"`)) {
			i = end
			continue
		}
		doc, err := kerasDecode(obj)
		if err != nil {
			i = start + 1
			continue
		}
		findings = append(findings, kerasFindings(doc, member, off+int64(start))...)
		i = end
	}
	return findings, nil
}

// jsonObjectEnd returns the end of the JSON object starting at data[start]
// (which is '{') and the bytes it looked at, or -1 when the braces do not
// balance before a byte that cannot occur in JSON text.
func jsonObjectEnd(data []byte, start int) (int, int) {
	depth, inString, escaped := 0, false, false
	for i := start; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c < 0x20:
				return -1, i - start + 1
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1, i - start + 1
			}
		case c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r', c >= 0x7f:
			return -1, i - start + 1
		}
	}
	return -1, len(data) - start
}
