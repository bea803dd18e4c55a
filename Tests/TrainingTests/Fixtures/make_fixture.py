#!/usr/bin/env python3
"""Make the small Fashion-MNIST fixture the Training tests read.

The first 500 training and first 100 test samples of Fashion-MNIST (Zalando Research,
MIT licence), written as IDX files twice: gzip-compressed in fashion-mnist-mini/ and plain
in fashion-mnist-mini-plain/. The gzip files are written with mtime 0 so that rerunning the
script reproduces them byte for byte. Prints the SHA-256 of each plain file (the tests
check the download path against these values).

    python3 make_fixture.py [/usr/share/datasets/fashion-mnist]
"""
import gzip
import hashlib
import struct
import sys
from pathlib import Path

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist")
HERE = Path(__file__).resolve().parent
COUNTS = {"train": 500, "t10k": 100}


def read(name):
    path = SOURCE / name
    data = path.read_bytes() if path.exists() else gzip.decompress((SOURCE / (name + ".gz")).read_bytes())
    return data


def subset(prefix, count):
    images = read(f"{prefix}-images-idx3-ubyte")
    labels = read(f"{prefix}-labels-idx1-ubyte")
    magic, n, rows, cols = struct.unpack(">IIII", images[:16])
    assert magic == 0x803 and (rows, cols) == (28, 28) and n >= count
    magic, m = struct.unpack(">II", labels[:8])
    assert magic == 0x801 and m == n
    size = rows * cols
    return (struct.pack(">IIII", 0x803, count, rows, cols) + images[16:16 + count * size],
            struct.pack(">II", 0x801, count) + labels[8:8 + count])


def main():
    gz_dir, plain_dir = HERE / "fashion-mnist-mini", HERE / "fashion-mnist-mini-plain"
    gz_dir.mkdir(exist_ok=True)
    plain_dir.mkdir(exist_ok=True)
    for prefix, count in COUNTS.items():
        images, labels = subset(prefix, count)
        for name, data in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            (plain_dir / name).write_bytes(data)
            (gz_dir / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            print(hashlib.sha256(data).hexdigest(), name)


if __name__ == "__main__":
    main()
