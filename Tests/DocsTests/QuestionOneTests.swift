import Testing
import ArrayKit

/// Docs/Derivations.md, "Question 1": each closed form against central differences.
@Suite struct QuestionOneTests {
    /// ∂(xᵀBx)/∂x = (B + Bᵀ)x for a random, non-symmetric B.
    @Test func quadraticFormGradientIsBPlusBTransposeTimesX() {
        var rng = SplitMix64(seed: 101)
        let n = 6
        let b = NDArray<Double>.randomNormal([n, n], using: &rng)
        let x = NDArray<Double>.randomNormal([n, 1], using: &rng)   // a column vector
        let closedForm = NDArray.matmul(b + b.transposed(), x)
        let numerical = numericalGradient(at: x) { x in
            NDArray.matmul(NDArray.matmul(x, b, transposeA: true), x).scalar
        }
        #expect(closedForm.shape == [n, 1])
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
        // The symmetric part is what matters: 2Bx would be wrong for this B.
        #expect(relativeError(NDArray.matmul(b, x) * 2, numerical) > 1e-2)
    }

    /// ∂tr(VXW)/∂X = VᵀWᵀ, with V (n×m), X (m×p), W (p×n) all of different sizes.
    @Test func traceOfProductGradientIsVTransposeWTranspose() {
        var rng = SplitMix64(seed: 102)
        let (n, m, p) = (3, 4, 5)
        let v = NDArray<Double>.randomNormal([n, m], using: &rng)
        let x = NDArray<Double>.randomNormal([m, p], using: &rng)
        let w = NDArray<Double>.randomNormal([p, n], using: &rng)
        let closedForm = NDArray.matmul(v, w, transposeA: true, transposeB: true)
        let numerical = numericalGradient(at: x) { x in
            let product = NDArray.matmul(NDArray.matmul(v, x), w)   // n × n
            return (0..<n).reduce(0.0) { $0 + product[$1, $1] }
        }
        #expect(closedForm.shape == x.shape)
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    /// ∂‖w‖/∂w = w/‖w‖, a unit vector along w.
    @Test func normGradientIsUnitVectorAlongW() {
        var rng = SplitMix64(seed: 103)
        let w = NDArray<Double>.randomNormal([7, 1], std: 3, using: &rng)
        let norm = w.squared().sum().squareRoot()
        let closedForm = w / norm
        let numerical = numericalGradient(at: w) { $0.squared().sum().squareRoot() }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
        #expect(Swift.abs(closedForm.squared().sum() - 1) <= 1e-12)
    }

    /// ∂tr(S)/∂S = I.
    @Test func traceGradientIsIdentity() {
        var rng = SplitMix64(seed: 104)
        let n = 5
        let s = NDArray<Double>.randomNormal([n, n], using: &rng)
        let numerical = numericalGradient(at: s) { s in (0..<n).reduce(0.0) { $0 + s[$1, $1] } }
        #expect(relativeError(NDArray<Double>.identity(n), numerical) <= gradientTolerance)
    }
}
