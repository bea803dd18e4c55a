import ArrayAssertions
import Testing
import RealModule
import ArrayKit

/// Forward values against hand-computed ones, the edge cases of softmax and
/// cross-entropy, shape errors, and storage reuse across steps.
@Suite struct LayerNumericsTests {
    @Test func linearComputesXWTransposePlusBiasAndItsGradients() {
        let layer = Linear<Double>(inFeatures: 3, outFeatures: 2, seed: 0)
        layer.weight = NDArray([1, 2, 3, 4, 5, 6], shape: [2, 3])
        layer.bias = NDArray([10, 20])
        let x = NDArray<Double>([1, 0, -1, 2, 1, 0], shape: [2, 3])
        // Row 1: (1−3+10, 4−6+20); row 2: (2+2+10, 8+5+20).
        expectEqual(layer.forward(x), NDArray([8, 18, 14, 33], shape: [2, 2]))
        let dy = NDArray<Double>([1, 0, 0, 1], shape: [2, 2])
        let dx = layer.backward(dy)
        expectEqual(dx, NDArray([1, 2, 3, 4, 5, 6], shape: [2, 3]))                  // dY W
        expectEqual(layer.weightGradient, NDArray([1, 0, -1, 2, 1, 0], shape: [2, 3])) // dYᵀ X
        expectEqual(layer.biasGradient, NDArray([1, 1]))                               // 1ᵀ dY
    }

    @Test func activationsMatchTheirDefinitions() {
        let x = NDArray<Double>([-2, -0.5, 0, 0.5, 3], shape: [1, 5])
        expectEqual(ReLU<Double>().forward(x), NDArray([0, 0, 0, 0.5, 3], shape: [1, 5]))
        let elu = ELU<Double>(alpha: 2).forward(x)
        let expected = [2 * (Double.exp(-2) - 1), 2 * (Double.exp(-0.5) - 1), 0, 0.5, 3]
        for (a, b) in zip(elu.scalars, expected) { #expect(Swift.abs(a - b) < 1e-15) }
    }

    @Test func reluPassesNaNThroughSoADivergedRunIsVisible() {
        let y = ReLU<Float>().forward(NDArray([.nan, -1, 1], shape: [1, 3]))
        #expect(y.scalars[0].isNaN)
    }

    @Test func softmaxMatchesKnownValuesAndRowsSumToOne() {
        let p = Softmax<Double>().forward(NDArray([0, Double.log(2), 5, 5], shape: [2, 2]))
        #expect(Swift.abs(p[0, 0] - 1.0 / 3) < 1e-15)
        #expect(Swift.abs(p[0, 1] - 2.0 / 3) < 1e-15)
        #expect(p[1, 0] == 0.5)
        #expect(p[1, 1] == 0.5)
    }

    @Test func softmaxOfHugeLogitsHasNoNaN() {
        let logits = NDArray<Float>([1e4, -1e4, 0, -1e4, 1e4, 1e4], shape: [2, 3])
        let softmax = Softmax<Float>()
        let p = softmax.forward(logits)
        #expect(p.isFinite)
        expectEqual(p, NDArray([1, 0, 0, 0, 0.5, 0.5], shape: [2, 3]))
        #expect(softmax.backward(.ones([2, 3])).isFinite)

        let fused = SoftmaxCrossEntropy<Float>()
        let loss = fused.forward(logits, labels: [1, 2])
        // Sample 1: log Σ e^(x − 1e4) − (−1e4 − 1e4) = 2e4; sample 2: log 2.
        #expect(Swift.abs(loss - (2e4 + Float.log(2)) / 2) < 1e-2)
        #expect(fused.backward().isFinite)
    }

    @Test func crossEntropyAtProbabilityZeroIsFinite() {
        let ce = CrossEntropy<Float>()
        let loss = ce.forward(NDArray([0, 1, 0.5, 0.5], shape: [2, 2]), labels: [0, 1])
        #expect(loss.isFinite)
        let expected = (-Float.log(.leastNormalMagnitude) + Float.log(2)) / 2
        #expect(Swift.abs(loss - expected) < 1e-4)
        let gradient = ce.backward()
        #expect(gradient.isFinite)
        #expect(gradient[0, 0] < -1e37)     // steep, as it should be, yet finite
        #expect(gradient[1, 1] == -1)       // −1/(S·p) = −1/(2·0.5)
        let ced = CrossEntropy<Double>()
        #expect(ced.forward(.zeros([3, 4]), labels: [0, 1, 3]).isFinite)
        #expect(ced.backward().isFinite)
    }

    @Test func softmaxThenCrossEntropyEqualsTheFusedLoss() {
        var rng = SplitMix64(seed: 4)
        let logits = NDArray<Double>.randomNormal([7, 5], std: 3, using: &rng)
        let labels = [0, 4, 2, 2, 1, 3, 0]
        let softmax = Softmax<Double>(), ce = CrossEntropy<Double>(), fused = SoftmaxCrossEntropy<Double>()
        let twoStep = ce.forward(softmax.forward(logits), labels: labels)
        #expect(Swift.abs(twoStep - fused.forward(logits, labels: labels)) < 1e-12)
        let gradient = softmax.backward(ce.backward())
        #expect(gradient.isClose(to: fused.backward(), rtol: 1e-10, atol: 1e-14))
    }

    @Test func shapeErrorsStopWithAMessage() async {
        await #expect(processExitsWith: .failure) {
            _ = Linear<Float>(inFeatures: 4, outFeatures: 2, seed: 0).forward(.zeros([3, 5]))
        }
        await #expect(processExitsWith: .failure) {
            _ = SoftmaxCrossEntropy<Float>().forward(.zeros([2, 3]), labels: [0, 3])
        }
        await #expect(processExitsWith: .failure) {
            _ = ReLU<Float>().backward(.zeros([2, 3]))   // no forward before
        }
    }

    /// A warm step writes into last step's storage: output, gradient and parameters keep
    /// their addresses once the caller has dropped the previous results and cleared the cache.
    @Test func warmStepsReuseStorage() {
        let model = MLP<Float>(inputs: 6, hidden: [5], classes: 3, seed: 2)
        let loss = SoftmaxCrossEntropy<Float>()
        var rng = SplitMix64(seed: 3)
        let x = NDArray<Float>.randomNormal([4, 6], using: &rng)
        func address(_ a: NDArray<Float>) -> Int { a.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } }
        func step() -> [Int] {
            let logits = model.forward(x)
            _ = loss.forward(logits, labels: [0, 1, 2, 0])
            let dx = model.backward(loss.backward())
            model.sgdStep(learningRate: 0.1)
            model.clearCache()
            loss.clearCache()
            return [address(logits), address(dx)] + model.namedParameters().map { address($0.1) }
                + model.gradients.map { address($0.value) }
        }
        let first = step(), second = step(), third = step()
        #expect(second == first)
        #expect(third == first)
    }
}
