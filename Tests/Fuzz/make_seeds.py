#!/usr/bin/env python3
"""Writes the seed corpora of the parser fuzzers (Tests/Fuzz/corpus/<parser>/).

Seeds are small, valid files of every layout each reader accepts, plus a few near misses, so
libFuzzer starts from inputs that reach deep into the parsers instead of failing at the
magic number. Needs numpy and safetensors (no torch). Deterministic: rerunning rewrites the
same bytes.  Usage: python3 Tests/Fuzz/make_seeds.py
"""
import gzip
import io
import os
import struct

import numpy as np
from safetensors.numpy import save as st_save

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(8)


def write(parser, name, data):
    directory = os.path.join(HERE, "corpus", parser)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def npy(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array)
    else:
        np.lib.format.write_array(buffer, array, version=version)
    return buffer.getvalue()


# .npy: each supported dtype, ranks 0-3, an empty array, format versions 1, 2 and 3, a
# Fortran-order vector (accepted: same layout), non-finite floats, one unsupported dtype.
write("npy", "f4_2x3", npy(rng.standard_normal((2, 3)).astype("<f4")))
write("npy", "f8_scalar", npy(np.array(3.5, dtype="<f8")))
write("npy", "f8_3_v2", npy(np.array([1.0, -2.0, 0.5]), version=(2, 0)))
write("npy", "f4_2x2_v3", npy(np.eye(2, dtype="<f4"), version=(3, 0)))
write("npy", "i8_2x2", npy(np.array([[1, -2], [3, 4]], dtype="<i8")))
write("npy", "u1_2x2x2", npy(np.arange(8, dtype="u1").reshape(2, 2, 2)))
write("npy", "f4_0x3", npy(np.zeros((0, 3), dtype="<f4")))
write("npy", "f4_fortran_vector", npy(np.asfortranarray(np.arange(4, dtype="<f4"))))
write("npy", "f4_nonfinite", npy(np.array([1.0, np.nan, np.inf, -np.inf], dtype="<f4")))
write("npy", "f2_unsupported", npy(np.ones(3, dtype="<f2")))

# safetensors: F32/F64 models with and without metadata, integer and half-precision
# tensors, an empty tensor, a scalar, non-finite values.
write("safetensors", "f32_mlp", st_save({
    "0.weight": rng.standard_normal((3, 4)).astype("<f4"), "0.bias": np.zeros(3, dtype="<f4"),
    "2.weight": rng.standard_normal((2, 3)).astype("<f4"), "2.bias": np.ones(2, dtype="<f4")},
    metadata={"format": "pt"}))
write("safetensors", "f64_pair", st_save({"a": np.arange(3, dtype="<f8"), "b": np.array(2.0)}))
write("safetensors", "mixed_dtypes", st_save({
    "h": np.array([1, 0.5, -2], dtype="<f2"), "n": np.array([7], dtype="<i8"),
    "i": np.array([-1, 2], dtype="<i4"), "u": np.array([255, 0], dtype="u1"),
    "s": np.array([-3], dtype="<i2"), "b": np.array([True, False])}))
write("safetensors", "empty_tensor", st_save({"e": np.zeros((0, 4), dtype="<f4"), "x": np.ones(1, dtype="<f4")}))
write("safetensors", "nonfinite", st_save({"w": np.array([np.nan, 1, np.inf], dtype="<f4")}))
write("safetensors", "no_tensors", st_save({}, metadata={"k": "v"}))


def idx(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


# IDX: label and image files, plain and gzip'd, a truncated one and one with trailing bytes.
labels = idx(0x801, [6], [3, 1, 4, 1, 5, 9])
images = idx(0x803, [2, 3, 4], rng.integers(0, 256, 24, dtype=np.uint8))
write("idx", "labels", labels)
write("idx", "images", images)
write("idx", "labels.gz", gzip.compress(labels, mtime=0))
write("idx", "images.gz", gzip.compress(images, mtime=0))
write("idx", "images_truncated", images[:-5])
write("idx", "labels_trailing", labels + b"\0\0")
