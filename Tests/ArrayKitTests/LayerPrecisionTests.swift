import Testing
import ArrayKit

/// The same modules in Float agree with Double within 1e-4 (normwise relative) on the
/// same inputs and weights: forward values, input gradients and parameter gradients.
@Suite struct LayerPrecisionTests {
    static let tolerance = 1e-4
    static let seeds: [UInt64] = Array(0..<4)

    /// Runs `makeLayer` in both precisions (Double weights copied from the Float ones) and
    /// compares output, ∂/∂input and every parameter gradient.
    func compare<F: Layer<Float>, D: Layer<Double>>(_ float: F, _ double: D, input: NDArray<Float>,
                                                    context: String) {
        for (name, value) in float.parameters { double.setParameter(named: name, to: NDArray<Double>(value)) }
        let yf = float.forward(input), yd = double.forward(NDArray<Double>(input))
        #expect(LayerFixtures.relativeDifference(yf, yd) <= Self.tolerance, "output, \(context)")
        var rng = SplitMix64(seed: 99)
        let dy = NDArray<Float>.randomNormal(yf.shape, using: &rng)
        let dxf = float.backward(dy), dxd = double.backward(NDArray<Double>(dy))
        #expect(LayerFixtures.relativeDifference(dxf, dxd) <= Self.tolerance, "input gradient, \(context)")
        for (gf, gd) in zip(float.gradients, double.gradients) {
            #expect(LayerFixtures.relativeDifference(gf.value, gd.value) <= Self.tolerance, "\(gf.name), \(context)")
        }
    }

    @Test(arguments: seeds)
    func modulesAgreeAcrossPrecisions(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let x = NDArray<Float>(LayerFixtures.normal([s.batch, s.features], std: 2, seed: seed))
        let logits = NDArray<Float>(LayerFixtures.normal([s.batch, s.classes], std: 2, seed: seed))
        compare(Linear<Float>(inFeatures: s.features, outFeatures: s.classes, seed: seed),
                Linear<Double>(inFeatures: s.features, outFeatures: s.classes, seed: seed + 1),
                input: x, context: "Linear \(s)")
        compare(ReLU<Float>(), ReLU<Double>(), input: logits, context: "ReLU \(s)")
        compare(ELU<Float>(alpha: 1), ELU<Double>(alpha: 1), input: logits, context: "ELU \(s)")
        compare(Softmax<Float>(), Softmax<Double>(), input: logits, context: "Softmax \(s)")
    }

    @Test(arguments: seeds)
    func lossesAgreeAcrossPrecisions(seed: UInt64) {
        let s = LayerFixtures.shape(seed: seed)
        let labels = LayerFixtures.labels(s.batch, classes: s.classes, seed: seed)
        let logits = LayerFixtures.normal([s.batch, s.classes], std: 3, seed: seed)
        let probabilities = LayerFixtures.probabilities(s.batch, s.classes, seed: seed)
        let fused = (SoftmaxCrossEntropy<Float>(), SoftmaxCrossEntropy<Double>())
        let ce = (CrossEntropy<Float>(), CrossEntropy<Double>())
        let lf = fused.0.forward(NDArray<Float>(logits), labels: labels)
        let ld = fused.1.forward(logits, labels: labels)
        #expect(Swift.abs(Double(lf) - ld) <= Self.tolerance * Swift.max(1, Swift.abs(ld)))
        #expect(LayerFixtures.relativeDifference(fused.0.backward(), fused.1.backward()) <= Self.tolerance)
        let cf = ce.0.forward(NDArray<Float>(probabilities), labels: labels)
        let cd = ce.1.forward(probabilities, labels: labels)
        #expect(Swift.abs(Double(cf) - cd) <= Self.tolerance * Swift.max(1, Swift.abs(cd)))
        #expect(LayerFixtures.relativeDifference(ce.0.backward(), ce.1.backward()) <= Self.tolerance)
    }

    @Test(arguments: [0, 1, 3])
    func mlpAgreesAcrossPrecisionsThroughTrainingSteps(hiddenLayers: Int) throws {
        let s = LayerFixtures.shape(seed: UInt64(hiddenLayers))
        let hidden = Array(repeating: 16, count: hiddenLayers)
        let float = MLP<Float>(inputs: s.features, hidden: hidden, classes: s.classes, seed: 5)
        let double = MLP<Double>(inputs: s.features, hidden: hidden, classes: s.classes, seed: 6)
        try double.load(namedParameters: float.namedParameters().map { ($0.0, NDArray<Double>($0.1)) })
        let x = LayerFixtures.normal([s.batch, s.features], seed: 3)
        let labels = LayerFixtures.labels(s.batch, classes: s.classes, seed: 3)
        let lossF = SoftmaxCrossEntropy<Float>(), lossD = SoftmaxCrossEntropy<Double>()
        for step in 0..<3 {
            let logitsF = float.forward(NDArray<Float>(x)), logitsD = double.forward(x)
            #expect(LayerFixtures.relativeDifference(logitsF, logitsD) <= Self.tolerance, "logits, step \(step)")
            let valueF = lossF.forward(logitsF, labels: labels), valueD = lossD.forward(logitsD, labels: labels)
            #expect(Swift.abs(Double(valueF) - valueD) <= Self.tolerance * Swift.max(1, valueD), "loss, step \(step)")
            _ = float.backward(lossF.backward())
            _ = double.backward(lossD.backward())
            for (gf, gd) in zip(float.gradients, double.gradients) {
                #expect(LayerFixtures.relativeDifference(gf.value, gd.value) <= Self.tolerance, "\(gf.name), step \(step)")
            }
            float.sgdStep(learningRate: 0.1)
            double.sgdStep(learningRate: 0.1)
            float.clearCache()
            double.clearCache()
        }
        for (pf, pd) in zip(float.namedParameters(), double.namedParameters()) {
            #expect(LayerFixtures.relativeDifference(pf.1, pd.1) <= Self.tolerance, "\(pf.0) after 3 steps")
        }
    }
}
