package model

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/redoubt-sec/redoubt/finding"
)

// The static pickle machine. It walks every opcode of a pickle stream and
// simulates the unpickler's stack, mark stack and memo with symbolic values,
// so it knows which global each REDUCE, OBJ, INST, NEWOBJ or BUILD applies
// to even when the module and name strings came out of the memo or were
// built by string operations. Nothing is ever imported or called: a "call"
// produces a symbolic object that remembers its callable and arguments.
//
// Memory is bounded: the stack, mark stack and memo have hard limits,
// containers keep only their first items, strings keep only a prefix, and
// long arguments are skipped (seeked past) rather than read.

// Limits of the machine. They are far above what real checkpoints use (a
// large state_dict has a few hundred thousand memo entries) and low enough
// that a hostile stream cannot exhaust memory.
const (
	pickleMaxStack   = 1 << 17 // stack slots
	pickleMaxMarks   = 1 << 16 // nested MARKs
	pickleMaxMemo    = 1 << 20 // memo entries kept
	pickleMaxItems   = 64      // items kept per container
	pickleKeepString = 4096    // bytes kept of a string or bytes argument
	pickleMaxNested  = 4       // joblib object arrays nest whole pickles
)

// pkind is the kind of a symbolic value.
type pkind uint8

const (
	pkUnknown pkind = iota
	pkNone
	pkBool
	pkInt
	pkFloat
	pkStr
	pkBytes
	pkTuple
	pkList
	pkDict
	pkSet
	pkGlobal     // a module, class or function named by a global
	pkObject     // the result of calling something
	pkBound      // a bound method of a known string (for "a".__add__)
	pkPersistent // a persistent-ID reference (PyTorch storages)
)

func (k pkind) String() string {
	return [...]string{"unknown", "None", "bool", "int", "float", "str", "bytes",
		"tuple", "list", "dict", "set", "global", "object", "method", "persistent"}[k]
}

// pval is a symbolic Python value.
type pval struct {
	kind  pkind
	str   string // str/bytes content (prefix), global name, bound method name
	num   int64  // int value when it fits
	big   bool   // int did not fit, or str/bytes was truncated
	items []*pval
	fn    *pval // pkObject: the callable; pkBound: the receiver
	args  *pval // pkObject: the argument tuple
	state *pval // set by BUILD
	off   int64 // where the value was made, relative to the stream
}

// Shared immutable values: only containers and call results are ever
// modified (items, state), so constants can be shared between stack slots.
var (
	pUnknown = &pval{kind: pkUnknown}
	pNone    = &pval{kind: pkNone}
	pTrue    = &pval{kind: pkBool, num: 1}
	pFalse   = &pval{kind: pkBool}
	pSmall   = func() (out [256]*pval) {
		for i := range out {
			out[i] = &pval{kind: pkInt, num: int64(i)}
		}
		return out
	}()
)

func (v *pval) isStr() bool { return v.kind == pkStr && !v.big }

// item returns the i-th kept item of a tuple or list, or pUnknown.
func (v *pval) item(i int) *pval {
	if (v.kind == pkTuple || v.kind == pkList) && i < len(v.items) {
		return v.items[i]
	}
	return pUnknown
}

// dictGet looks a string key up in a dict (items alternate key, value).
func (v *pval) dictGet(key string) (*pval, bool) {
	if v.kind != pkDict {
		return nil, false
	}
	for i := 0; i+1 < len(v.items); i += 2 {
		if k := v.items[i]; k.isStr() && k.str == key {
			return v.items[i+1], true
		}
	}
	return nil, false
}

func (v *pval) add(items ...*pval) {
	for _, it := range items {
		if len(v.items) >= pickleMaxItems {
			return
		}
		v.items = append(v.items, it)
	}
}

// globalUse records one global a stream referenced.
type globalUse struct {
	name    string // canonical "module.name"
	off     int64
	via     string // how it was reached: "GLOBAL", "STACK_GLOBAL", "getattr", ...
	called  bool
	denied  bool
	allowed bool
	reason  string
}

// pickleMachine holds the state of one scan over a stream that may contain
// several concatenated pickles.
type pickleMachine struct {
	policy *globalPolicy
	r      *pickleReader
	base   int64 // file offset of the stream start, for findings
	joblib bool  // interpret joblib's interleaved array data

	stack     []*pval
	marks     []int
	memo      map[int64]*pval
	memoLen   int64
	memoFull  bool
	globals   map[string]*globalUse
	order     []string
	overrides map[string]*pval // attributes replaced by BUILD on a global
	findings  []Finding
	semErr    error // first semantic error (the real unpickler would fail here)
	nested    int
	ops       int64
	ctx       context.Context
	seen      map[string]bool // dedupe of non-global findings
}

// pickleOptions tune one stream scan.
type pickleOptions struct {
	// maxPickles stops after that many pickles (legacy PyTorch files are
	// five pickles followed by raw storage bytes); 0 reads to EOF.
	maxPickles int
	// strict requires all maxPickles pickles, each well formed: the loader
	// of such a format reads every one of them and fails on a missing or
	// malformed one, so the file is corrupt rather than clean.
	strict bool
	// joblib enables skipping joblib's raw array data after each
	// NumpyArrayWrapper.
	joblib bool
}

// scanPickleStream runs the machine over r. base is r's offset within the
// scanned file or member (added to finding offsets). It returns the
// findings and, for a malformed or truncated first pickle, an error; the
// findings made before the error are kept.
func scanPickleStream(ctx context.Context, r io.Reader, base int64, policy *globalPolicy, opt pickleOptions) ([]Finding, error) {
	m := newPickleMachine(ctx, r, base, policy)
	m.joblib = opt.joblib
	var firstErr error
	count, second := 0, int64(0)
	for n := 0; opt.maxPickles == 0 || n < opt.maxPickles; n++ {
		start := m.r.pos
		if n > 0 {
			next := m.r.peek(1)
			if len(next) == 0 {
				if opt.strict {
					firstErr = fmt.Errorf("the file ends after %d of its %d pickles", n, opt.maxPickles)
				}
				break
			}
			if _, ok := opNames[next[0]]; !ok {
				if opt.strict {
					firstErr = fmt.Errorf("offset %d: byte 0x%02x cannot start pickle #%d of %d", base+start, next[0], n+1, opt.maxPickles)
					break
				}
				m.note("pickle_trailing_data", finding.Low, start,
					fmt.Sprintf("%d bytes of non-pickle data follow pickle #%d", m.remaining(), n), "")
				break
			}
		}
		m.reset()
		err := m.runOne(ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return m.finish(), err
		}
		if err == nil && (n == 0 || opt.strict) && m.semErr != nil {
			err = m.semErr
		}
		if err != nil {
			if opt.strict {
				firstErr = fmt.Errorf("pickle #%d of %d at offset %d: %w", n+1, opt.maxPickles, base+start, err)
				break
			}
			if n == 0 {
				firstErr = fmt.Errorf("pickle at offset %d: %w", base+start, err)
				break
			}
			// A later stream that does not parse is reported, not fatal:
			// pickle.load reads only the first one, but loaders that call
			// load repeatedly would run whatever did parse.
			m.note("pickle_trailing_data", finding.Low, start,
				fmt.Sprintf("data after pickle #%d is not a valid pickle: %v", n, err), "")
			break
		}
		if n == 1 {
			second = start
		}
		count = n + 1
	}
	if count > 1 && opt.maxPickles == 0 {
		m.note("pickle_concatenated", finding.Low, second,
			fmt.Sprintf("stream holds %d concatenated pickles; loaders that call load repeatedly run them all, and all were scanned", count), "")
	}
	return m.finish(), firstErr
}

// newPickleMachine prepares a machine over r; base is r's offset in the
// file, for findings.
func newPickleMachine(ctx context.Context, r io.Reader, base int64, policy *globalPolicy) *pickleMachine {
	return &pickleMachine{
		policy:    policy,
		r:         newPickleReader(r),
		base:      base,
		globals:   make(map[string]*globalUse),
		overrides: make(map[string]*pval),
		seen:      make(map[string]bool),
		ctx:       ctx,
	}
}

// runValue interprets the next pickle and returns the value it loads
// (the top of the stack at STOP). Formats that interleave pickles with raw
// data (legacy PyTorch tar members) use it to read counts and sizes.
func (m *pickleMachine) runValue() (*pval, error) {
	start := m.r.pos
	m.reset()
	if err := m.runOne(m.ctx); err != nil {
		return pUnknown, fmt.Errorf("pickle at offset %d: %w", m.base+start, err)
	}
	if m.semErr != nil {
		return pUnknown, m.semErr
	}
	if len(m.stack) == 0 {
		return pUnknown, nil
	}
	return m.stack[len(m.stack)-1], nil
}

// remaining reports how many bytes are left when the reader can tell.
func (m *pickleMachine) remaining() int64 {
	if m.r.seeker == nil {
		return int64(m.r.br.Buffered())
	}
	cur, err1 := m.r.seeker.Seek(0, io.SeekCurrent)
	end, err2 := m.r.seeker.Seek(0, io.SeekEnd)
	if err1 != nil || err2 != nil {
		return 0
	}
	_, _ = m.r.seeker.Seek(cur, io.SeekStart)
	return end - cur + int64(m.r.br.Buffered())
}

// reset clears per-pickle state: each pickle.load starts a fresh stack and
// memo. Globals and findings accumulate over the whole stream.
func (m *pickleMachine) reset() {
	m.stack = m.stack[:0]
	m.marks = m.marks[:0]
	m.memo = make(map[int64]*pval)
	m.memoLen = 0
	m.semErr = nil
}

// note adds a finding once per (rule, detail).
func (m *pickleMachine) note(rule string, sev finding.Severity, off int64, msg, detail string) {
	key := rule + "\x00" + detail
	if detail != "" && m.seen[key] {
		return
	}
	m.seen[key] = true
	m.findings = append(m.findings, Finding{Finding: finding.Finding{Type: rule, Severity: sev, Message: msg, Offset: offsetAt(m.base + off)}, Detail: detail})
}

// semantic records the first error the real unpickler would raise here and
// keeps going: later opcodes are still parsed so no global is missed, but
// values derived after this point are less precise.
func (m *pickleMachine) semantic(off int64, format string, args ...any) {
	if m.semErr == nil {
		m.semErr = fmt.Errorf("at offset %d: %s", m.base+off, fmt.Sprintf(format, args...))
	}
}

func (m *pickleMachine) push(v *pval, off int64) error {
	if len(m.stack) >= pickleMaxStack {
		return fmt.Errorf("offset %d: stack exceeds %d entries", m.base+off, pickleMaxStack)
	}
	m.stack = append(m.stack, v)
	return nil
}

func (m *pickleMachine) markBase() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

func (m *pickleMachine) pop(off int64) *pval {
	if len(m.stack) <= m.markBase() {
		m.semantic(off, "stack underflow")
		return pUnknown
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return v
}

func (m *pickleMachine) top(off int64) *pval {
	if len(m.stack) <= m.markBase() {
		m.semantic(off, "stack underflow")
		return pUnknown
	}
	return m.stack[len(m.stack)-1]
}

// popMark pops everything above the topmost MARK, and the mark.
func (m *pickleMachine) popMark(off int64) []*pval {
	if len(m.marks) == 0 {
		m.semantic(off, "no MARK on the stack")
		return nil
	}
	b := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	if b > len(m.stack) {
		b = len(m.stack)
	}
	items := append([]*pval(nil), m.stack[b:]...)
	m.stack = m.stack[:b]
	return items
}

func (m *pickleMachine) memoPut(idx int64, v *pval, off int64) {
	if idx < 0 {
		m.semantic(off, "negative memo index")
		return
	}
	if _, ok := m.memo[idx]; !ok {
		if len(m.memo) >= pickleMaxMemo {
			if !m.memoFull {
				m.memoFull = true
				m.note("pickle_memo_limit", finding.Low, off,
					fmt.Sprintf("memo exceeds %d entries; later entries are not tracked", pickleMaxMemo), "")
			}
			m.memoLen++
			return
		}
		m.memoLen++
	}
	m.memo[idx] = v
}

func (m *pickleMachine) memoGet(idx int64, off int64) *pval {
	v, ok := m.memo[idx]
	if !ok {
		if !m.memoFull {
			m.semantic(off, "memo key %d is missing", idx)
		}
		return pUnknown
	}
	return v
}

// global records a reference to module.name and returns its value.
func (m *pickleMachine) global(module, name string, off int64, via string) *pval {
	full := joinGlobal(module, name)
	u := m.globals[full]
	if u == nil {
		denied, reason, allowed := m.policy.classify(module, name)
		u = &globalUse{name: full, off: off, via: via, denied: denied, allowed: allowed, reason: reason}
		m.globals[full] = u
		m.order = append(m.order, full)
	}
	if ov, ok := m.overrides[full]; ok {
		return ov
	}
	return &pval{kind: pkGlobal, str: full, off: off}
}

// mutation reports an opcode that changes a module, class or function
// object in place: that rewires code other parts of the process will run.
func (m *pickleMachine) mutation(target *pval, op string, off int64) {
	m.note("pickle_global_mutation", finding.Critical, off,
		fmt.Sprintf("%s modifies %s in place (rewires code the process will run)", op, target.str), target.str)
}

// call models calling fn with args and returns the symbolic result.
func (m *pickleMachine) call(fn, args *pval, off int64) *pval {
	switch fn.kind {
	case pkGlobal:
		if u := m.globals[fn.str]; u != nil {
			u.called = true
		}
		if v := m.evalKnown(fn.str, args, off); v != nil {
			return v
		}
	case pkBound:
		if fn.fn.isStr() {
			switch fn.str {
			case "__add__":
				if a := args.item(0); a.isStr() {
					return &pval{kind: pkStr, str: fn.fn.str + a.str, off: off}
				}
			case "join":
				return joinStrings(fn.fn, args.item(0), off)
			}
		}
	case pkUnknown, pkObject:
		// Calling the result of another call (getattr(...)(...)): the
		// gadget that produced it is reported where it was imported.
	}
	return &pval{kind: pkObject, fn: fn, args: args, off: off}
}

// evalKnown evaluates the few pure functions that attackers use to build
// or reach names, so what they produce can be checked like a literal.
func (m *pickleMachine) evalKnown(name string, args *pval, off int64) *pval {
	a0, a1 := args.item(0), args.item(1)
	switch name {
	case "builtins.getattr":
		if a1.isStr() {
			switch a0.kind {
			case pkGlobal:
				return m.global(a0.str, a1.str, off, "getattr")
			case pkStr:
				if a1.str == "__add__" || a1.str == "join" {
					return &pval{kind: pkBound, str: a1.str, fn: a0, off: off}
				}
			}
		}
	case "builtins.__import__", "importlib.import_module":
		if a0.isStr() {
			return m.global(a0.str, "", off, "import")
		}
	case "operator.add", "operator.concat", "operator.iadd", "builtins.str.__add__":
		if a0.isStr() && a1.isStr() {
			return &pval{kind: pkStr, str: a0.str + a1.str, off: off}
		}
	case "builtins.str.join":
		return joinStrings(a0, a1, off)
	case "_codecs.encode":
		if a0.kind == pkStr {
			return &pval{kind: pkBytes, str: a0.str, big: a0.big, off: off}
		}
	}
	return nil
}

func joinStrings(sep, list *pval, off int64) *pval {
	if !sep.isStr() || (list.kind != pkList && list.kind != pkTuple) {
		return nil
	}
	parts := make([]string, 0, len(list.items))
	for _, it := range list.items {
		if !it.isStr() {
			return nil
		}
		parts = append(parts, it.str)
	}
	return &pval{kind: pkStr, str: strings.Join(parts, sep.str), off: off}
}

// runOne interprets one pickle, up to and including its STOP.
func (m *pickleMachine) runOne(ctx context.Context) error {
	r := m.r
	for {
		op, err := r.readByte()
		if err != nil {
			return errTruncated
		}
		off := r.pos - 1
		m.ops++
		if m.ops&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var v *pval // value to push, if any
		switch op {
		case opStop:
			if len(m.stack) == 0 {
				m.semantic(off, "STOP with an empty stack")
			}
			return nil
		case opProto:
			b, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			if b > 5 {
				return fmt.Errorf("offset %d: unsupported pickle protocol %d", m.base+off, b)
			}
		case opFrame:
			if _, err := r.readFull(8); err != nil {
				return err
			}
		case opMark:
			if len(m.marks) >= pickleMaxMarks {
				return fmt.Errorf("offset %d: more than %d nested MARKs", m.base+off, pickleMaxMarks)
			}
			m.marks = append(m.marks, len(m.stack))
		case opPop:
			if len(m.stack) > m.markBase() {
				m.stack = m.stack[:len(m.stack)-1]
			} else if len(m.marks) > 0 {
				m.popMark(off)
			} else {
				m.semantic(off, "POP on an empty stack")
			}
		case opPopMark:
			m.popMark(off)
		case opDup:
			v = m.top(off)

		// Numbers and constants.
		case opNone:
			v = pNone
		case opNewTrue:
			v = pTrue
		case opNewFalse:
			v = pFalse
		case opInt, opLong:
			line, err := r.readLine(256)
			if err != nil {
				return err
			}
			v = parseIntLine(line, op == opInt)
		case opFloat:
			if _, err := r.readLine(256); err != nil {
				return err
			}
			v = &pval{kind: pkFloat}
		case opBinFloat:
			if _, err := r.readFull(8); err != nil {
				return err
			}
			v = &pval{kind: pkFloat}
		case opBinInt:
			b, err := r.readFull(4)
			if err != nil {
				return err
			}
			v = &pval{kind: pkInt, num: int64(int32(binary.LittleEndian.Uint32(b)))}
		case opBinInt1:
			b, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			v = pSmall[b]
		case opBinInt2:
			b, err := r.readFull(2)
			if err != nil {
				return err
			}
			v = &pval{kind: pkInt, num: int64(binary.LittleEndian.Uint16(b))}
		case opLong1:
			n, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			b, err := r.readFull(int(n))
			if err != nil {
				return err
			}
			v = longValue(b)
		case opLong4:
			b, err := r.readFull(4)
			if err != nil {
				return err
			}
			n := int64(int32(binary.LittleEndian.Uint32(b)))
			kept, trunc, err := r.readArg(n, 8)
			if err != nil {
				return err
			}
			v = longValue(kept)
			v.big = v.big || trunc

		// Strings and bytes.
		case opString:
			line, err := r.readLine(pickleKeepString)
			if err != nil {
				return err
			}
			s, ok := unquoteString(line)
			if !ok {
				m.semantic(off, "STRING argument is not quoted")
			}
			v = &pval{kind: pkStr, str: s}
		case opUnicode:
			line, err := r.readLine(pickleKeepString)
			if err != nil {
				return err
			}
			v = &pval{kind: pkStr, str: decodeRawUnicodeEscape(line)}
		case opBinString, opBinUnicode, opBinBytes:
			b, err := r.readFull(4)
			if err != nil {
				return err
			}
			n := int64(binary.LittleEndian.Uint32(b))
			if op == opBinString {
				n = int64(int32(binary.LittleEndian.Uint32(b)))
			}
			if v, err = m.readStr(op, n); err != nil {
				return err
			}
		case opShortBinString, opShortBinUnicode, opShortBinBytes:
			n, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			if v, err = m.readStr(op, int64(n)); err != nil {
				return err
			}
		case opBinUnicode8, opBinBytes8, opByteArray8:
			b, err := r.readFull(8)
			if err != nil {
				return err
			}
			n := binary.LittleEndian.Uint64(b)
			if n > math.MaxInt64 {
				return fmt.Errorf("offset %d: length %d out of range", m.base+off, n)
			}
			if v, err = m.readStr(op, int64(n)); err != nil {
				return err
			}

		// Containers.
		case opEmptyTuple:
			v = &pval{kind: pkTuple}
		case opTuple:
			v = &pval{kind: pkTuple}
			v.add(m.popMark(off)...)
		case opTuple1, opTuple2, opTuple3:
			n := int(op-opTuple1) + 1
			items := make([]*pval, n)
			for i := n - 1; i >= 0; i-- {
				items[i] = m.pop(off)
			}
			v = &pval{kind: pkTuple}
			v.add(items...)
		case opEmptyList:
			v = &pval{kind: pkList}
		case opList:
			v = &pval{kind: pkList}
			v.add(m.popMark(off)...)
		case opAppend:
			item := m.pop(off)
			m.extend(m.top(off), "APPEND", off, item)
		case opAppends:
			items := m.popMark(off)
			m.extend(m.top(off), "APPENDS", off, items...)
		case opEmptyDict:
			v = &pval{kind: pkDict}
		case opDict:
			v = &pval{kind: pkDict}
			v.add(m.popMark(off)...)
		case opSetItem:
			val := m.pop(off)
			key := m.pop(off)
			m.extend(m.top(off), "SETITEM", off, key, val)
		case opSetItems:
			items := m.popMark(off)
			m.extend(m.top(off), "SETITEMS", off, items...)
		case opEmptySet:
			v = &pval{kind: pkSet}
		case opAddItems:
			items := m.popMark(off)
			m.extend(m.top(off), "ADDITEMS", off, items...)
		case opFrozenSet:
			v = &pval{kind: pkSet}
			v.add(m.popMark(off)...)

		// Memo.
		case opPut:
			line, err := r.readLine(32)
			if err != nil {
				return err
			}
			idx, perr := strconv.ParseInt(string(line), 10, 64)
			if perr != nil {
				return fmt.Errorf("offset %d: PUT index %q is not a number", m.base+off, line)
			}
			m.memoPut(idx, m.top(off), off)
		case opBinPut:
			b, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			m.memoPut(int64(b), m.top(off), off)
		case opLongBinPut:
			b, err := r.readFull(4)
			if err != nil {
				return err
			}
			m.memoPut(int64(binary.LittleEndian.Uint32(b)), m.top(off), off)
		case opMemoize:
			m.memoPut(m.memoLen, m.top(off), off)
		case opGet:
			line, err := r.readLine(32)
			if err != nil {
				return err
			}
			idx, perr := strconv.ParseInt(string(line), 10, 64)
			if perr != nil {
				return fmt.Errorf("offset %d: GET index %q is not a number", m.base+off, line)
			}
			v = m.memoGet(idx, off)
		case opBinGet:
			b, err := r.readByte()
			if err != nil {
				return errTruncated
			}
			v = m.memoGet(int64(b), off)
		case opLongBinGet:
			b, err := r.readFull(4)
			if err != nil {
				return err
			}
			v = m.memoGet(int64(binary.LittleEndian.Uint32(b)), off)

		// Globals and calls: where code runs.
		case opGlobal, opInst:
			module, err := r.readLine(pickleKeepString)
			if err != nil {
				return err
			}
			mod := string(module)
			name, err := r.readLine(pickleKeepString)
			if err != nil {
				return err
			}
			if !utf8.ValidString(mod) || !utf8.Valid(name) {
				m.semantic(off, "GLOBAL name is not UTF-8")
			}
			g := m.global(mod, string(name), off, opNames[op])
			if op == opGlobal {
				v = g
			} else {
				args := &pval{kind: pkTuple}
				args.add(m.popMark(off)...)
				v = m.call(g, args, off)
			}
		case opStackGlobal:
			name := m.pop(off)
			module := m.pop(off)
			if module.isStr() && name.isStr() {
				v = m.global(module.str, name.str, off, "STACK_GLOBAL")
				break
			}
			if (module.kind != pkStr && module.kind != pkUnknown) || (name.kind != pkStr && name.kind != pkUnknown) {
				m.semantic(off, "STACK_GLOBAL requires str operands, got %s and %s", module.kind, name.kind)
			}
			detail := describe(module) + "." + describe(name)
			m.note("pickle_dynamic_global", finding.High, off,
				"STACK_GLOBAL imports a name that cannot be resolved statically ("+detail+")", detail)
			v = &pval{kind: pkUnknown, off: off}
		case opExt1, opExt2, opExt4:
			n := map[byte]int{opExt1: 1, opExt2: 2, opExt4: 4}[op]
			b, err := r.readFull(n)
			if err != nil {
				return err
			}
			var code uint32
			for i := n - 1; i >= 0; i-- {
				code = code<<8 | uint32(b[i])
			}
			detail := "extension code " + strconv.FormatUint(uint64(code), 10)
			m.note("pickle_extension_code", finding.High, off,
				opNames[op]+" imports a global through the copyreg extension registry, which cannot be checked statically", detail)
			v = &pval{kind: pkUnknown, off: off}
		case opReduce:
			args := m.pop(off)
			fn := m.pop(off)
			v = m.call(fn, args, off)
		case opObj:
			items := m.popMark(off)
			if len(items) == 0 {
				m.semantic(off, "OBJ without a class")
				v = pUnknown
				break
			}
			args := &pval{kind: pkTuple}
			args.add(items[1:]...)
			v = m.call(items[0], args, off)
		case opNewObj:
			args := m.pop(off)
			cls := m.pop(off)
			v = m.call(cls, args, off)
		case opNewObjEx:
			_ = m.pop(off) // kwargs
			args := m.pop(off)
			cls := m.pop(off)
			v = m.call(cls, args, off)
		case opBuild:
			state := m.pop(off)
			obj := m.top(off)
			if err := m.build(obj, state, off); err != nil {
				return err
			}
		case opPersID:
			if _, err := r.readLine(pickleKeepString); err != nil {
				return err
			}
			v = &pval{kind: pkPersistent, off: off}
		case opBinPersID:
			v = &pval{kind: pkPersistent, args: m.pop(off), off: off}
		case opNextBuffer:
			v = &pval{kind: pkBytes, off: off}
		case opReadonlyBuffer:
			// Marks the top buffer read-only: no effect on analysis.
		default:
			return fmt.Errorf("offset %d: invalid opcode 0x%02x", m.base+off, op)
		}
		if v != nil {
			if err := m.push(v, off); err != nil {
				return err
			}
		}
	}
}

// readStr reads a length-prefixed string/bytes argument, keeping a prefix.
func (m *pickleMachine) readStr(op byte, n int64) (*pval, error) {
	off := m.r.pos
	var str string
	trunc := false
	if n >= 0 && n <= pickleKeepString {
		// The common case: convert straight from the read buffer.
		b, err := m.r.readFull(int(n))
		if err != nil {
			return nil, err
		}
		str = string(b)
	} else {
		kept, t, err := m.r.readArg(n, pickleKeepString)
		if err != nil {
			return nil, err
		}
		str, trunc = string(kept), t
	}
	kind := pkBytes
	switch op {
	case opBinUnicode, opShortBinUnicode, opBinUnicode8, opBinString, opShortBinString:
		kind = pkStr
	}
	return &pval{kind: kind, str: str, big: trunc, off: off}, nil
}

// extend models APPEND(S), SETITEM(S) and ADDITEMS: on a list, dict or set
// they add items; on a module or class object they mutate global state.
func (m *pickleMachine) extend(target *pval, op string, off int64, items ...*pval) {
	switch target.kind {
	case pkList, pkDict, pkSet:
		target.add(items...)
	case pkGlobal:
		m.mutation(target, op, off)
	}
}

// build models BUILD: setting an object's state. On a global (a module or
// class itself, not an instance) it overwrites attributes everyone shares,
// and later lookups of those attributes see the new values.
func (m *pickleMachine) build(obj, state *pval, off int64) error {
	switch obj.kind {
	case pkGlobal:
		m.mutation(obj, "BUILD", off)
		attrs := state
		if state.kind == pkTuple && len(state.items) == 2 {
			attrs = state.items[1]
			if attrs.kind != pkDict {
				attrs = state.items[0]
			}
		}
		if attrs.kind == pkDict {
			for i := 0; i+1 < len(attrs.items); i += 2 {
				if k := attrs.items[i]; k.isStr() {
					m.overrides[obj.str+"."+k.str] = attrs.items[i+1]
				}
			}
		}
	case pkObject:
		obj.state = state
		if m.joblib && obj.fn != nil && obj.fn.kind == pkGlobal && isJoblibWrapper(obj.fn.str) {
			return m.skipJoblibArray(state, off)
		}
	}
	return nil
}

func isJoblibWrapper(name string) bool {
	return name == "joblib.numpy_pickle.NumpyArrayWrapper" ||
		name == "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"
}

// finish turns the recorded globals into findings, in first-seen order.
func (m *pickleMachine) finish() []Finding {
	out := make([]Finding, 0, len(m.findings)+len(m.order))
	for _, name := range m.order {
		u := m.globals[name]
		how := ""
		if u.via == "getattr" {
			how = " (reached through getattr)"
		} else if u.via == "import" {
			how = " (imported through __import__)"
		}
		switch {
		case u.denied:
			verb := "imports"
			if u.called {
				verb = "imports and calls"
			}
			out = append(out, Finding{Finding: finding.Finding{Type: "pickle_dangerous_global", Severity: finding.Critical,
				Message: fmt.Sprintf("%s %s%s: %s", verb, name, how, u.reason), Offset: offsetAt(m.base + u.off)}, Detail: name})
		case u.allowed:
		case u.called:
			out = append(out, Finding{Finding: finding.Finding{Type: "pickle_unknown_call", Severity: finding.High,
				Message: fmt.Sprintf("calls %s%s, which is not on the allow-list", name, how), Offset: offsetAt(m.base + u.off)}, Detail: name})
		default:
			out = append(out, Finding{Finding: finding.Finding{Type: "pickle_unknown_global", Severity: finding.Medium,
				Message: fmt.Sprintf("imports %s%s, which is not on the allow-list", name, how), Offset: offsetAt(m.base + u.off)}, Detail: name})
		}
	}
	return append(out, m.findings...)
}

// describe renders a value for a finding detail.
func describe(v *pval) string {
	switch v.kind {
	case pkStr:
		return strconv.Quote(v.str)
	case pkInt:
		return strconv.FormatInt(v.num, 10)
	case pkGlobal:
		return v.str
	}
	return "<" + v.kind.String() + ">"
}

// parseIntLine parses the argument of INT or LONG. INT's "00" and "01"
// are protocol 0's False and True.
func parseIntLine(line []byte, isInt bool) *pval {
	s := strings.TrimSuffix(strings.TrimSpace(string(line)), "L")
	if isInt && (s == "00" || s == "01") {
		return &pval{kind: pkBool, num: int64(s[1] - '0')}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return &pval{kind: pkInt, big: true}
	}
	return &pval{kind: pkInt, num: n}
}

// longValue decodes a little-endian two's-complement integer.
func longValue(b []byte) *pval {
	if len(b) > 8 {
		return &pval{kind: pkInt, big: true}
	}
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	if n := len(b); n > 0 && n < 8 && b[n-1]&0x80 != 0 {
		u |= ^uint64(0) << (8 * uint(n))
	}
	return &pval{kind: pkInt, num: int64(u)}
}

// unquoteString decodes protocol 0's STRING argument: a quoted Python
// literal with backslash escapes.
func unquoteString(line []byte) (string, bool) {
	s := string(bytes.TrimRight(line, "\r"))
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return s, false
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			if i+2 < len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 2
					continue
				}
			}
			b.WriteString(`\x`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), true
}

// decodeRawUnicodeEscape decodes UNICODE's raw-unicode-escape argument:
// only \uXXXX and \UXXXXXXXX are escapes.
func decodeRawUnicodeEscape(line []byte) string {
	s := string(line)
	if !strings.Contains(s, `\u`) && !strings.Contains(s, `\U`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(s) {
				if r, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// pickleFormat scans a plain pickle file (any protocol), and every pickle
// concatenated after the first.
type pickleFormat struct{}

func newPickle() formatScanner { return pickleFormat{} }

func (pickleFormat) Name() string { return "pickle" }

func (pickleFormat) Sniff(head []byte, _ string) bool { return looksLikePickle(head) }

func (pickleFormat) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	return scanPickleStream(ctx, io.NewSectionReader(src, 0, src.Size()), 0, s.policy, pickleOptions{joblib: true})
}

// torchLegacyMagic is how torch.save (before the zip format, or with
// _use_new_zipfile_serialization=False) starts: protocol 2, LONG1 of the
// magic number 0x1950a86a20f9469cfc6c, STOP.
var torchLegacyMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'}

// torchLegacyFormat scans a legacy PyTorch file: five pickles (magic,
// protocol version, system info, the object, storage keys) followed by raw
// storage bytes, which are not read. torch.load reads all five, so a file
// that lacks one, or holds a malformed one, is an error.
type torchLegacyFormat struct{}

func newTorchLegacy() formatScanner { return torchLegacyFormat{} }

func (torchLegacyFormat) Name() string { return "pytorch_legacy" }

func (torchLegacyFormat) Sniff(head []byte, _ string) bool {
	return bytes.HasPrefix(head, torchLegacyMagic)
}

func (torchLegacyFormat) Scan(ctx context.Context, src Source, _ string, s *Scanner) ([]Finding, error) {
	return scanPickleStream(ctx, io.NewSectionReader(src, 0, src.Size()), 0, s.policy, pickleOptions{maxPickles: 5, strict: true})
}

// looksLikePickle checks the head of a file for a pickle: a PROTO opcode
// with a known protocol, or (protocols 0 and 1, which have no header) a run
// of valid opcodes whose text arguments are well formed. It only parses
// opcodes; it builds no values.
func looksLikePickle(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if head[0] == opProto {
		return len(head) >= 2 && head[1] <= 5
	}
	complete := len(head) < sniffLen
	ops := 0
	for i := 0; i < len(head) && ops < 64; ops++ {
		op := head[i]
		i++
		if _, ok := opNames[op]; !ok {
			return false
		}
		if op == opStop {
			return ops > 0
		}
		lineArg := func(check func(string) bool) bool {
			j := bytes.IndexByte(head[i:], '\n')
			if j < 0 {
				// Past the end of a partial head we cannot tell; past the
				// end of a whole (short) file, it is not a pickle line.
				i = len(head)
				return !complete
			}
			ok := check(string(head[i : i+j]))
			i += j + 1
			return ok
		}
		ok := true
		switch op {
		case opGlobal, opInst:
			ok = lineArg(isDottedIdent) && lineArg(isDottedIdent)
		case opInt, opLong, opGet, opPut:
			ok = lineArg(isNumberLine)
		case opFloat:
			ok = lineArg(isFloatLine)
		case opString:
			ok = lineArg(func(s string) bool { _, q := unquoteString([]byte(s)); return q })
		case opUnicode, opPersID:
			ok = lineArg(func(string) bool { return true })
		case opBinInt:
			i += 4
		case opBinInt1, opBinPut, opBinGet, opExt1:
			i++
		case opBinInt2, opExt2:
			i += 2
		case opLongBinGet, opLongBinPut, opExt4:
			i += 4
		case opBinFloat, opFrame:
			i += 8
		case opShortBinString, opShortBinBytes, opShortBinUnicode, opLong1:
			if i < len(head) {
				i += 1 + int(head[i])
			}
		case opBinString, opBinUnicode, opBinBytes, opLong4:
			if i+4 <= len(head) {
				i += 4 + int(binary.LittleEndian.Uint32(head[i:]))
			} else {
				i = len(head)
			}
		case opBinUnicode8, opBinBytes8, opByteArray8:
			return true // only protocol 4+ streams, which start with PROTO
		}
		if !ok {
			return false
		}
	}
	return ops > 0
}

// isDottedIdent accepts Python dotted identifiers (GLOBAL arguments).
func isDottedIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != utf8.RuneError) {
			return false
		}
	}
	return true
}

// isNumberLine accepts the argument lines of INT, LONG, GET and PUT as
// Python reads them, with int(line, 0) or int(line): ASCII whitespace, a
// sign, then a digit followed by digits, letters (a 0x, 0o or 0b prefix,
// hex digits, LONG's trailing L) and underscores ("1_000"). It accepts a
// little more than Python does on purpose: a sniffer that turned away a
// line Python reads, as it did "+1", would let that pickle skip scanning
// inside an archive.
func isNumberLine(s string) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z') {
			return false
		}
	}
	return true
}

// isFloatLine accepts FLOAT's argument line as Python's float() reads it:
// what strconv.ParseFloat reads once underscores between digits are gone,
// out-of-range values included (Python gives inf for "1e400").
func isFloatLine(s string) bool {
	_, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), "_", ""), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}
