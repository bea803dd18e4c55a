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

    @Test func runsOneThreadUnlessTheEnvironmentChoosesMore() throws {
        try BLAS.load()
        let environment = ProcessInfo.processInfo.environment
        if let chosen = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"].lazy
            .compactMap({ environment[$0].flatMap(Int.init) }).first, chosen > 0 {
            #expect(BLAS.threads == Swift.min(chosen, BLAS.threads))
        } else {
            #expect(BLAS.threads == 1, "the MLP's small products run fastest on one thread: \(BLAS.summary)")
        }
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
