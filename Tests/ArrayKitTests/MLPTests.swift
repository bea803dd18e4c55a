import ArrayAssertions
import Testing
import RealModule
import ArrayKit

@Suite struct MLPTests {
    @Test func parametersCarryTheNamesOfTheEquivalentTorchSequential() {
        let model = MLP<Float>(inputs: 4, hidden: [8, 6], classes: 3, seed: 1)
        let named = model.namedParameters()
        #expect(named.map(\.0) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        #expect(named.map(\.1.shape) == [[8, 4], [8], [6, 8], [6], [3, 6], [3]])
        #expect(model.gradients.map(\.name) == named.map(\.0))
        #expect(model.layers.count == 5)

        let logistic = MLP<Float>(inputs: 4, hidden: [], classes: 3, seed: 1)
        #expect(logistic.namedParameters().map(\.0) == ["0.weight", "0.bias"])
        #expect(logistic.layers.count == 1)
        #expect(logistic.forward(.ones([2, 4])).shape == [2, 3])
    }

    @Test func kaimingInitialisation() {
        let model = MLP<Double>(inputs: 400, hidden: [300], classes: 200, seed: 9)
        let p = Dictionary(uniqueKeysWithValues: model.namedParameters())
        func std(_ a: NDArray<Double>) -> Double { (a.squared().mean() - a.mean() * a.mean()).squareRoot() }
        // Input layer √(1/in); a layer behind a ReLU √(2/in).
        #expect(Swift.abs(std(p["0.weight"]!) / (1.0 / 400).squareRoot() - 1) < 0.02)
        #expect(Swift.abs(std(p["2.weight"]!) / (2.0 / 300).squareRoot() - 1) < 0.02)
        #expect(p["0.bias"]!.scalars.allSatisfy { $0 == 0 })
        #expect(p["2.bias"]!.scalars.allSatisfy { $0 == 0 })
        // Same seed, same weights; another seed, other weights.
        let again = MLP<Double>(inputs: 400, hidden: [300], classes: 200, seed: 9)
        let other = MLP<Double>(inputs: 400, hidden: [300], classes: 200, seed: 10)
        expectEqual(again.namedParameters(), model.namedParameters())
        expectNotEqual(other.namedParameters()[0].1, model.namedParameters()[0].1)
    }

    /// The mean square of each ReLU output of a 10-layer width-256 network on
    /// unit-variance input.
    func secondMoments(weightStd: Double?) throws -> [Double] {
        let model = MLP<Float>(inputs: 256, hidden: Array(repeating: 256, count: 10), classes: 10, seed: 11)
        if let weightStd {
            var rng = SplitMix64(seed: 12)
            try model.load(namedParameters: model.namedParameters().map { name, value in
                (name, name.hasSuffix("weight") ? .randomNormal(value.shape, std: Float(weightStd), using: &rng) : value)
            })
        }
        var rng = SplitMix64(seed: 13)
        var x = NDArray<Float>.randomNormal([256, 256], using: &rng)
        var moments: [Double] = []
        for layer in model.layers {
            x = layer.forward(x)
            if layer is ReLU<Float> { moments.append(Double(x.squared().mean())) }
        }
        return moments
    }

    @Test func kaimingKeepsTheSecondMomentThroughTenReLULayers() throws {
        let kaiming = try secondMoments(weightStd: nil)
        #expect(kaiming.count == 10)
        #expect(kaiming.max()! / kaiming.min()! <= 2, "\(kaiming)")
        // Each ReLU output has second moment ≈ Var(pre-activation)/2 = 1/2.
        #expect(kaiming.allSatisfy { $0 > 0.25 && $0 < 1 }, "\(kaiming)")

        // std 1: each layer multiplies the second moment by 256·1/2 = 128.
        let exploding = try secondMoments(weightStd: 1.0)
        #expect(exploding.last! / exploding.first! > 1e6, "\(exploding)")
        // std 0.01: each layer multiplies it by 256·1e-4/2 ≈ 0.013.
        let vanishing = try secondMoments(weightStd: 0.01)
        #expect(vanishing.last! / vanishing.first! < 1e-6, "\(vanishing)")
    }

    @Test func sgdStepMovesEveryParameterAgainstItsGradient() {
        let model = MLP<Double>(inputs: 3, hidden: [4], classes: 2, seed: 5)
        let loss = SoftmaxCrossEntropy<Double>()
        _ = loss.forward(model.forward(LayerFixtures.normal([6, 3], seed: 1)), labels: [0, 1, 1, 0, 1, 0])
        _ = model.backward(loss.backward())
        let before = model.namedParameters(), gradients = model.gradients
        model.sgdStep(learningRate: 0.5)
        for ((name, old), ((_, new), (_, gradient))) in zip(before, zip(model.namedParameters(), gradients)) {
            #expect(new.isClose(to: old - 0.5 * gradient, rtol: 0, atol: 1e-15), "\(name)")
            #expect(gradient.scalars.contains { $0 != 0 }, "\(name) got no gradient")
        }
    }

    /// Docs/ManualBackprop.md's layer-by-layer step, through Linear's public entry points,
    /// gives the MLP's parameters bit for bit.
    @Test func aStepLayerByLayerEqualsTheMLPStep() {
        var data = SplitMix64(seed: 5)
        let x = NDArray<Float>.randomNormal([16, 12], using: &data)
        let labels = (0..<16).map { _ in data.nextInt(below: 4) }
        let model = MLP<Float>(inputs: 12, hidden: [8], classes: 4, seed: 42)
        let loss = SoftmaxCrossEntropy<Float>()
        _ = loss.forward(model.forward(x), labels: labels)
        model.backwardToParameters(loss.backward())
        model.sgdStep(learningRate: 0.1)

        var rng = SplitMix64(seed: 42)
        let fc1 = Linear<Float>(inFeatures: 12, outFeatures: 8, isInputLayer: true, using: &rng)
        let relu = ReLU<Float>()
        let fc2 = Linear<Float>(inFeatures: 8, outFeatures: 4, using: &rng)
        let before = fc1.weight
        _ = loss.forward(fc2.forward(relu.forward(fc1.forward(x))), labels: labels)
        fc1.backwardParameters(relu.backward(fc2.backward(loss.backward())))
        fc1.sgdStep(learningRate: 0.1)
        fc2.sgdStep(learningRate: 0.1)

        expectNotEqual(fc1.weight, before, "the step must move the weights")
        let layered = fc1.parameters + fc2.parameters
        #expect(model.parameters.count == layered.count)
        for (parameter, value) in zip(model.parameters, layered.map(\.value)) { expectEqual(parameter.value, value, "\(parameter.name)") }
    }

    @Test func loadRoundTripsAndRejectsParametersThatDoNotFit() throws {
        let source = MLP<Float>(inputs: 5, hidden: [7], classes: 3, seed: 1)
        let target = MLP<Float>(inputs: 5, hidden: [7], classes: 3, seed: 2)
        let x = NDArray<Float>(LayerFixtures.normal([4, 5], seed: 3))
        expectNotEqual(source.forward(x), target.forward(x))
        try target.load(namedParameters: source.namedParameters())
        expectEqual(source.forward(x), target.forward(x))

        let original = target.namedParameters()
        var parameters = source.namedParameters()
        parameters.removeLast()                                      // 2.bias missing
        parameters.append(("3.weight", .zeros([1])))                 // unexpected
        parameters[0].1 = .zeros([7, 6])                             // wrong shape
        #expect {
            try target.load(namedParameters: parameters)
        } throws: { error in
            let text = "\(error)"
            return text.contains(#"Missing key(s) in state_dict: "2.bias"."#)
                && text.contains(#"Unexpected key(s) in state_dict: "3.weight"."#)
                && text.contains("size mismatch for 0.weight: copying a param with shape (7, 6) from checkpoint, "
                                 + "the shape in current model is (7, 5).")
        }
        expectEqual(target.namedParameters(), original, "a failed load must change nothing")
    }

    /// Three interleaved spiral arms (the classic CS231n toy problem), not linearly
    /// separable: plain SGD on a small MLP must fit them.
    @Test func learnsSpiralsWithSGD() {
        let perClass = 100, classes = 3
        var rng = SplitMix64(seed: 21)
        var points: [Float] = [], labels: [Int] = []
        for c in 0..<classes {
            for i in 0..<perClass {
                let r = Double(i) / Double(perClass - 1)
                let t = Double(c) * 4 + 4 * r + 0.2 * rng.nextNormal()
                points += [Float(r * .sin(t)), Float(r * .cos(t))]
                labels.append(c)
            }
        }
        let x = NDArray<Float>(points, shape: [perClass * classes, 2])
        let model = MLP<Float>(inputs: 2, hidden: [64, 64], classes: classes, using: &rng)
        let loss = SoftmaxCrossEntropy<Float>()
        let batch = 32
        var firstLoss: Float = 0, lastLoss: Float = 0
        for epoch in 0..<300 {
            let order = rng.permutation(x.shape[0])
            var total: Float = 0
            for start in stride(from: 0, to: order.count, by: batch) {
                let indices = Array(order[start..<min(start + batch, order.count)])
                total += loss.forward(model.forward(x.gatherRows(indices)), labels: indices.map { labels[$0] })
                _ = model.backward(loss.backward())
                model.sgdStep(learningRate: 0.2)
                model.clearCache()
            }
            if epoch == 0 { firstLoss = total } else { lastLoss = total }
        }
        let predicted = model.forward(x).argmax(axis: 1)
        let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
        #expect(lastLoss < firstLoss / 5, "loss \(firstLoss) → \(lastLoss)")
        #expect(accuracy >= 0.95, "training accuracy \(accuracy)")
    }
}
