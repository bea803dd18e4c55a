// The README's ArrayKit example, runnable: `swift run -c release arraykit-demo`.
// `--bench` times the sgemm of one MLP layer instead (128×784 · 784×128), and what the
// checksums cost when the default model and a checkpoint are written and read.
import ArrayKit
import Foundation

/// Times `NDArray.gemm` for (m × k) · (k × n) in Float and prints GFLOP/s: the best of
/// five rounds of about 0.2 s each, after a warm-up, so one slow round does not count.
func benchmarkSgemm(m: Int, k: Int, n: Int) {
    var rng = SplitMix64(seed: 1)
    let a = NDArray<Float>.randomNormal([m, k], using: &rng)
    let b = NDArray<Float>.randomNormal([k, n], using: &rng)
    var c = NDArray<Float>.zeros([m, n])
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    for _ in 0..<50 { NDArray.gemm(a, b, into: &c) }
    let clock = ContinuousClock()
    var best = 0.0
    for _ in 0..<5 {
        var calls = 0
        let start = clock.now
        var elapsed = Duration.zero
        while elapsed < .milliseconds(200) {
            for _ in 0..<20 { NDArray.gemm(a, b, into: &c) }
            calls += 20
            elapsed = clock.now - start
        }
        best = max(best, flops * Double(calls) / (elapsed / .seconds(1)) / 1e9)
    }
    print("sgemm \(m)×\(k) · \(k)×\(n): \((best * 10).rounded() / 10) GFLOP/s (best of 5 rounds)")
}

/// Times encoding and decoding `copies` state dicts of the default MLP (784 → 128 → 10,
/// 101,770 parameters) in one safetensors file, with and without the SHA-256 checksums:
/// one copy is `model.safetensors`, two the default run's checkpoint (model and best model),
/// four an Adam run's (and the two moments).
func benchmarkSafetensors(copies: Int, label: String) {
    var rng = SplitMix64(seed: 1)
    var tensors: [(name: String, array: NDArray<Float>)] = []
    for copy in 0..<copies {
        for (name, shape) in [("0.weight", [128, 784]), ("0.bias", [128]), ("2.weight", [10, 128]), ("2.bias", [10])] {
            tensors.append(("\(copy).\(name)", .randomNormal(shape, using: &rng)))
        }
    }
    let clock = ContinuousClock()
    /// Milliseconds per call of `body`: the best of five rounds of 20 calls.
    func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<5 {
            let start = clock.now
            for _ in 0..<20 { try body() }
            best = min(best, (clock.now - start) / .milliseconds(1) / 20)
        }
        return best
    }
    let plain = Safetensors.encode(tensors, checksum: false), checked = Safetensors.encode(tensors)
    let write = milliseconds { _ = Safetensors.encode(tensors, checksum: false) }
    let writeChecked = milliseconds { _ = Safetensors.encode(tensors) }
    let read = try! milliseconds { _ = try Safetensors.decode(plain) }
    let readChecked = try! milliseconds { _ = try Safetensors.decode(checked) }
    // For scale: putting the bytes on disk (temporary file, fsync, rename).
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("arraykit-demo-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let store = try! milliseconds { try writeAtomically(checked, to: url) }
    func f(_ value: Double) -> String { String(format: "%.2f", value) }
    print("\(label) (\(plain.count / 1024) KiB): encode \(f(write)) ms, with checksums \(f(writeChecked)) ms; "
          + "decode \(f(read)) ms, verifying \(f(readChecked)) ms; writeAtomically \(f(store)) ms")
}

func runExample() {
    var rng = SplitMix64(seed: 42)                                  // one seeded generator
    let x = NDArray<Float>.randomNormal([4, 3], using: &rng)        // (4, 3)
    let w = NDArray<Float>.randomNormal([2, 3], std: 0.5, using: &rng)
    let b = NDArray<Float>([0.1, -0.1])                              // (2,)
    let y = NDArray.matmul(x, w, transposeB: true) + b               // X Wᵀ + b, broadcast: (4, 2)
    let relu = y.maximum(0)
    let rowSums = relu.sum(axis: 1, keepDims: true)                  // (4, 1)
    let gradB = NDArray<Float>.ones([4, 2]).reduced(toShape: [2])    // bias gradient: [4, 4]
    print(BLAS.summary, rowSums, gradB)                              // BLAS: OpenBLAS 0.3.21, core Haswell, 2 threads
}

if CommandLine.arguments.dropFirst().contains("--version") {
    print(Backprop.version)
    exit(0)
}
do {
    try BLAS.load()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
if CommandLine.arguments.dropFirst().contains("--bench") {
    print(BLAS.summary)
    print("a 128×784·784×128 product is cut into \(BLAS.productBlocks(m: 128, n: 128, k: 784)) blocks of rows")
    benchmarkSgemm(m: 128, k: 784, n: 128)
    benchmarkSafetensors(copies: 1, label: "model.safetensors")
    benchmarkSafetensors(copies: 2, label: "checkpoint, SGD")
    benchmarkSafetensors(copies: 4, label: "checkpoint, Adam")
} else {
    runExample()
}
