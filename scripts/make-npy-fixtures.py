#!/usr/bin/env python3
"""Writes the NumPy-made .npy fixtures that Tests/ArrayKitTests/NPYTests.swift reads.

Run from the package root:  python3 scripts/make-npy-fixtures.py
The values are exact in binary so the Swift test can compare them for equality.
"""
import pathlib
import numpy as np

out = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "ArrayKitTests" / "Fixtures"
out.mkdir(parents=True, exist_ok=True)

# float32 (2, 3): [[-0.5, -0.25, 0], [0.25, 0.5, 0.75]]
np.save(out / "float32_2x3.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5).astype("<f4"))
# float64 (3,): [1e-300, -2.5, 3.0e300]
np.save(out / "float64_3.npy", np.array([1e-300, -2.5, 3.0e300], dtype="<f8"))
# int64 (2, 2): [[-1, 0], [2**40, 7]]
np.save(out / "int64_2x2.npy", np.array([[-1, 0], [2**40, 7]], dtype="<i8"))
# uint8 (4,): [0, 1, 128, 255]
np.save(out / "uint8_4.npy", np.array([0, 1, 128, 255], dtype="u1"))
# float32 (0, 3), an empty array
np.save(out / "float32_0x3.npy", np.zeros((0, 3), dtype="<f4"))
# float64 scalar (shape ()): 42.0
np.save(out / "float64_scalar.npy", np.array(42.0, dtype="<f8"))
# format version 2.0, float32 (2, 2): [[1, 2], [3, 4]]
with open(out / "float32_2x2_v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.array([[1, 2], [3, 4]], dtype="<f4"), version=(2, 0))
