// The README's ArrayKit example, runnable: `swift run -c release arraykit-demo`.
// `--bench` times the sgemm of one MLP layer instead (128×784 · 784×128).
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
} else {
    runExample()
}
