import ArrayAssertions
import Testing
import ArrayKit
@testable import AutoGrad

@Suite struct NNTests {
    @Test func linearDrawsKaimingWeightsAsArrayKitDoes() {
        var rng = SplitMix64(seed: 11), reference = SplitMix64(seed: 11)
        let hidden = nn.Linear<Float>(4, 3, using: &rng)
        let input = nn.Linear<Float>(4, 2, isInputLayer: true, using: &rng)
        // Row-major [out, in] draws from the same stream, std √(2/in) then √(1/in).
        let w1 = NDArray<Float>.randomNormal([3, 4], std: Float((2.0 / 4).squareRoot()), using: &reference)
        let w2 = NDArray<Float>.randomNormal([2, 4], std: Float((1.0 / 4).squareRoot()), using: &reference)
        expectEqual(hidden.weight.data, w1)
        expectEqual(input.weight.data, w2)
        expectEqual(hidden.bias?.data, .zeros([3]))
        #expect(hidden.weight.requiresGrad)
        #expect(hidden.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(nn.Linear<Float>(4, 3, bias: false, using: &rng).namedParameters().map(\.name) == ["weight"])
    }

    @Test func kaimingStandardDeviations() {
        var rng = SplitMix64(seed: 5)
        for (isInput, variance) in [(false, 2.0 / 500), (true, 1.0 / 500)] {
            let w = nn.Linear<Double>(500, 200, isInputLayer: isInput, using: &rng).weight.data
            let sampleVariance = (w * w).mean()
            #expect(Swift.abs(sampleVariance / variance - 1) < 0.03, "variance \(sampleVariance), expected \(variance)")
        }
    }

    @Test func linearComputesXWTransposePlusB() {
        let layer = nn.Linear(weight: NDArray<Double>([1, 2, 3, 4, 5, 6], shape: [2, 3]), bias: NDArray([10, 20]))
        let y = layer(Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3]))
        expectEqual(y.data, NDArray([8, 18, 14, 33], shape: [2, 2]))
    }

    @Test func mlpNamesMatchTorchSequential() {
        var rng = SplitMix64(seed: 1)
        let plain = nn.MLP<Float>(inputs: 8, hidden: [6, 5], classes: 3, using: &rng)
        #expect(plain.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        #expect(plain.linearLayers.map(\.weight.shape) == [[6, 8], [5, 6], [3, 5]])
        let normed = nn.MLP<Float>(inputs: 8, hidden: [6], classes: 3, batchNorm: true, activation: .elu(alpha: 1), using: &rng)
        #expect(normed.namedParameters().map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"])
        #expect(normed.namedBuffers().map(\.name) == ["1.running_mean", "1.running_var"])
        #expect(normed.stateDict().map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                   "1.running_var", "3.weight", "3.bias"])
        #expect(normed.layers[2] is nn.ELU<Float>)
        #expect(normed.layers.count == 4)
        let logistic = nn.MLP<Float>(inputs: 8, hidden: [], classes: 3, using: &rng)
        #expect(logistic.namedParameters().map(\.name) == ["0.weight", "0.bias"])
    }

    @Test func mlpDrawsLayersInOrderFromOneGenerator() {
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        let model = nn.MLP<Double>(inputs: 5, hidden: [4], classes: 3, using: &a)
        let first = nn.Linear<Double>(5, 4, isInputLayer: true, using: &b)
        let second = nn.Linear<Double>(4, 3, using: &b)
        expectEqual(model.linearLayers[0].weight.data, first.weight.data)
        expectEqual(model.linearLayers[1].weight.data, second.weight.data)
        #expect(a == b)
    }

    @Test func sequentialBuilderAndModes() {
        var rng = SplitMix64(seed: 2)
        let useNorm = true
        let model = nn.Sequential<Double> {
            nn.Linear(3, 4, using: &rng)
            if useNorm { nn.BatchNorm1d(4) }
            for _ in 0..<2 { nn.ReLU<Double>() }
            nn.Linear(4, 2, using: &rng)
        }
        #expect(model.namedChildren().map(\.name) == ["0", "1", "2", "3", "4"])
        #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"])
        #expect(model(Tensor(sample([5, 3], seed: 1))).shape == [5, 2])
        model.eval()
        #expect(model.layers.allSatisfy { !$0.isTraining })
        #expect(!model.isTraining)
        model.train()
        #expect(model.layers.allSatisfy { $0.isTraining })
    }

    @Test func batchNormTrainingUpdatesRunningStatisticsAsPyTorch() {
        let norm = nn.BatchNorm1d<Double>(2)
        let x = Tensor<Double>([1, 10, 2, 20, 6, 60], shape: [3, 2])
        let y = norm(x)
        // Column 0: mean 3, biased variance 14/3, unbiased 7.
        let column0 = [1.0, 2, 6].map { ($0 - 3) / (14.0 / 3 + 1e-5).squareRoot() }
        #expect(NDArray((0..<3).map { y.data[$0, 0] }).isClose(to: NDArray(column0), rtol: 1e-12))
        #expect(norm.runningMean.data.isClose(to: NDArray([0.3, 3]), rtol: 1e-12))
        #expect(norm.runningVar.data.isClose(to: NDArray([0.9 + 0.1 * 7, 0.9 + 0.1 * 700]), rtol: 1e-12))
        #expect(norm.numBatchesTracked == 1)
        // Each column of the output has mean 0 and (biased) variance ≈ 1.
        let mean = y.data.mean(axis: 0), variance = (y.data * y.data).mean(axis: 0)
        #expect(mean.isClose(to: .zeros([2]), atol: 1e-12))
        #expect(variance.isClose(to: .ones([2]), rtol: 1e-4))

        norm.eval()
        norm.weight!.data = NDArray([2, 3])
        norm.bias!.data = NDArray([1, -1])
        let z = norm(Tensor([4, 5], shape: [1, 2]))
        let rv = norm.runningVar.data.scalars
        let manual = [2 * (4 - 0.3) / (rv[0] + 1e-5).squareRoot() + 1, 3 * (5 - 3) / (rv[1] + 1e-5).squareRoot() - 1]
        #expect(z.data.isClose(to: NDArray(manual, shape: [1, 2]), rtol: 1e-12))
        #expect(norm.numBatchesTracked == 1)
    }

    @Test func batchNormGradientsInTrainingAndEvaluation() {
        let norm = nn.BatchNorm1d<Double>(3)
        norm.weight!.data = sample([3], seed: 21)
        norm.bias!.data = sample([3], seed: 22)
        let x = Tensor(sample([5, 3], seed: 23), requiresGrad: true)
        let leaves = [x, norm.weight!, norm.bias!]
        let trainError = GradientCheck.maxError(of: leaves) { norm(x) }
        #expect(trainError <= 1e-6, "train mode: \(trainError)")
        norm.eval()
        let evalError = GradientCheck.maxError(of: leaves) { norm(x) }
        #expect(evalError <= 1e-6, "eval mode: \(evalError)")
    }

    @Test(arguments: [(false, nn.MLP<Double>.Activation.relu), (true, .elu(alpha: 1)), (false, .elu(alpha: 0.7))])
    func wholeModelGradients(batchNorm: Bool, activation: nn.MLP<Double>.Activation) {
        var rng = SplitMix64(seed: 31)
        let model = nn.MLP<Double>(inputs: 5, hidden: [6, 4], classes: 3, batchNorm: batchNorm,
                                activation: activation, using: &rng)
        for p in model.parameters() where p.shape.count == 1 { p.data = sample(p.shape, seed: 40) * 0.1 }
        let x = Tensor(sample([7, 5], seed: 32), requiresGrad: true)
        let labels = [0, 2, 1, 1, 0, 2, 2]
        let error = GradientCheck.maxError(of: [x] + model.parameters()) {
            crossEntropy(logits: model(x), labels: labels)
        }
        #expect(error <= 1e-6, "max relative error \(error)")
    }

    @Test func dropoutIsSeededScaledAndOffInEvaluation() {
        let x = Tensor(NDArray<Double>.ones([50, 40]), requiresGrad: true)
        let a = nn.Dropout<Double>(p: 0.25, generator: SplitMix64(seed: 8))
        let b = nn.Dropout<Double>(p: 0.25, generator: SplitMix64(seed: 8))
        let y = a(x)
        expectEqual(y.data, b(x).data)
        let zeros = y.data.scalars.filter { $0 == 0 }.count
        #expect(Swift.abs(Double(zeros) / 2000 - 0.25) < 0.04)
        #expect(y.data.scalars.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-12 })
        y.sum().backward()
        expectEqual(x.grad, y.data)        // the gradient passes through the same mask
        a.eval()
        #expect(a(x) === x)
    }

    @Test func lossesMatchTheirDefinitions() {
        let logits = Tensor<Double>([1, 2, 3, 0, 0, 5], shape: [2, 3])
        let loss = nn.CrossEntropyLoss()(logits, labels: [2, 0]).scalar
        let composite = -(logits.logSoftmax(axis: 1).data[0, 2] + logits.logSoftmax(axis: 1).data[1, 0]) / 2
        #expect(Swift.abs(loss - composite) < 1e-14)
        let direct = (-Double.log(Double.exp(3) / (Double.exp(1) + Double.exp(2) + Double.exp(3)))
                      - Double.log(1 / (2 + Double.exp(5)))) / 2
        #expect(Swift.abs(loss - direct) < 1e-12)
        let extreme = Tensor<Float>([1e4, -1e4, 0, -1e4], shape: [2, 2], requiresGrad: true)
        let big = crossEntropy(logits: extreme, labels: [1, 0])
        big.backward()
        #expect(big.scalar.isFinite)
        #expect(extreme.grad?.isFinite == true)
        #expect(Swift.abs(big.scalar - 1e4) < 1)
        let mse = nn.MSELoss()(Tensor<Double>([1, 2], shape: [2]), Tensor([0, 4], shape: [2]))
        #expect(mse.scalar == 2.5)
    }

    @Test func elementwiseForwardValues() {
        let x = Tensor<Double>([-2, 0, 1.5], shape: [3])
        expectEqual(x.relu().data, NDArray([0, 0, 1.5]))
        #expect(x.elu(alpha: 0.5).data.isClose(to: NDArray([0.5 * (Double.exp(-2) - 1), 0, 1.5]), rtol: 1e-15))
        #expect(x.sigmoid().data.isClose(to: x.data.map { 1 / (1 + Double.exp(-$0)) }, rtol: 1e-15))
        #expect(Tensor<Float>([-200, 200], shape: [2]).sigmoid().data.isFinite)
        #expect(x.max().scalar == 1.5)
        #expect(x.sum().scalar == -0.5)
        #expect(x.mean().scalar == -0.5 / 3)
    }

    @Test func aSmallMLPLearns() {
        // Two Gaussian blobs per class, three classes; plain SGD written out here.
        var rng = SplitMix64(seed: 12)
        let centers: [[Float]] = [[2, 0], [-1, 1.7], [-1, -1.7]]
        var points: [Float] = [], labels: [Int] = []
        for i in 0..<150 {
            let c = i % 3
            points += [centers[c][0] + Float(rng.nextNormal()) * 0.5, centers[c][1] + Float(rng.nextNormal()) * 0.5]
            labels.append(c)
        }
        let x = Tensor(points, shape: [150, 2])
        let model = nn.MLP<Float>(inputs: 2, hidden: [16], classes: 3, using: &rng)
        func loss() -> Tensor<Float> { crossEntropy(logits: model(x), labels: labels) }
        let initial = withNoGrad { loss().scalar }
        for _ in 0..<60 {
            model.zeroGrad()
            loss().backward()
            withNoGrad { for p in model.parameters() { p.data -= p.grad! * 0.3 } }
        }
        let final = withNoGrad { loss().scalar }
        let predicted = withNoGrad { model(x).data.argmax(axis: 1) }
        let accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / 150
        #expect(final < initial * 0.5, "loss \(initial) → \(final)")
        #expect(accuracy > 0.9)
    }
}
