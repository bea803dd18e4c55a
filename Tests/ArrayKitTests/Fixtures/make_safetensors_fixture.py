"""Writes python_written.safetensors, the fixture SafetensorsTests reads to prove that a
file made by the reference implementation loads in Swift. Run from this directory:

    pip install safetensors numpy && python3 make_safetensors_fixture.py

Values are simple formulas (value = index / 8 - 1, scaled per tensor) so the test can
recompute them without a second copy of the data.
"""
import numpy as np
from safetensors.numpy import save_file

def ramp(shape, scale, dtype):
    n = int(np.prod(shape))
    return ((np.arange(n, dtype=np.float64) / 8 - 1) * scale).reshape(shape).astype(dtype)

tensors = {
    "0.weight": ramp((3, 4), 1.0, np.float32),
    "0.bias": ramp((3,), 0.5, np.float32),
    "2.weight": ramp((2, 3), 2.0, np.float64),
    "2.bias": ramp((2,), 0.25, np.float16),
    "scalar": ramp((), 3.0, np.float32),
}
save_file(tensors, "python_written.safetensors", metadata={"format": "pt", "source": "numpy"})
