import Testing
import ArrayKit

/// Every hand-written backward pass against central differences in Double
/// (Derivations 2.a–2.c), over random shapes: batch 1–64, classes 1–10.
@Suite struct GradientCheckTests {
    static let tolerance = 1e-6
    static let seeds: [UInt64] = Array(0..<6)

    @Test(arguments: seeds)
    func linearInputWeightAndBias(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let layer = Linear<Double>(inFeatures: s.features, outFeatures: s.classes, seed: seed)
        // Non-zero bias so the check does not start from the special case b = 0.
        layer.bias = LayerFixtures.normal([s.classes], seed: seed + 500)
        let result = gradientCheck(layer, input: LayerFixtures.normal([s.batch, s.features], seed: seed), seed: seed)
        #expect(result.entries.map(\.name) == ["input", "weight", "bias"])
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: seeds)
    func relu(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = LayerFixtures.awayFromZero([s.batch, s.classes], seed: seed)
        let result = gradientCheck(ReLU<Double>(), input: x, seed: seed)
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: seeds)
    func elu(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = LayerFixtures.awayFromZero([s.batch, s.classes], seed: seed) * 2
        let result = gradientCheck(ELU<Double>(alpha: 0.5 + Double(seed) / 4), input: x, seed: seed)
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: seeds)
    func softmax(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = LayerFixtures.normal([s.batch, s.classes], std: 2, seed: seed)
        let result = gradientCheck(Softmax<Double>(), input: x, seed: seed)
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: seeds)
    func crossEntropyOnProbabilities(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let p = LayerFixtures.probabilities(s.batch, s.classes, seed: seed)
        let result = gradientCheck(CrossEntropy<Double>(), input: p,
                                   labels: LayerFixtures.labels(s.batch, classes: s.classes, seed: seed))
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: seeds)
    func softmaxCrossEntropyOnLogits(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = LayerFixtures.normal([s.batch, s.classes], std: 3, seed: seed)
        let result = gradientCheck(SoftmaxCrossEntropy<Double>(), input: x,
                                   labels: LayerFixtures.labels(s.batch, classes: s.classes, seed: seed))
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    /// Softmax then CrossEntropy as two modules must give the same gradient as the fused loss.
    @Test(arguments: seeds)
    func softmaxThenCrossEntropyAsModules(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = LayerFixtures.normal([s.batch, s.classes], seed: seed)
        let labels = LayerFixtures.labels(s.batch, classes: s.classes, seed: seed)
        let result = gradientCheck(Softmax<Double>(), loss: CrossEntropy<Double>(), input: x, labels: labels)
        #expect(result.maxRelativeError <= Self.tolerance, "\(s)\n\(result)")
    }

    @Test(arguments: [0, 1, 3], [Activation.relu, .elu(alpha: 1)])
    func wholeMLP(hiddenLayers: Int, activation: Activation) {
        for seed: UInt64 in 0..<3 {
            let s = LayerFixtures.shape(seed: seed + 10 * UInt64(hiddenLayers))
            var rng = SplitMix64(seed: seed)
            let hidden = (0..<hiddenLayers).map { _ in 2 + rng.nextInt(below: 10) }
            let model = MLP<Double>(inputs: s.features, hidden: hidden, classes: s.classes,
                                    activation: activation, using: &rng)
            // Random biases: with zero biases a hidden unit fed by an all-zero row sits at
            // the ReLU kink.
            for (name, value) in model.namedParameters() where name.hasSuffix("bias") {
                model.setParameter(named: name, to: .randomNormal(value.shape, std: 0.5, using: &rng))
            }
            let x = LayerFixtures.normal([s.batch, s.features], seed: seed)
            let labels = LayerFixtures.labels(s.batch, classes: s.classes, seed: seed)
            let result = gradientCheck(model, loss: SoftmaxCrossEntropy<Double>(), input: x, labels: labels)
            #expect(result.entries.count == 1 + 2 * (hiddenLayers + 1))
            #expect(result.maxRelativeError <= Self.tolerance, "\(s), hidden \(hidden)\n\(result)")
        }
    }

    /// The checker must be able to fail: a backward pass 5% off is caught.
    @Test func detectsAWrongBackwardPass() {
        final class OffByFivePercent: Layer {
            typealias Scalar = Double
            func forward(_ input: NDArray<Double>) -> NDArray<Double> { input * 2 }
            func backward(_ gradOutput: NDArray<Double>) -> NDArray<Double> { gradOutput * 2.1 }
            func clearCache() {}
        }
        let result = gradientCheck(OffByFivePercent(), input: LayerFixtures.normal([4, 3], seed: 1))
        #expect(Swift.abs(result.maxRelativeError - 0.1 / 2.1) < 1e-6, "\(result)")
    }

    /// A wrong parameter gradient is caught too, under the parameter's name.
    @Test func detectsAWrongParameterGradient() {
        let model = MLP<Double>(inputs: 3, hidden: [4], classes: 2, seed: 3)
        final class ScaledLoss: Loss {
            typealias Scalar = Double
            let inner = SoftmaxCrossEntropy<Double>()
            func forward(_ input: NDArray<Double>, labels: [Int]) -> Double { inner.forward(input, labels: labels) }
            // Wrong by a factor: every gradient upstream is off by 10%.
            func backward() -> NDArray<Double> { inner.backward() * 1.1 }
            func clearCache() { inner.clearCache() }
        }
        let result = gradientCheck(model, loss: ScaledLoss(), input: LayerFixtures.normal([5, 3], seed: 2),
                                   labels: [0, 1, 1, 0, 1])
        #expect((result.relativeError(of: "2.weight") ?? 0) > 0.05, "\(result)")
    }
}
