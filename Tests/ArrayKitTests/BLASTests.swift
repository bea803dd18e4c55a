import ArrayAssertions
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

    /// The promise behind splitting a product between threads: the same bits for any thread
    /// count, at the MLP's own shapes (batch 128 and 1000), at shapes cut into 4 and 8 blocks
    /// and at odd ones, for both element types and every transposition; and within rounding
    /// of one plain OpenBLAS call.
    @Test(arguments: [(128, 784, 128, false, true), (128, 128, 784, true, false), (1000, 784, 128, false, true),
                      (512, 784, 128, true, true), (1024, 128, 784, false, false), (97, 61, 53, false, false), (130, 29, 300, true, true)])
    func productsAreTheSameForAnyThreadCount(m: Int, k: Int, n: Int, ta: Bool, tb: Bool) throws {
        try BLAS.load()
        try checkThreadCounts(Float.self, m: m, k: k, n: n, ta: ta, tb: tb)
        try checkThreadCounts(Double.self, m: m, k: k, n: n, ta: ta, tb: tb)
    }

    private func checkThreadCounts<S: NDScalar>(_: S.Type, m: Int, k: Int, n: Int, ta: Bool, tb: Bool) throws {
        var rng = SplitMix64(seed: 11)
        let a = NDArray<S>.randomNormal(ta ? [k, m] : [m, k], using: &rng)
        let b = NDArray<S>.randomNormal(tb ? [n, k] : [k, n], using: &rng)
        let start = NDArray<S>.randomNormal([m, n], using: &rng)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        let results = [1, 2, 3, 8].map { threads in
            BLAS.threads = threads
            var c = start
            NDArray.gemm(a, b, into: &c, transposeA: ta, transposeB: tb, beta: 1)
            return c
        }
        for (threads, result) in zip([2, 3, 8], results.dropFirst()) {
            expectEqual(result, results[0], "\(S.self) \(m)×\(k)×\(n) on \(threads) threads against 1")
        }
        // One OpenBLAS call over the whole product sums each element in its own order; the
        // blocks may round differently, by a few units in the last place of the terms' size.
        var whole = start
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                whole.withUnsafeMutableBufferPointer { pc in
                    let (lda, ldb) = (Int32(ta ? m : k), Int32(tb ? k : n))
                    let (pa, pb, pc) = (UnsafeRawPointer(pa.baseAddress!), UnsafeRawPointer(pb.baseAddress!),
                                        UnsafeMutableRawPointer(pc.baseAddress!))
                    if S.self == Double.self {
                        bp_dgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), 1,
                                 pa.assumingMemoryBound(to: Double.self), lda, pb.assumingMemoryBound(to: Double.self), ldb,
                                 1, pc.assumingMemoryBound(to: Double.self), Int32(n))
                    } else {
                        bp_sgemm(ta ? 1 : 0, tb ? 1 : 0, Int32(m), Int32(n), Int32(k), 1,
                                 pa.assumingMemoryBound(to: Float.self), lda, pb.assumingMemoryBound(to: Float.self), ldb,
                                 1, pc.assumingMemoryBound(to: Float.self), Int32(n))
                    }
                }
            }
        }
        // |terms| summed, |A|·|B| + |C₀|, is the scale of each element's rounding.
        let scale = NDArray.matmul(a.map(Swift.abs), b.map(Swift.abs), transposeA: ta, transposeB: tb) + start.map(Swift.abs)
        let bound = 2 * Double(k + 1) * Double(S.ulpOfOne) * Double(scale.storage.max() ?? 0)
        expectEqual(results[0], whole, tolerance: .absolute(bound), "\(S.self) \(m)×\(k)×\(n) against one OpenBLAS call")
    }

    /// The blocks depend on the shape alone: one call below 2 million multiply-adds or 24
    /// rows, then 2 blocks, and 4 or 8 only while each keeps 128 rows and 6 million
    /// multiply-adds; each starts on a multiple of 12 rows.
    @Test func productBlocksFollowTheShapeAlone() {
        #expect(BLAS.productBlocks(m: 10, n: 128, k: 128) == 1)          // the second layer
        #expect(BLAS.productBlocks(m: 128, n: 128, k: 784) == 2)         // the first, batch 128
        #expect(BLAS.productBlocks(m: 32, n: 128, k: 784) == 2)          // batch 32: 3.2 million
        #expect(BLAS.productBlocks(m: 128, n: 1024, k: 784) == 2)        // a wide layer, batch 128
        #expect(BLAS.productBlocks(m: 256, n: 256, k: 784) == 2)
        #expect(BLAS.productBlocks(m: 512, n: 1024, k: 784) == 4)        // batch 512
        #expect(BLAS.productBlocks(m: 1024, n: 784, k: 128) == 8)        // its dW, 128 rows a block
        #expect(BLAS.productBlocks(m: 1024, n: 784, k: 4) == 2)          // 128 rows, but too little work for 4
        #expect(BLAS.productBlocks(m: 20, n: 4096, k: 4096) == 1)         // too few rows to cut
        #expect(bp_product_block_start(128, 2, 1) == 60)
        #expect((0...8).map { Int(bp_product_block_start(1000, 8, Int32($0))) } == [0, 120, 252, 372, 504, 624, 756, 876, 1000])
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

    /// Products and affine maps write into memory that is never zeroed first, so every
    /// element must be written: into outputs full of NaN (the debug builds' fill of
    /// `unfilled` storage), the results are the same bits as into fresh ones and finite, for
    /// every transposition, products in one call and in blocks, both element types.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func productsOverwriteEveryElementOfTheirOutput(ta: Bool, tb: Bool) {
        checkOverwrites(Float.self, ta: ta, tb: tb)
        checkOverwrites(Double.self, ta: ta, tb: tb)
    }

    private func checkOverwrites<S: NDScalar>(_: S.Type, ta: Bool, tb: Bool) {
        var rng = SplitMix64(seed: 5)
        for (m, k, n) in [(37, 29, 23), (128, 784, 128), (130, 0, 7)] {
            let a = NDArray<S>.randomNormal(ta ? [k, m] : [m, k], using: &rng)
            let b = NDArray<S>.randomNormal(tb ? [n, k] : [k, n], using: &rng)
            let fresh = NDArray.matmul(a, b, transposeA: ta, transposeB: tb)
            var reused = NDArray<S>.full([m, n], .nan)
            NDArray.gemm(a, b, into: &reused, transposeA: ta, transposeB: tb)
            #expect(fresh.scalars.allSatisfy { $0.isFinite })
            #expect(reused == fresh)
        }
        let x = NDArray<S>.randomNormal([40, 30], using: &rng), w = NDArray<S>.randomNormal([20, 30], using: &rng)
        for bias in [nil, NDArray<S>.randomNormal([20], using: &rng)] {
            var fresh = NDArray<S>.zeros([0, 0]), reused = NDArray<S>.full([40, 20], .nan)
            NDArray.affine(x, weight: w, bias: bias, into: &fresh)
            NDArray.affine(x, weight: w, bias: bias, into: &reused)
            #expect(fresh.scalars.allSatisfy { $0.isFinite })
            #expect(reused == fresh)
        }
    }

    /// The debug builds' NaN fill that makes an unwritten element show in the tests above
    /// and in every other test of a product (release builds leave the memory as it is).
    @Test func unfilledArraysAreNaNInDebugBuilds() {
        #if DEBUG
        #expect(NDArray<Float>.unfilled([3, 5]).scalars.allSatisfy { $0.isNaN })
        #expect(NDArray<Double>.unfilled([7]).scalars.allSatisfy { $0.isNaN })
        #endif
        #expect(NDArray<Float>.unfilled([2, 0, 3]).shape == [2, 0, 3])
    }
}
