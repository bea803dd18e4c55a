import ArrayAssertions
import ArrayKit
import Testing
@testable import AutoGrad

/// The fused `batchNorm` op against the same formula composed from primitive ops (mean,
/// centering, variance, division by the root), whose gradient is the engine's chain rule:
/// the same output and gradients up to rounding.
@Suite struct BatchNormOpTests {
    /// Batch norm from primitives; returns the output, mean and biased variance.
    func composed<S: NDScalar>(_ x: Tensor<S>, _ weight: Tensor<S>?, _ bias: Tensor<S>?, epsilon: Double)
        -> (Tensor<S>, NDArray<S>, NDArray<S>) {
        let mean = x.mean(axis: 0, keepDims: true)
        let centered = x - mean
        let variance = (centered * centered).mean(axis: 0, keepDims: true)
        var y = centered / (variance + S(epsilon)).sqrt()
        if let weight, let bias { y = y * weight + bias }
        let features = x.shape[1]
        return (y, mean.data.reshaped([features]), variance.data.reshaped([features]))
    }

    func compare<S: NDScalar>(_: S.Type, batch: Int, features: Int, affine: Bool, tolerance: Tolerance) {
        var rng = SplitMix64(seed: UInt64(batch * 1000 + features))
        // An offset and a spread per column, as a linear layer's outputs have.
        let offsets = NDArray<S>.randomNormal([features], std: 3, using: &rng)
        let data = NDArray<S>.randomNormal([batch, features], std: 2, using: &rng) + offsets
        let upstream = NDArray<S>.randomNormal([batch, features], using: &rng)
        let gamma = NDArray<S>.randomNormal([features], using: &rng), beta = NDArray<S>.randomNormal([features], using: &rng)
        func leaves() -> (Tensor<S>, Tensor<S>?, Tensor<S>?) {
            (Tensor(data, requiresGrad: true),
             affine ? Tensor(gamma, requiresGrad: true) : nil, affine ? Tensor(beta, requiresGrad: true) : nil)
        }
        let (x1, w1, b1) = leaves(), (x2, w2, b2) = leaves()
        let fused = batchNorm(x1, weight: w1, bias: b1, epsilon: 1e-5)
        let (reference, mean, variance) = composed(x2, w2, b2, epsilon: 1e-5)
        #expect(fused.output.node?.name == "batchNorm")
        #expect(fused.output.node?.parents.count == (affine ? 3 : 1))
        fused.output.backward(seed: upstream)
        reference.backward(seed: upstream)
        let label = "\(S.self) (\(batch), \(features))\(affine ? "" : " without affine")"
        expectEqual(fused.output.data, reference.data, tolerance: tolerance, "output, \(label)")
        expectEqual(fused.mean, mean, tolerance: tolerance, "mean, \(label)")
        expectEqual(fused.variance, variance, tolerance: tolerance, "variance, \(label)")
        expectEqual(x1.grad, x2.grad!, tolerance: tolerance, "∂/∂x, \(label)")
        if affine {
            expectEqual(w1!.grad, w2!.grad!, tolerance: tolerance, "∂/∂weight, \(label)")
            expectEqual(b1!.grad, b2!.grad!, tolerance: tolerance, "∂/∂bias, \(label)")
        }
    }

    @Test(arguments: [(2, 3, true), (7, 5, false), (128, 256, true), (128, 256, false)])
    func fusedMatchesTheComposedFormula(batch: Int, features: Int, affine: Bool) {
        compare(Double.self, batch: batch, features: features, affine: affine,
                tolerance: .within(absolute: 1e-12, relative: 1e-10))
        compare(Float.self, batch: batch, features: features, affine: affine,
                tolerance: .within(absolute: 1e-4, relative: 1e-3))
    }

    /// Evaluation mode in one op: the same bits as the four elementwise ops it replaces
    /// (x − mean, · s, · weight, + bias), output and gradients, with and without affine,
    /// for both element types; a recorded backward pass gives the same gradients too.
    @Test(arguments: [(5, 3, true), (5, 3, false), (64, 130, true)])
    func inferenceIsTheComposedFormulaBitForBit(batch: Int, features: Int, affine: Bool) {
        inferenceMatches(Float.self, batch: batch, features: features, affine: affine)
        inferenceMatches(Double.self, batch: batch, features: features, affine: affine)
    }

    func inferenceMatches<S: NDScalar>(_: S.Type, batch: Int, features: Int, affine: Bool) {
        var rng = SplitMix64(seed: UInt64(batch + features))
        let data = NDArray<S>.randomNormal([batch, features], std: 2, using: &rng)
        let mean = NDArray<S>.randomNormal([features], using: &rng)
        let inverseStd = NDArray<S>.randomUniform([features], using: &rng) + 0.5
        let gamma = NDArray<S>.randomNormal([features], using: &rng), beta = NDArray<S>.randomNormal([features], using: &rng)
        let upstream = NDArray<S>.randomNormal([batch, features], using: &rng)
        func leaves() -> (Tensor<S>, Tensor<S>?, Tensor<S>?) {
            (Tensor(data, requiresGrad: true),
             affine ? Tensor(gamma, requiresGrad: true) : nil, affine ? Tensor(beta, requiresGrad: true) : nil)
        }
        let label = "\(S.self) (\(batch), \(features))\(affine ? "" : " without affine")"
        let (x1, w1, b1) = leaves(), (x2, w2, b2) = leaves()
        let fused = batchNormInference(x1, mean: mean, inverseStd: inverseStd, weight: w1, bias: b1)
        var composed = (x2 - Tensor(mean)) * Tensor(inverseStd)
        if let w2, let b2 { composed = composed * w2 + b2 }
        #expect(fused.node?.name == "batchNormInference")
        expectEqual(fused.data, composed.data, "output, \(label)")
        fused.backward(seed: upstream)
        composed.backward(seed: upstream)
        expectEqual(x1.grad, x2.grad!, "∂/∂x, \(label)")
        if affine {
            expectEqual(w1!.grad, w2!.grad!, "∂/∂weight, \(label)")
            expectEqual(b1!.grad, b2!.grad!, "∂/∂bias, \(label)")
        }
        // Recorded: the gradients as tensors, then differentiated once more through Σ ∂/∂x².
        let (x3, w3, b3) = leaves()
        let recorded = batchNormInference(x3, mean: mean, inverseStd: inverseStd, weight: w3, bias: b3)
        let wrt = [x3] + (w3.map { [$0] } ?? [])
        let first = grad(of: (recorded * Tensor(upstream)).sum(), withRespectTo: wrt, createGraph: true)
        expectEqual(first[0].data, x2.grad!, "recorded ∂/∂x, \(label)")
        if affine {
            expectEqual(first[1].data, w2!.grad!, "recorded ∂/∂weight, \(label)")
            // Σ (∂L/∂x)² = Σ (g γ s)²: its gradient with respect to γ is 2 Σ_rows (g s)² γ.
            let second = grad(of: (first[0] * first[0]).sum(), withRespectTo: [w3!])[0]
            let gs: NDArray<S> = upstream * inverseStd
            let expected: NDArray<S> = (gs * gs).sum(axis: 0) * gamma * 2
            expectEqual(second.data, expected, tolerance: .within(absolute: 1e-4, relative: 1e-4), "∂²/∂weight, \(label)")
        }
    }

    /// With no input requiring a gradient (inference under training statistics) the op
    /// records nothing.
    @Test func recordsNothingWithoutGradients() {
        let x = Tensor<Double>([1, 2, 3, 5], shape: [2, 2])
        let result = batchNorm(x, weight: nil, bias: nil, epsilon: 0)
        #expect(result.output.isLeaf)
        expectEqual(result.output.data, [-1, -1, 1, 1], tolerance: .absolute(1e-15))
        expectEqual(result.variance, [1, 2.25])
    }

    /// The running statistics move by momentum toward the batch's mean and its unbiased variance.
    @Test func runningStatisticsFollowPyTorchsRule() {
        var runningMean = NDArray<Double>([0, 1]), runningVariance = NDArray<Double>([1, 2])
        NDArray.batchNormUpdateRunningStatistics(runningMean: &runningMean, runningVariance: &runningVariance,
                                                 mean: NDArray([10, 20]), variance: NDArray([3, 6]),
                                                 batch: 4, momentum: 0.1)
        expectEqual(runningMean, [0 * 0.9 + 10 * 0.1, 1 * 0.9 + 20 * 0.1])
        expectEqual(runningVariance, [1 * 0.9 + 3 * (0.1 * (4.0 / 3)), 2 * 0.9 + 6 * (0.1 * (4.0 / 3))])
    }
}
