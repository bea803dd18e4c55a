import Testing
import ArrayKit
@testable import AutoGrad

/// Central differences, the reference for every backward rule.
enum GradientCheck {
    static let step = 1e-6
    /// Below this size a gradient is compared absolutely: central differences carry
    /// rounding noise of up to ε·|objective|/h ≈ 1e-10…1e-9, which would swamp the relative
    /// error of a gradient that is itself near zero.
    static let floor = 1e-3

    /// The largest relative error between autograd's gradient and central differences,
    /// for every element of every tensor in `leaves`, of the objective Σ f() ∘ R with a
    /// fixed random R (so that every output element matters with its own weight).
    static func maxError(of leaves: [Tensor<Double>], seed: UInt64 = 99,
                         _ f: () -> Tensor<Double>) -> Double {
        for leaf in leaves { leaf.zeroGrad() }
        let output = f()
        var rng = SplitMix64(seed: seed)
        let weights = NDArray<Double>.randomNormal(output.shape, using: &rng)
        output.backward(seed: weights)
        func objective() -> Double { withNoGrad { (f().data * weights).sum() } }

        var worst = 0.0
        for leaf in leaves {
            let analytic = leaf.grad ?? .zeros(leaf.shape)
            #expect(analytic.shape == leaf.shape, "gradient shape \(analytic.shape) for a leaf of shape \(leaf.shape)")
            let original = leaf.data
            let numerical = numericalGradient(at: original, step: step) { probe in
                leaf.data = probe
                return objective()
            }
            leaf.data = original
            for (a, numeric) in zip(analytic.scalars, numerical.scalars) {
                worst = Swift.max(worst, Swift.abs(a - numeric) / Swift.max(Swift.abs(a), Swift.abs(numeric), floor))
            }
        }
        return worst
    }

    /// Leaves holding `arrays`, requiring gradients.
    static func leaves(_ arrays: [NDArray<Double>]) -> [Tensor<Double>] {
        arrays.map { Tensor($0, requiresGrad: true) }
    }
}

/// Normal draws pushed at least `margin` away from zero, so kinks (ReLU at 0) and poles
/// (1/x, log x) stay further away than the finite-difference step.
func sample(_ shape: [Int], seed: UInt64, margin: Double = 0.05, positive: Bool = false) -> NDArray<Double> {
    var rng = SplitMix64(seed: seed)
    return NDArray<Double>.randomNormal(shape, using: &rng).map { x in
        let v = (x < 0 ? -margin : margin) + x
        return positive ? Swift.abs(v) + 0.2 : v
    }
}
