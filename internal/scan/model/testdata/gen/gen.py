#!/usr/bin/env python3
"""Builds the scan/model test fixtures in testdata/.

Run from scan/model:  python3 testdata/gen/gen.py

Benign pickles come from the pickle module. Malicious ones are written
opcode by opcode and are never loaded: nothing here unpickles anything.
numpy, torch and joblib are not needed; their layouts are written by hand.
The output is deterministic, so re-running it leaves git clean.
"""

import collections
import io
import os
import pickle
import struct
import tarfile
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# --- opcode helpers (protocol 2-4 spellings) ---------------------------------

def su(s):  # SHORT_BINUNICODE
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def glob(mod, name):  # GLOBAL
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


P4 = b"\x80\x04"
P2 = b"\x80\x02"
MEMO = b"\x94"
STACK_GLOBAL = b"\x93"
TUPLE1 = b"\x85"
TUPLE2 = b"\x86"
REDUCE = b"R"
STOP = b"."


def binget(i):
    return b"h" + bytes([i])


# --- plain pickles -----------------------------------------------------------

write("benign_dict_p2.pkl", pickle.dumps(collections.OrderedDict([("a", 1), ("b", [1.5, "x"])]), protocol=2))
write("benign_p0.pkl", pickle.dumps({"layers": [1, 2, 3], "name": "m"}, protocol=0))
write("benign_p5.pkl", pickle.dumps({"blob": b"\x00" * 300, "set": frozenset({1, 2})}, protocol=5))

# os.system via GLOBAL, protocol 0.
write("evil_global_p0.pkl", glob("os", "system") + b"(S'id'\ntR.")

# STACK_GLOBAL whose module and name come from the memo, not literals.
write("evil_memo_stack_global.pkl",
      P4 + su("posix") + MEMO + su("system") + MEMO + b"0" + b"0" +  # memoize then drop both
      binget(0) + binget(1) + STACK_GLOBAL + su("id") + TUPLE1 + REDUCE + STOP)

# Module name built at load time: "o".__add__("s") -> "os", then STACK_GLOBAL.
write("evil_string_concat.pkl",
      P4 + glob("builtins", "getattr") + su("o") + su("__add__") + TUPLE2 + REDUCE +
      su("s") + TUPLE1 + REDUCE + su("system") + STACK_GLOBAL + su("id") + TUPLE1 + REDUCE + STOP)

# The same with an allow-listed-looking helper: operator.add is not allowed,
# but the built string still resolves to os.system.
write("evil_operator_add.pkl",
      P4 + su("operator") + su("add") + STACK_GLOBAL + su("o") + su("s") + TUPLE2 + REDUCE +
      su("system") + STACK_GLOBAL + su("id") + TUPLE1 + REDUCE + STOP)

# getattr(__import__("os"), "system")("id")
write("evil_getattr_import.pkl",
      P2 + glob("builtins", "getattr") + glob("builtins", "__import__") + su("os") + TUPLE1 + REDUCE +
      su("system") + TUPLE2 + REDUCE + su("id") + TUPLE1 + REDUCE + STOP)

# A benign pickle followed by a malicious one (concatenation evasion).
write("evil_concatenated.pkl", pickle.dumps([1, 2, 3], protocol=2) + P2 + glob("subprocess", "call") + su("id") + TUPLE1 + REDUCE + STOP)

# Truncated right after importing os.system: malicious, and an error.
write("evil_truncated.pkl", P2 + glob("os", "system") + su("id"))

# A custom class that is called (suspicious) ...
write("unknown_call.pkl", P2 + glob("mylib.layers", "Dense") + b")" + b"\x81" + b"}" + b"b" + STOP)
# ... one that is only referenced (medium: still suspicious).
write("unknown_global.pkl", P2 + glob("copy_reg", "_reconstructor") + glob("mylib.layers", "Dense") +
      glob("__builtin__", "object") + b"N" + b"\x87" + REDUCE + STOP)

# EXT1: a global through the copyreg extension registry.
write("ext_code.pkl", P2 + b"\x82\x07" + b")" + REDUCE + STOP)

# BUILD on a module object: overwrites torch._utils._rebuild_tensor.
write("evil_global_mutation.pkl",
      P4 + su("torch") + su("_utils") + STACK_GLOBAL + b"}" + su("_rebuild_tensor") + su("x") + b"s" + b"b" + STOP)

# Not a pickle, with a model extension.
write("not_model.bin", b"\x01\x02\x03garbage")

# --- NumPy -------------------------------------------------------------------

def npy(descr, shape, data, version=1):
    header = "{'descr': %r, 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    pre = 10 if version == 1 else 12
    pad = 64 - (pre + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header.encode() + data


def np_object_pickle(extra=b""):
    """What numpy writes for an object array: _reconstruct, dtype('O8'), list."""
    return (P2 + glob("numpy.core.multiarray", "_reconstruct") + glob("numpy", "ndarray") +
            b"K\x00" + TUPLE1 + b"C\x01b" + b"\x87" + REDUCE +
            b"(K\x01K\x02" + TUPLE1 + glob("numpy", "dtype") + su("O8") + b"\x89\x88\x87" + REDUCE +
            b"(K\x03" + su("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?t" + b"b" +
            b"\x89" + b"]" + b"(" + su("a") + extra + su("b") + b"e" + b"t" + b"b" + STOP)


write("int_array.npy", npy("<i4", (2, 3), struct.pack("<6i", *range(6))))
write("struct_array_v2.npy", npy([("x", "<f4"), ("y", "<i8", (2,))], (2,), b"\x00" * 40, version=2))
write("object_array.npy", npy("|O", (2,), np_object_pickle()))
write("evil_object_array.npy", npy("|O", (2,),
                                   np_object_pickle(glob("subprocess", "check_output") + su("id") + TUPLE1 + REDUCE)))
write("truncated.npy", npy("<f8", (10,), b"\x00" * 16))


def zipped(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


write("arrays.npz", zipped([("a.npy", npy("<i4", (2, 3), b"\x00" * 24)), ("b.npy", npy("|O", (2,), np_object_pickle()))],
                           zipfile.ZIP_DEFLATED))
write("evil_arrays.npz", zipped([("a.npy", npy("<i4", (2, 3), b"\x00" * 24)),
                                 ("b.npy", npy("|O", (2,), np_object_pickle(glob("os", "system") + su("id") + TUPLE1 + REDUCE)))]))

# --- PyTorch -----------------------------------------------------------------

def torch_data_pkl(extra=b""):
    """A state_dict with one float tensor whose storage is archive/data/0."""
    return (P2 + glob("collections", "OrderedDict") + b")" + REDUCE + b"(" +
            su("weight") + glob("torch._utils", "_rebuild_tensor_v2") +
            b"(" + b"(" + su("storage") + glob("torch", "FloatStorage") + su("0") + su("cpu") + b"K\x04t" + b"Q" +
            b"K\x00" + b"K\x04" + TUPLE1 + b"K\x01" + TUPLE1 + b"\x89" + glob("collections", "OrderedDict") + b")" + REDUCE +
            b"t" + REDUCE + extra + b"u" + STOP)


write("torch_benign.pt", zipped([("archive/data.pkl", torch_data_pkl()), ("archive/byteorder", b"little"),
                                 ("archive/data/0", b"\x00" * 16), ("archive/version", b"3\n")]))
write("torch_evil.pt", zipped([("archive/data.pkl", torch_data_pkl(su("run") + glob("posix", "system") + su("id") + TUPLE1 + REDUCE)),
                               ("archive/data/0", b"\x00" * 16), ("archive/version", b"3\n")]))

# Legacy (non-zip) torch.save: magic, protocol, sys_info, object, keys, raw storages.
MAGIC = P2 + b"\x8a\x0a" + (0x1950a86a20f9469cfc6c).to_bytes(10, "little") + STOP
legacy = (MAGIC + pickle.dumps(1001, protocol=2) +
          pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2) +
          P2 + b"}" + su("w") + b"(" + su("storage") + glob("torch", "FloatStorage") + su("0") + su("cpu") + b"K\x04t" + b"Q" + b"s" + STOP +
          pickle.dumps(["0"], protocol=2) + struct.pack("<q", 4) + b"\x00" * 16)
write("torch_legacy.pt", legacy)

# Legacy tar format (torch < 0.4): sys_info, pickle, tensors, storages.
def tarred(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


storages = (pickle.dumps(1, protocol=2) +
            P2 + su("0") + su("cpu") + glob("torch", "FloatStorage") + b"\x87" + STOP +
            struct.pack("<q", 4) + b"\x00" * 16 + pickle.dumps([], protocol=2))
tensors = (pickle.dumps(1, protocol=2) + P2 + su("t0") + su("0") + glob("torch", "FloatTensor") + b"\x87" + STOP +
           struct.pack("<i", 1) + b"\x00" * 4 + struct.pack("<qqq", 4, 1, 0))
write("torch_legacy.tar", tarred([("sys_info", pickle.dumps({"little_endian": True}, protocol=2)),
                                  ("pickle", P2 + su("t0") + STOP), ("tensors", tensors), ("storages", storages)]))
write("evil_tar.tar", tarred([("../escape.pkl", P2 + glob("os", "system") + su("id") + TUPLE1 + REDUCE + STOP)]))

# --- joblib --------------------------------------------------------------------

def joblib_array(shape, descr, data, aligned=True):
    state = (b"}" + b"(" + su("subclass") + glob("numpy", "ndarray") + su("shape") + b"K" + bytes([shape]) + TUPLE1 +
             su("order") + su("C") + su("dtype") + glob("numpy", "dtype") + su(descr) + b"\x89\x88\x87" + REDUCE +
             b"(K\x03" + su("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t" + b"b" +
             su("allow_mmap") + b"\x88")
    if aligned:
        state += su("numpy_array_alignment_bytes") + b"K\x10"
    state += b"u"
    wrapper = glob("joblib.numpy_pickle", "NumpyArrayWrapper") + b")" + b"\x81" + state + b"b"
    if aligned:
        return wrapper + b"\x03" + b"\xff" * 3 + data
    return wrapper + data


# An array whose raw bytes would look like opcodes, then more pickle after it.
raw = b"c" * 32  # "GLOBAL" opcodes if a naive scanner read them
write("benign.joblib", P2 + b"]" + b"(" + joblib_array(4, "f8", raw) + b"K*" + b"e" + STOP)
evil_joblib = P2 + b"]" + b"(" + joblib_array(4, "f8", raw, aligned=False) + glob("os", "system") + b"e" + STOP
write("evil.joblib", evil_joblib)
write("evil_compressed.joblib", zlib.compress(evil_joblib))

# --- zip evasions and hazards --------------------------------------------------------------

EVIL = P2 + glob("builtins", "eval") + su("1") + TUPLE1 + REDUCE + STOP
write("zip_traversal.zip", zipped([("../../evil.pkl", pickle.dumps(1, protocol=2))]))
write("zip_duplicate.zip", zipped([("data.pkl", pickle.dumps(1, protocol=2)), ("data.pkl", EVIL)]))
write("zip_nested.zip", zipped([("inner.zip", zipped([("deep/data.pkl", EVIL)]))]))

# Symlink member: Unix mode S_IFLNK in the external attributes.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    info = zipfile.ZipInfo("link", date_time=(2024, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    z.writestr(info, "/etc/passwd")
write("zip_symlink.zip", buf.getvalue())

# Local header name differs from the central directory name.
z = bytearray(zipped([("data.pkl", EVIL)]))
i = z.index(b"data.pkl")  # first occurrence: the local header
z[i:i + 8] = b"safe.txt"
write("zip_name_mismatch.zip", bytes(z))

# Declared bomb: central directory claims 200 MB from 10 bytes.
z = bytearray(zipped([("big.bin", b"\x00" * 10)], zipfile.ZIP_DEFLATED))
c = z.index(b"PK\x01\x02")
z[c + 24:c + 28] = struct.pack("<I", 200 << 20)
write("zip_bomb_declared.zip", bytes(z))

# Really encrypted (ZipCrypto-shaped: 12-byte header, random-looking data).
z = bytearray(zipped([("weights.pkl", bytes((i * 73 + 41) % 256 for i in range(40)))]))
for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
    j = z.index(sig)
    z[j + flag_at] |= 1
write("zip_encrypted.zip", bytes(z))

write("archive.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24)
