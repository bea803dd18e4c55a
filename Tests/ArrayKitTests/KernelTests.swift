import Testing
@testable import ArrayKit

/// The kernels both backends call (Sources/ArrayKit/Kernels), each against its definition
/// on small inputs worked by hand.
@Suite struct KernelTests {
    @Test func affineIsTheProductPlusTheBroadcastBias() {
        let x = NDArray<Double>([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let w = NDArray<Double>([1, 0, -1, 2, 1, 0], shape: [2, 3])
        var y = NDArray<Double>.zeros([0])
        NDArray.affine(x, weight: w, bias: NDArray([10, 20]), into: &y)
        #expect(y.shape == [2, 2])
        #expect(y.scalars == [8, 24, 8, 33])
        NDArray.affine(x, weight: w, bias: nil, into: &y)
        #expect(y.scalars == [-2, 4, -2, 13])
        var sums = NDArray<Double>.zeros([0])
        NDArray.columnSums(of: x, into: &sums)
        #expect(sums.shape == [3])
        #expect(sums.scalars == [5, 7, 9])
    }

    /// Finite for logits of ±1e4, equal to log Σ exp − x_label, and its gradient is
    /// (softmax − onehot) · scale.
    @Test func softmaxCrossEntropyIsStableAndItsGradientIsSoftmaxMinusOneHot() {
        let logits = NDArray<Double>([1e4, -1e4, 0, 1, 2, 3], shape: [2, 3])
        var p = NDArray<Double>.zeros([0])
        let loss = NDArray.softmaxCrossEntropy(logits: logits, labels: [1, 2], probabilities: &p)
        let second = Double.log(Double.exp(1) + Double.exp(2) + Double.exp(3)) - 3
        #expect(Swift.abs(loss - (2e4 + second) / 2) < 1e-9)
        #expect(p.scalars[0] == 1)
        #expect(p.scalars[1] == 0)
        var dx = NDArray<Double>.zeros([0])
        NDArray.softmaxCrossEntropyGradient(probabilities: p, labels: [1, 2], scale: 0.5, into: &dx)
        let expected = [0.5, -0.5, 0] + (3..<6).map { 0.5 * (p.scalars[$0] - ($0 == 5 ? 1 : 0)) }
        #expect(dx.scalars == expected)
        var probabilities = NDArray<Double>.zeros([0])
        NDArray.softmaxRows(logits, into: &probabilities)
        #expect(probabilities.scalars == p.scalars)
        let logSoftmax = logits.logSoftmax(axis: 1)
        #expect(Swift.abs(logSoftmax.scalars[5] - (3 - Double.log(Double.exp(1) + Double.exp(2) + Double.exp(3)))) < 1e-12)
    }

    @Test func reluLetsNaNThroughAndEluUsesItsOutputForTheSlope() {
        var y = NDArray<Double>.zeros([0]), dx = NDArray<Double>.zeros([0])
        let x = NDArray<Double>([-1, 0, 2, .nan])
        NDArray.relu(x, into: &y)
        #expect(Array(y.scalars.prefix(3)) == [0, 0, 2])
        #expect(y.scalars[3].isNaN)
        NDArray.reluBackward(input: x, gradient: NDArray([1, 1, 1, 1]), into: &dx)
        #expect(dx.scalars == [0, 0, 1, 0])
        NDArray.elu(x, alpha: 2, into: &y)
        #expect(y.scalars[0] == 2 * Double.expMinusOne(-1))
        #expect(y.scalars[2] == 2)
        NDArray.eluBackward(input: x, output: y, alpha: 2, gradient: NDArray([3, 3, 3, 3]), into: &dx)
        #expect(dx.scalars[0] == 3 * (y.scalars[0] + 2))
        #expect(dx.scalars[2] == 3)
    }

    /// PyTorch's update rules, one step each, worked by hand.
    @Test func optimizerUpdatesFollowPyTorch() {
        var w = NDArray<Double>([1, -2])
        w.sgdUpdate(gradient: NDArray([0.5, 1]), learningRate: 0.1, weightDecay: 0.2)
        #expect(w.scalars == [1 - 0.1 * (0.5 + 0.2 * 1), -2 - 0.1 * (1 + 0.2 * -2)])
        var v = NDArray<Double>([1, -2]), buffer = NDArray<Double>.zeros([2])
        v.sgdMomentumUpdate(gradient: NDArray([0.5, 1]), buffer: &buffer, isFirstStep: true,
                            learningRate: 0.1, momentum: 0.9, nesterov: true)
        #expect(buffer.scalars == [0.5, 1])
        #expect(v.scalars == [1 - 0.1 * (0.5 + 0.9 * 0.5), -2 - 0.1 * (1 + 0.9 * 1)])
        // Adam's first step moves each weight by about the learning rate against its gradient's sign.
        var a = NDArray<Double>([1, -2]), m = NDArray<Double>.zeros([2]), s = NDArray<Double>.zeros([2])
        a.adamUpdate(gradient: NDArray([0.5, -3]), mean: &m, meanOfSquares: &s, step: 1, learningRate: 0.01)
        #expect(Swift.abs(a.scalars[0] - 0.99) < 1e-9)
        #expect(Swift.abs(a.scalars[1] - -1.99) < 1e-9)
        #expect(Swift.abs(m.scalars[1] - -0.3) < 1e-12)
        #expect(Swift.abs(s.scalars[1] - 0.009) < 1e-12)
    }

    @Test func scatterAndPlaceInvertGatherAndArgmax() {
        let g = NDArray<Double>([1, 2, 3, 4, 5, 6], shape: [3, 2])
        let rows = g.scatterAddingRows(at: [2, 0, 2], rowCount: 4)
        #expect(rows.shape == [4, 2])
        #expect(rows.scalars == [3, 4, 0, 0, 6, 8, 0, 0])
        let x = NDArray<Double>([1, 5, 2, 7, 0, 3], shape: [2, 3])
        let placed = NDArray<Double>([10, 20]).placed(at: x.argmax(axis: 1), along: 1, in: x.shape)
        #expect(placed.scalars == [0, 10, 0, 20, 0, 0])
        // picked is placed's inverse (and adjoint): x.max(axis: 1) picked at the argmax.
        #expect(placed.picked(at: x.argmax(axis: 1), along: 1).scalars == [10, 20])
        #expect(x.picked(at: x.argmax(axis: 1), along: 1) == x.max(axis: 1))
        let cube = NDArray<Double>(shape: [2, 3, 2]) { Double($0) }
        #expect(cube.picked(at: [2, 0, 1, 1], along: 1) == NDArray([4, 1, 8, 9], shape: [2, 2]))
        var rng = SplitMix64(seed: 1)
        let mask = NDArray<Float>.dropoutMask([1000], p: 0.25, using: &rng)
        let kept = mask.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == Float(1 / 0.75) })
        #expect((700...800).contains(kept.count))
    }
}
