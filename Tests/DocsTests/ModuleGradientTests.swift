import Testing
import ArrayKit

/// Docs/Derivations.md, "2.a Linear" to "ELU": every closed-form backward pass, written with
/// NDArray ops (products with transpose flags, broadcasting, sums), against central
/// differences of `L = sum(G ∘ f(X))` for a random G, so that ∂L/∂Y = G.
/// These check the formulas, independent of the layer modules in Sources/.
@Suite struct ModuleGradientTests {
    /// Batch S, input features M, output features N (all different so a transposed
    /// formula cannot have the right shape by accident).
    static let (batch, inputs, outputs) = (5, 4, 3)

    /// `sum(G ∘ Y)`: a scalar loss whose gradient with respect to `Y` is exactly `G`.
    static func probeLoss(_ g: NDArray<Double>, _ y: NDArray<Double>) -> Double { (g * y).sum() }

    static func linear(_ x: NDArray<Double>, _ w: NDArray<Double>, _ b: NDArray<Double>) -> NDArray<Double> {
        NDArray.matmul(x, w, transposeB: true) + b   // Y = X Wᵀ + B, b broadcast over rows
    }

    // MARK: 2.a Linear

    @Test func linearWeightGradientIsGTransposeX() {
        var rng = SplitMix64(seed: 201)
        let (s, m, n) = (Self.batch, Self.inputs, Self.outputs)
        let x = NDArray<Double>.randomNormal([s, m], using: &rng)
        let w = NDArray<Double>.randomNormal([n, m], using: &rng)
        let b = NDArray<Double>.randomNormal([1, n], using: &rng)
        let g = NDArray<Double>.randomNormal([s, n], using: &rng)
        let closedForm = NDArray.matmul(g, x, transposeA: true)          // Gᵀ X: (N, M)
        let numerical = numericalGradient(at: w) { Self.probeLoss(g, Self.linear(x, $0, b)) }
        #expect(closedForm.shape == w.shape)
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    @Test func linearBiasGradientIsColumnSumOfG() {
        var rng = SplitMix64(seed: 202)
        let (s, m, n) = (Self.batch, Self.inputs, Self.outputs)
        let x = NDArray<Double>.randomNormal([s, m], using: &rng)
        let w = NDArray<Double>.randomNormal([n, m], using: &rng)
        let b = NDArray<Double>.randomNormal([1, n], using: &rng)
        let g = NDArray<Double>.randomNormal([s, n], using: &rng)
        let closedForm = g.sum(axis: 0, keepDims: true)                  // 1ᵀ G: (1, N)
        let viaOnes = NDArray.matmul(NDArray<Double>.ones([s, 1]), g, transposeA: true)
        let numerical = numericalGradient(at: b) { Self.probeLoss(g, Self.linear(x, w, $0)) }
        #expect(closedForm.shape == b.shape)
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
        #expect(relativeError(viaOnes, numerical) <= gradientTolerance)
    }

    @Test func linearInputGradientIsGW() {
        var rng = SplitMix64(seed: 203)
        let (s, m, n) = (Self.batch, Self.inputs, Self.outputs)
        let x = NDArray<Double>.randomNormal([s, m], using: &rng)
        let w = NDArray<Double>.randomNormal([n, m], using: &rng)
        let b = NDArray<Double>.randomNormal([1, n], using: &rng)
        let g = NDArray<Double>.randomNormal([s, n], using: &rng)
        let closedForm = NDArray.matmul(g, w)                            // G W: (S, M)
        let numerical = numericalGradient(at: x) { Self.probeLoss(g, Self.linear($0, w, b)) }
        #expect(closedForm.shape == x.shape)
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    // MARK: 2.b Activation

    /// The generic rule G ∘ h'(X), for two smooth h: tanh (h' = 1 − h²) and the logistic
    /// sigmoid (h' = h(1 − h)).
    @Test(arguments: ["tanh", "sigmoid"])
    func activationGradientIsGHadamardDerivative(function: String) {
        var rng = SplitMix64(seed: 204)
        let x = NDArray<Double>.randomNormal([Self.batch, Self.inputs], std: 2, using: &rng)
        let g = NDArray<Double>.randomNormal(x.shape, using: &rng)
        let h: (NDArray<Double>) -> NDArray<Double>
        let derivative: NDArray<Double>
        if function == "tanh" {
            h = { $0.tanh() }
            derivative = 1 - x.tanh().squared()
        } else {
            h = { 1 / (1 + (-$0).exp()) }
            let y = h(x)
            derivative = y * (1 - y)
        }
        let closedForm = g * derivative
        let numerical = numericalGradient(at: x) { Self.probeLoss(g, h($0)) }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    @Test func reluGradientIsGMaskedByPositiveInputs() {
        var rng = SplitMix64(seed: 205)
        let x = randomAwayFromZero([Self.batch, Self.inputs], using: &rng)
        let g = NDArray<Double>.randomNormal(x.shape, using: &rng)
        let closedForm = g * x.isGreater(than: 0)                        // G ∘ 1[X > 0]
        let numerical = numericalGradient(at: x) { Self.probeLoss(g, $0.maximum(0)) }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
        #expect(x.isLess(than: 0).sum() > 0, "both sides of the kink are exercised")
        #expect(x.isGreater(than: 0).sum() > 0, "both sides of the kink are exercised")
    }

    /// ELU(x) = x for x > 0, α(eˣ − 1) otherwise; ∂L/∂X = G ∘ (1[X > 0] + 1[X ≤ 0] ∘ αe^X).
    @Test(arguments: [1.0, 0.5])
    func eluGradientIsGTimesOneOrAlphaExp(alpha: Double) {
        var rng = SplitMix64(seed: 206)
        let x = randomAwayFromZero([Self.batch, Self.inputs], using: &rng)
        let g = NDArray<Double>.randomNormal(x.shape, using: &rng)
        func elu(_ x: NDArray<Double>) -> NDArray<Double> {
            let positive = x.isGreater(than: 0)
            return positive * x + (1 - positive) * ((x.exp() - 1) * alpha)
        }
        let positive = x.isGreater(than: 0)
        let closedForm = g * (positive + (1 - positive) * (x.exp() * alpha))
        let numerical = numericalGradient(at: x) { Self.probeLoss(g, elu($0)) }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    // MARK: 2.c.i Softmax

    /// ∂L/∂X = Y ∘ (G − (G ∘ Y) 𝟙𝟙ᵀ), with the C × C all-ones matrix of the hint, and the
    /// same with a broadcast row sum (what code does instead of the product).
    @Test func softmaxGradientIsYTimesGMinusRowDot() {
        var rng = SplitMix64(seed: 207)
        let (s, c) = (Self.batch, 4)
        let x = NDArray<Double>.randomNormal([s, c], std: 2, using: &rng)
        let g = NDArray<Double>.randomNormal([s, c], using: &rng)
        let y = softmax(x)
        let withOnesMatrix = y * (g - NDArray.matmul(g * y, NDArray<Double>.ones([c, c])))
        let withRowSum = y * (g - (g * y).sum(axis: 1, keepDims: true))
        let numerical = numericalGradient(at: x) { Self.probeLoss(g, softmax($0)) }
        #expect(relativeError(withOnesMatrix, numerical) <= gradientTolerance)
        #expect(relativeError(withRowSum, numerical) <= gradientTolerance)
        // Softmax is invariant to adding a constant to a row, so each gradient row sums to 0.
        #expect(withRowSum.sum(axis: 1).abs().max() <= 1e-12)
    }

    // MARK: 2.c.ii Cross-entropy

    @Test(arguments: [true, false])
    func crossEntropyGradientIsMinusTargetsOverInputsOverBatch(oneHot: Bool) {
        var rng = SplitMix64(seed: 208)
        let (s, c) = (Self.batch, 4)
        let x = softmax(NDArray<Double>.randomNormal([s, c], using: &rng))   // valid probabilities
        let t = randomTargets(rows: s, classes: c, oneHot: oneHot, using: &rng)
        let closedForm = -(t / x) / Double(s)                                 // −(1/S) T ⊘ X
        let numerical = numericalGradient(at: x) { crossEntropy($0, targets: t) }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
    }

    // MARK: Softmax and cross-entropy fused

    @Test(arguments: [true, false])
    func fusedSoftmaxCrossEntropyGradientIsSoftmaxMinusTargetsOverBatch(oneHot: Bool) {
        var rng = SplitMix64(seed: 209)
        let (s, c) = (Self.batch, 4)
        let x = NDArray<Double>.randomNormal([s, c], std: 2, using: &rng)   // logits
        let t = randomTargets(rows: s, classes: c, oneHot: oneHot, using: &rng)
        let closedForm = (softmax(x) - t) / Double(s)
        let numerical = numericalGradient(at: x) { crossEntropy(softmax($0), targets: t) }
        #expect(relativeError(closedForm, numerical) <= gradientTolerance)
        // The chain of the two separate rules gives the same array.
        let y = softmax(x)
        let g = -(t / y) / Double(s)
        let chained = y * (g - (g * y).sum(axis: 1, keepDims: true))
        #expect(relativeError(chained, closedForm) <= 1e-12)
    }

    /// The fused form needs rows of T that sum to 1: with row sums r it is (r ∘ Y − T)/S,
    /// so (Y − T)/S is wrong for targets that do not sum to 1.
    @Test func fusedGradientNeedsTargetRowsSummingToOne() {
        var rng = SplitMix64(seed: 210)
        let (s, c) = (Self.batch, 4)
        let x = NDArray<Double>.randomNormal([s, c], using: &rng)
        let t = NDArray<Double>.randomUniform([s, c], low: 0.2, high: 1, using: &rng)  // rows sum ≠ 1
        let numerical = numericalGradient(at: x) { crossEntropy(softmax($0), targets: t) }
        let general = (softmax(x) * t.sum(axis: 1, keepDims: true) - t) / Double(s)
        #expect(relativeError(general, numerical) <= gradientTolerance)
        #expect(relativeError((softmax(x) - t) / Double(s), numerical) > 1e-2)
    }
}
