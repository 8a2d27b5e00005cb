#!/usr/bin/python3
"""safetensors_interop.py — qkv's safetensors files against numpy and PyTorch, both ways.

1. The C++ program writes a checkpoint; this script parses the format by hand with numpy and
   checks every value, dtype, shape and the metadata.
2. This script writes a checkpoint from torch tensors (by hand: the `safetensors` package is
   not needed); the C++ program loads it and checks the values.

Run by ctest (label parity) with --driver <safetensors_interop binary>. Fails, never skips, if
numpy or torch is missing.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "?"}


def read_safetensors(path):
    """Returns ({name: np.ndarray}, metadata, names in header order) — the whole format."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    assert (8 + n) % 8 == 0, f"data section not 8-byte aligned: header length {n}"
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, end = {}, 0
    for name, e in header.items():
        begin, stop = e["data_offsets"]
        dtype = np.dtype(DTYPES[e["dtype"]])
        assert stop - begin == math.prod(e["shape"]) * dtype.itemsize, name
        tensors[name] = np.frombuffer(data[begin:stop], dtype=dtype).reshape(e["shape"])
        end = max(end, stop)
    assert end == len(data), f"data section is {len(data)} bytes, tensors cover {end}"
    return tensors, metadata, list(header)


def write_safetensors(path, tensors, metadata):
    names = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i8"): "I64", np.dtype("?"): "BOOL"}
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.array(t.numpy() if isinstance(t, torch.Tensor) else t, order="C")  # keeps 0-d shapes
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def check_cpp_file(driver, tmp):
    path = os.path.join(tmp, "from_cpp.safetensors")
    subprocess.run([driver, "write", path], check=True)
    t, meta, order = read_safetensors(path)
    assert order == ["f32", "f64", "i64", "mask", "scalar", "empty", "transposed"], order
    assert meta == {"model": "interop", "d_model": "16"}, meta
    expected_f32 = np.array([-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 1e-38], dtype=np.float32).reshape(3, 4)
    assert t["f32"].dtype == np.float32 and np.array_equal(t["f32"], expected_f32), t["f32"]
    assert t["f64"].dtype == np.float64 and np.array_equal(t["f64"], [math.pi, math.e, -1e300, 5e-324]), t["f64"]
    assert t["i64"].dtype == np.int64 and np.array_equal(t["i64"], [[-(1 << 62), -1], [0, (1 << 62) + 7]]), t["i64"]
    assert t["mask"].dtype == np.bool_ and t["mask"].tolist() == [True, False, True], t["mask"]
    assert t["scalar"].shape == () and t["scalar"].item() == 2.5, t["scalar"]
    assert t["empty"].shape == (0, 3) and t["empty"].dtype == np.float32, t["empty"].shape
    assert np.array_equal(t["transposed"], [[1, 4], [2, 5], [3, 6]]), t["transposed"]
    # The same bytes through torch, as a user loading qkv weights would do.
    w = torch.from_numpy(t["f32"].copy())
    assert torch.equal(w, torch.tensor(expected_f32))


def check_python_file(driver, tmp):
    path = os.path.join(tmp, "from_python.safetensors")
    write_safetensors(path, {
        "weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "ids": torch.tensor([3, -7, 0, 10**15], dtype=torch.int64),
        "flags": torch.tensor([[True, False], [False, True]]),
        "double": torch.tensor(0.1, dtype=torch.float64),
        "nothing": np.zeros((2, 0), dtype=np.float64),
    }, {"source": "python", "vocab": "de-en"})
    result = subprocess.run([driver, "check", path], capture_output=True, text=True)
    assert result.returncode == 0, f"C++ rejected the Python file:\n{result.stderr}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--driver", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        check_cpp_file(args.driver, tmp)
        check_python_file(args.driver, tmp)
    print("safetensors interop: C++ -> numpy/torch and torch -> C++ agree")


if __name__ == "__main__":
    sys.exit(main())
