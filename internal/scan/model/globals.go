package model

import (
	"path"
	"strings"
)

// This file holds the pickle allow- and deny-lists as data. A pickle names
// every Python object it needs to rebuild as "module.name" (a global); the
// scanner compares each global it sees, after alias normalisation, against
// these tables. Read-only after package init: the scanner copies what it
// needs into its own maps in New.

// globalRule is one entry of a list: a qualified name or a module prefix,
// with the reason it is on the list (shown to users in findings).
type globalRule struct {
	// Name is "module", "module.attr" or, on the allow-list only, a
	// pattern where "*" matches within one dotted segment ("torch.*Storage").
	Name   string
	Reason string
}

// moduleAliases maps module names that resolve to the same code to one
// canonical name, so one list entry covers every spelling. Python 2
// pickles say __builtin__ and copy_reg; C accelerator modules (_pickle,
// _operator, _io, ...) are what the pure-Python names import.
var moduleAliases = map[string]string{
	"__builtin__": "builtins",
	"exceptions":  "builtins",
	"copy_reg":    "copyreg",
	"_operator":   "operator",
	"_functools":  "functools",
	"_pickle":     "pickle",
	"cPickle":     "pickle",
	"_io":         "io",
	"_socket":     "socket",
	"_ssl":        "ssl",
	"httplib":     "http.client",
	"urllib2":     "urllib.request",
	"_asyncio":    "asyncio",
	"_thread":     "thread",
	"_posixshmem": "posix",
	"_winapi":     "nt",
	"_ctypes":     "ctypes",
	"_imp":        "importlib",
	"_bootlocale": "locale",
}

// denyGlobals are globals whose import alone marks a pickle malicious: each
// runs code, spawns processes, touches files or the network, or loads
// another untrusted payload. An entry covers the name and everything
// below it ("os" covers "os.system" and "os.path.join").
var denyGlobals = []globalRule{
	// Process and shell execution.
	{"os", "operating-system interface: runs commands, writes files"},
	{"posix", "POSIX os backend: system, popen, exec*"},
	{"nt", "Windows os backend: system, startfile, spawn*"},
	{"_posixsubprocess", "forks and executes processes"},
	{"subprocess", "runs external processes"},
	{"pty", "spawns a process on a pseudo-terminal"},
	{"commands", "Python 2 shell command runner"},
	{"popen2", "Python 2 process spawner"},
	{"platform.popen", "runs a shell command"},
	{"asyncio", "event loop can spawn subprocesses and open sockets"},
	{"multiprocessing", "starts processes and unpickles data sent to them"},
	{"concurrent.futures.process", "runs callables in child processes"},
	{"venv", "creates environments by running pip and executables"},
	{"ensurepip", "runs pip, which installs and executes packages"},
	{"pip", "installs and executes arbitrary packages"},
	{"setuptools", "build hooks execute package code"},
	{"distutils", "runs compilers and writes files"},
	{"_aix_support", "helper that runs shell commands"},
	{"_osx_support", "helper that runs shell commands"},
	{"uuid._get_command_stdout", "runs an external command"},
	{"imaplib.IMAP4_stream", "spawns the given command as a transport"},
	{"_pyrepl", "pager and console helpers run commands and code"},
	{"pydoc", "pager runs shell commands; locate imports anything"},
	{"webbrowser", "launches external programs"},
	{"os.system", "runs a shell command"},

	// Code evaluation and introspection in builtins.
	{"builtins.eval", "evaluates Python source"},
	{"builtins.exec", "executes Python source"},
	{"builtins.execfile", "executes a Python file"},
	{"builtins.compile", "compiles Python source into runnable code"},
	{"builtins.getattr", "reaches any attribute, e.g. os.system, at load time"},
	{"builtins.setattr", "overwrites attributes of modules and classes"},
	{"builtins.delattr", "deletes attributes of modules and classes"},
	{"builtins.__import__", "imports any module at load time"},
	{"builtins.open", "opens files for reading or writing"},
	{"builtins.file", "Python 2 file constructor"},
	{"builtins.breakpoint", "starts a debugger that runs code"},
	{"builtins.apply", "Python 2 call-anything helper"},
	{"builtins.input", "reads stdin (Python 2 input also evaluates it)"},
	{"builtins.globals", "exposes the module namespace for tampering"},
	{"builtins.locals", "exposes the local namespace for tampering"},
	{"builtins.vars", "exposes object namespaces for tampering"},
	{"builtins.help", "interactive help runs a pager process"},
	{"builtins.exit", "terminates the loading process"},
	{"builtins.quit", "terminates the loading process"},
	{"builtins.reload", "re-executes a module"},

	// Interpreters, debuggers and profilers: all of them run code strings.
	{"runpy", "runs modules and scripts"},
	{"code", "interactive interpreter runs source"},
	{"codeop", "compiles source"},
	{"pdb", "debugger runs code strings"},
	{"bdb", "debugger base runs code strings"},
	{"trace", "tracer runs code strings"},
	{"profile", "profiler runs code strings"},
	{"cProfile", "profiler runs code strings"},
	{"timeit", "times (runs) code strings"},
	{"doctest", "runs code found in docstrings"},
	{"idlelib", "IDE internals that run and evaluate code"},
	{"lib2to3.pgen2", "grammar loader unpickles files"},
	{"types.CodeType", "builds bytecode objects"},
	{"types.FunctionType", "builds functions from bytecode"},
	{"types.LambdaType", "builds functions from bytecode"},
	{"types.MethodType", "binds arbitrary callables"},
	{"cloudpickle", "rebuilds functions from serialized bytecode"},
	{"dill", "rebuilds functions from serialized bytecode; loads pickles"},
	{"marshal", "loads bytecode"},

	// Imports and interpreter state.
	{"importlib", "imports any module"},
	{"imp", "imports any module"},
	{"pkgutil", "resolves and imports any name"},
	{"zipimport", "imports code from archives"},
	{"sys", "interpreter state: sys.modules overrides, exit"},
	{"ctypes", "calls native code and loads shared libraries"},
	{"cffi", "calls native code"},
	{"gc", "reaches every live object"},
	{"test", "CPython test helpers run interpreters and scripts"},

	// Attribute and call gadgets used to reach dangerous callables.
	{"operator.attrgetter", "fetches arbitrary (dotted) attributes"},
	{"operator.methodcaller", "calls arbitrary methods by name"},
	{"functools.reduce", "calls a callable repeatedly"},

	// Nested deserialization: loading another untrusted payload.
	{"pickle", "unpickles nested data (a second, unscanned payload)"},
	{"shelve", "unpickles database values"},
	{"joblib.load", "unpickles a nested file"},
	{"numpy.load", "unpickles object arrays"},
	{"numpy.lib.npyio", "numpy.load and friends unpickle data"},
	{"numpy.testing", "test helpers run code strings"},
	{"numpy.f2py", "runs compilers and evaluates expressions"},
	{"numpy.distutils", "runs compilers and commands"},
	{"torch.load", "loads a nested (unscanned) checkpoint"},
	{"torch.serialization.load", "loads a nested (unscanned) checkpoint"},
	{"torch.storage._load_from_bytes", "calls torch.load on embedded bytes"},
	{"torch.hub", "downloads and runs repository code"},
	{"torch.jit.load", "loads TorchScript programs"},
	{"torch.package", "imports code shipped inside packages"},
	{"torch.utils.bottleneck", "profiler that runs scripts"},
	{"torch.utils.collect_env", "runs shell commands"},
	{"torch.utils._config_module", "config loader unpickles and executes"},
	{"torch.utils.data.datapipes.utils.decoder", "decoders unpickle data"},
	{"torch._dynamo", "guard builders evaluate expressions"},
	{"torch._inductor", "compiles and runs generated code"},
	{"torch.fx.experimental.symbolic_shapes", "evaluates guard expressions"},
	{"torch.jit.unsupported_tensor_ops", "execWrapper executes code"},
	{"torch.distributed", "opens network connections and runs RPCs"},
	{"keras.models.load_model", "loads a nested model (Lambda layers run code)"},

	// Files.
	{"io.open", "opens files"},
	{"io.open_code", "opens files"},
	{"io.FileIO", "opens files for reading or writing"},
	{"shutil", "copies, moves and deletes files; runs archivers"},
	{"tempfile", "creates files"},
	{"logging.FileHandler", "creates and writes files"},
	{"logging.config", "config loaders evaluate and listen on sockets"},
	{"zipfile", "extracts and writes archives"},
	{"tarfile", "extracts and writes archives"},
	{"glob", "enumerates the filesystem"},
	{"linecache", "reads arbitrary files"},
	{"fileinput", "reads and rewrites files in place"},

	// Network.
	{"socket", "opens network connections"},
	{"ssl", "opens TLS connections (e.g. to exfiltrate data)"},
	{"socketserver", "listens on the network"},
	{"http", "HTTP clients and servers"},
	{"urllib", "fetches URLs"},
	{"urllib3", "fetches URLs"},
	{"requests", "fetches URLs"},
	{"httpx", "fetches URLs"},
	{"aiohttp", "fetches URLs"},
	{"ftplib", "network file transfer"},
	{"smtplib", "sends mail"},
	{"poplib", "network mail client"},
	{"imaplib", "network mail client"},
	{"nntplib", "network news client"},
	{"telnetlib", "network shell client"},
	{"xmlrpc", "remote procedure calls"},
}

// allowGlobals are globals that ordinary checkpoints import and that run no
// code beyond rebuilding data. Entries match exactly (no prefix rule), so
// "collections.OrderedDict" does not allow "collections.OrderedDict.fromkeys".
//
// _codecs.encode is allowed on purpose: Python 3 pickles bytes objects at
// protocol 2 as _codecs.encode(text, "latin1"), numpy arrays included; the
// function only converts text to bytes. What could make it dangerous is the
// consumer of those bytes (pickle.loads, marshal.loads, ...), and those are
// on the deny-list. The machine evaluates _codecs.encode statically so the
// bytes stay visible.
var allowGlobals = []globalRule{
	// PyTorch tensor and storage rebuilding.
	{"torch._utils._rebuild_tensor", "rebuilds a tensor from a storage"},
	{"torch._utils._rebuild_tensor_v2", "rebuilds a tensor from a storage"},
	{"torch._utils._rebuild_tensor_v3", "rebuilds a tensor from a storage"},
	{"torch._utils._rebuild_parameter", "wraps a tensor as a Parameter"},
	{"torch._utils._rebuild_parameter_with_state", "wraps a tensor as a Parameter"},
	{"torch._utils._rebuild_qtensor", "rebuilds a quantized tensor"},
	{"torch._utils._rebuild_sparse_tensor", "rebuilds a sparse tensor"},
	{"torch._utils._rebuild_sparse_csr_tensor", "rebuilds a sparse tensor"},
	{"torch._utils._rebuild_meta_tensor_no_storage", "rebuilds a meta tensor"},
	{"torch._utils._rebuild_device_tensor_from_numpy", "rebuilds a tensor from an array"},
	{"torch._utils._rebuild_wrapper_subclass", "rebuilds a tensor subclass shell"},
	{"torch._utils._rebuild_nested_tensor", "rebuilds a nested tensor"},
	{"torch._tensor._rebuild_from_type", "sets a tensor's Python type"},
	{"torch._tensor._rebuild_from_type_v2", "sets a tensor's Python type"},
	{"torch.Tensor", "tensor type"},
	{"torch.Size", "tensor shape"},
	{"torch.device", "device descriptor"},
	{"torch.nn.parameter.Parameter", "parameter type"},
	{"torch.storage.TypedStorage", "storage type"},
	{"torch.storage.UntypedStorage", "storage type"},
	{"torch.*Storage", "legacy typed storages (FloatStorage, ...)"},
	{"torch.cuda.*Storage", "legacy CUDA storages"},
	{"torch.*Tensor", "legacy typed tensor classes (FloatTensor, ...)"},
	{"torch.float*", "dtype constant"},
	{"torch.bfloat16", "dtype constant"},
	{"torch.half", "dtype constant"},
	{"torch.double", "dtype constant"},
	{"torch.cfloat", "dtype constant"},
	{"torch.cdouble", "dtype constant"},
	{"torch.complex*", "dtype constant"},
	{"torch.int8", "dtype constant"},
	{"torch.int16", "dtype constant"},
	{"torch.int32", "dtype constant"},
	{"torch.int64", "dtype constant"},
	{"torch.uint*", "dtype constant"},
	{"torch.long", "dtype constant"},
	{"torch.short", "dtype constant"},
	{"torch.bool", "dtype constant"},
	{"torch.qint*", "quantized dtype constant"},
	{"torch.quint*", "quantized dtype constant"},
	{"torch.strided", "layout constant"},
	{"torch.sparse_coo", "layout constant"},
	{"torch.sparse_csr", "layout constant"},
	{"torch.contiguous_format", "memory format constant"},
	{"torch.channels_last", "memory format constant"},
	{"torch.preserve_format", "memory format constant"},
	{"torch.per_tensor_affine", "quantization scheme constant"},
	{"torch.per_channel_affine", "quantization scheme constant"},

	// NumPy arrays, dtypes and scalars (numpy 1 and numpy 2 module paths).
	{"numpy.core.multiarray._reconstruct", "rebuilds an ndarray"},
	{"numpy._core.multiarray._reconstruct", "rebuilds an ndarray"},
	{"numpy.core.multiarray.scalar", "rebuilds a numpy scalar"},
	{"numpy._core.multiarray.scalar", "rebuilds a numpy scalar"},
	{"numpy.core.numeric._frombuffer", "rebuilds an ndarray from bytes"},
	{"numpy._core.numeric._frombuffer", "rebuilds an ndarray from bytes"},
	{"numpy.ndarray", "array type"},
	{"numpy.dtype", "dtype type"},
	{"numpy.dtypes.*DType", "numpy 2 dtype classes"},
	{"numpy.ma.core._mareconstruct", "rebuilds a masked array"},
	{"numpy.random._pickle.__randomstate_ctor", "rebuilds a RandomState"},
	{"numpy.random._pickle.__generator_ctor", "rebuilds a Generator"},
	{"numpy.random._pickle.__bit_generator_ctor", "rebuilds a bit generator"},
	{"numpy.bool_", "scalar type"},
	{"numpy.float*", "scalar type"},
	{"numpy.int*", "scalar type"},
	{"numpy.uint*", "scalar type"},
	{"numpy.complex*", "scalar type"},

	// joblib array wrappers: placeholders that joblib replaces with array data.
	{"joblib.numpy_pickle.NumpyArrayWrapper", "joblib array placeholder"},
	{"joblib.numpy_pickle_compat.NDArrayWrapper", "joblib array placeholder"},
	{"joblib.numpy_pickle_compat.ZNDArrayWrapper", "joblib array placeholder"},
	{"sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper", "joblib array placeholder"},

	// Plain containers and values.
	{"collections.OrderedDict", "ordered dict"},
	{"collections.defaultdict", "dict with default factory"},
	{"collections.Counter", "counter dict"},
	{"collections.deque", "deque"},
	{"builtins.set", "set"},
	{"builtins.frozenset", "frozen set"},
	{"builtins.bytearray", "byte array"},
	{"builtins.bytes", "bytes"},
	{"builtins.slice", "slice"},
	{"builtins.complex", "complex number"},
	{"builtins.range", "range"},
	{"builtins.list", "list"},
	{"builtins.tuple", "tuple"},
	{"builtins.dict", "dict"},
	{"builtins.int", "int"},
	{"builtins.float", "float"},
	{"builtins.bool", "bool"},
	{"builtins.str", "str"},
	{"builtins.object", "base object (copyreg reconstruction)"},
	{"copyreg._reconstructor", "protocol 0/1 object reconstruction"},
	{"_codecs.encode", "text to bytes (protocol 2 bytes encoding)"},
	{"datetime.datetime", "timestamp"},
	{"datetime.date", "date"},
	{"datetime.time", "time"},
	{"datetime.timedelta", "duration"},
	{"datetime.timezone", "timezone"},
	{"decimal.Decimal", "decimal number"},
	{"fractions.Fraction", "fraction"},
	{"uuid.UUID", "UUID value"},
}

// dangerousDunders are attribute names that reach interpreter internals; a
// global whose dotted name walks through one of them ("x.__globals__") is
// treated as dangerous whatever module it starts from.
var dangerousDunders = map[string]string{
	"__globals__":       "reaches a function's module globals",
	"__builtins__":      "reaches the builtins namespace",
	"__subclasses__":    "enumerates classes to find gadgets",
	"__import__":        "imports any module",
	"__getattribute__":  "reaches any attribute",
	"__code__":          "reaches function bytecode",
	"__class__":         "walks the type hierarchy to find gadgets",
	"__bases__":         "walks the type hierarchy to find gadgets",
	"__mro__":           "walks the type hierarchy to find gadgets",
	"__dict__":          "reaches an object's namespace",
	"__reduce__":        "re-enters the pickle protocol",
	"__reduce_ex__":     "re-enters the pickle protocol",
	"__setstate__":      "calls state setters directly",
	"__init_subclass__": "runs class hooks",
	"__loader__":        "reaches module loaders",
	"__spec__":          "reaches module loaders",
}

// globalPolicy is a scanner's compiled view of the lists.
type globalPolicy struct {
	deny        map[string]string
	allowExact  map[string]bool
	allowGlobs  []string // dotted patterns with "*", compared segment-wise
	allowReason map[string]string
}

// newGlobalPolicy compiles the lists plus user additions to the allow-list.
func newGlobalPolicy(extraAllow []string) *globalPolicy {
	p := &globalPolicy{
		deny:        make(map[string]string, len(denyGlobals)),
		allowExact:  make(map[string]bool, len(allowGlobals)),
		allowReason: make(map[string]string),
	}
	for _, r := range denyGlobals {
		p.deny[r.Name] = r.Reason
	}
	add := func(name string) {
		if strings.Contains(name, "*") {
			p.allowGlobs = append(p.allowGlobs, name)
			return
		}
		p.allowExact[name] = true
	}
	for _, r := range allowGlobals {
		add(r.Name)
	}
	for _, n := range extraAllow {
		add(canonicalGlobal(n))
	}
	return p
}

// canonicalGlobal normalises "module.name" by replacing the leading module
// with its canonical alias (longest dotted prefix that has one).
func canonicalGlobal(full string) string {
	parts := strings.Split(full, ".")
	for i := len(parts); i > 0; i-- {
		if alias, ok := moduleAliases[strings.Join(parts[:i], ".")]; ok {
			return alias + strings.TrimPrefix(full, strings.Join(parts[:i], "."))
		}
	}
	return full
}

// joinGlobal builds the canonical qualified name of a pickle global.
func joinGlobal(module, name string) string {
	if name == "" {
		return canonicalGlobal(module)
	}
	if module == "" {
		return canonicalGlobal(name)
	}
	return canonicalGlobal(module + "." + name)
}

// classify says whether a global is denied (with the reason) or allowed.
// module and name are as the pickle spells them. A global is denied when
// its canonical name or any dotted prefix of it is on the deny-list, when
// a dotted tail of name is (protocol 4 resolves "posixpath"/"os.system" by
// walking attributes, reaching os.system), or when name walks through a
// dangerous dunder.
func (p *globalPolicy) classify(module, name string) (denied bool, reason string, allowed bool) {
	full := joinGlobal(module, name)
	parts := strings.Split(full, ".")
	for end := 1; end <= len(parts); end++ {
		if r, ok := p.deny[strings.Join(parts[:end], ".")]; ok {
			return true, r, false
		}
	}
	nameParts := strings.Split(name, ".")
	for start := 0; len(nameParts) > 1 && start < len(nameParts); start++ {
		for end := start + 1; end <= len(nameParts); end++ {
			if r, ok := p.deny[canonicalGlobal(strings.Join(nameParts[start:end], "."))]; ok {
				return true, r, false
			}
		}
	}
	for _, seg := range nameParts {
		if r, ok := dangerousDunders[seg]; ok {
			return true, r, false
		}
	}
	if p.allowExact[full] {
		return false, "", true
	}
	slashed := strings.ReplaceAll(full, ".", "/")
	for _, g := range p.allowGlobs {
		if ok, _ := path.Match(strings.ReplaceAll(g, ".", "/"), slashed); ok {
			return false, "", true
		}
	}
	return false, "", false
}
