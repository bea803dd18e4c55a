import CBLAS
import Foundation
import Testing
@testable import ArrayKit

/// A naive Double triple loop, the reference for every product.
func naiveProduct(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    let m = a.count, k = b.count, n = b.first?.count ?? 0
    return (0..<m).map { i in (0..<n).map { j in (0..<k).reduce(0.0) { $0 + a[i][$1] * b[$1][j] } } }
}

func rows<S: NDScalar>(_ x: NDArray<S>) -> [[Double]] {
    (0..<x.shape[0]).map { i in (0..<x.shape[1]).map { j in Double(x[i, j]) } }
}

@Suite struct BLASTests {
    @Test func loadsAFastKernelAndDescribesItself() throws {
        try BLAS.load()
        #expect(BLAS.summary.hasPrefix("BLAS: OpenBLAS "))
        #expect(BLAS.summary.contains("core \(BLAS.coreName)"))
        if BLAS.coreWasChosen {
            #expect(BLAS.coreName != "Prescott", "the generic kernel was picked: \(BLAS.summary)")
        }
    }

    /// In a fresh process (other tests change the count for a while): one thread per CPU,
    /// at most 8, unless the environment names a count.
    @Test func runsOneThreadPerCPUUnlessTheEnvironmentChooses() async {
        await #expect(processExitsWith: .success) {
            try BLAS.load()
            let environment = ProcessInfo.processInfo.environment
            let chosen = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].lazy
                .compactMap { environment[$0].flatMap(Int.init) }.first { $0 > 0 }
            let expected = Swift.min(chosen ?? ProcessInfo.processInfo.activeProcessorCount, 8)
            precondition(BLAS.threads == expected, "\(BLAS.summary), expected \(expected)")
        }
    }

    /// The claim behind splitting a product between threads: blocks of rows that start on
    /// multiples of the measured alignment give the one-call result bit for bit, at the
    /// MLP's own shapes and at odd ones, for both element types. The blocks are computed
    /// here one by one, so the check does not depend on whether the workers were free.
    @Test(arguments: [(128, 784, 128, false, true), (128, 128, 784, true, false), (1000, 784, 128, false, true),
                      (97, 61, 53, false, false), (130, 29, 300, true, true)])
    func productsCutIntoAlignedRowBlocksEqualOneCall(m: Int, k: Int, n: Int, ta: Bool, tb: Bool) throws {
        try BLAS.load()
        try checkBlocks(Float.self, m: m, k: k, n: n, ta: ta, tb: tb)
        try checkBlocks(Double.self, m: m, k: k, n: n, ta: ta, tb: tb)
    }

    private func checkBlocks<S: NDScalar>(_: S.Type, m: Int, k: Int, n: Int, ta: Bool, tb: Bool) throws {
        let alignment = BLAS.splitAlignment(for: S.self)
        // This machine's kernel (Haswell) has a measurable alignment; a kernel without one
        // would simply not split, which the second half of the test would then not reach.
        #expect(alignment > 0, "no alignment found for \(S.self) on core \(BLAS.coreName)")
        guard alignment > 0 else { return }
        var rng = SplitMix64(seed: 11)
        let a = NDArray<S>.randomNormal(ta ? [k, m] : [m, k], using: &rng)
        let b = NDArray<S>.randomNormal(tb ? [n, k] : [k, n], using: &rng)
        let start = NDArray<S>.randomNormal([m, n], using: &rng)
        var whole = start, blocked = start
        // OpenBLAS directly, one call per product or block, whatever BLAS.threads says.
        func gemm(rows: Int, first: Int, into c: inout NDArray<S>) {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        let (lda, ldb) = (Int32(ta ? m : k), Int32(tb ? k : n))
                        let pa = UnsafeRawPointer(pa.baseAddress! + first * (ta ? 1 : k))
                        let pc = UnsafeMutableRawPointer(pc.baseAddress! + first * n)
                        let pb = UnsafeRawPointer(pb.baseAddress!)
                        if S.self == Double.self {
                            bp_dgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(rows), Int32(n), Int32(k), 1,
                                     pa.assumingMemoryBound(to: Double.self), lda, pb.assumingMemoryBound(to: Double.self), ldb,
                                     1, pc.assumingMemoryBound(to: Double.self), Int32(n))
                        } else {
                            bp_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(rows), Int32(n), Int32(k), 1,
                                     pa.assumingMemoryBound(to: Float.self), lda, pb.assumingMemoryBound(to: Float.self), ldb,
                                     1, pc.assumingMemoryBound(to: Float.self), Int32(n))
                        }
                    }
                }
            }
        }
        gemm(rows: m, first: 0, into: &whole)
        for first in stride(from: 0, to: m, by: alignment) {
            gemm(rows: Swift.min(alignment, m - first), first: first, into: &blocked)
        }
        // And the split path itself, on however many threads are free, from the same start.
        var split = start
        NDArray.gemm(a, b, into: &split, transposeA: ta, transposeB: tb, beta: 1)
        #expect(whole.storage == split.storage, "\(S.self) \(m)×\(k)×\(n) through NDArray.gemm")
        #expect(whole.storage == blocked.storage, "\(S.self) \(m)×\(k)×\(n) in blocks of \(alignment) rows")
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulMatchesNaiveLoopForEveryTransposeCombination(ta: Bool, tb: Bool) {
        var rng = SplitMix64(seed: 7)
        let (m, k, n) = (37, 129, 23)   // odd sizes exercise the kernel's edges
        let a = NDArray<Float>.randomNormal(ta ? [k, m] : [m, k], using: &rng)
        let b = NDArray<Float>.randomNormal(tb ? [n, k] : [k, n], using: &rng)
        let c = NDArray.matmul(a, b, transposeA: ta, transposeB: tb)
        let expected = naiveProduct(rows(ta ? a.transposed() : a), rows(tb ? b.transposed() : b))
        #expect(c.shape == [m, n])
        for i in 0..<m { for j in 0..<n {
            #expect(Swift.abs(Double(c[i, j]) - expected[i][j]) <= 1e-4 * (1 + Swift.abs(expected[i][j])))
        } }
        let ad = NDArray<Double>(a), bd = NDArray<Double>(b)
        let cd = NDArray.matmul(ad, bd, transposeA: ta, transposeB: tb)
        for i in 0..<m { for j in 0..<n {
            #expect(Swift.abs(cd[i, j] - expected[i][j]) <= 1e-12 * (1 + Swift.abs(expected[i][j])))
        } }
    }
}
