import ArrayKit

// The numerical reference every closed form in Docs/Derivations.md is checked against.
// Everything is Double: with h = 1e-6 the central difference has a truncation error of
// order h² ≈ 1e-12 and a rounding error of order ε·|f|/h ≈ 1e-10·|f|, both far below the
// 1e-6 tolerance the tests use.

// `numericalGradient(at:step:of:)`, the central difference itself, is ArrayKit's own (the
// one its public `gradientCheck` uses).

/// `‖a − b‖ / max(‖a‖, ‖b‖)` in the Frobenius norm: the relative error of two gradients
/// of the same shape, insensitive to single near-zero entries. Infinite on a shape mismatch
/// so that a wrongly shaped closed form fails the tolerance instead of trapping.
func relativeError(_ a: NDArray<Double>, _ b: NDArray<Double>) -> Double {
    guard a.shape == b.shape else { return .infinity }
    let difference = (a - b).squared().sum().squareRoot()
    let scale = Swift.max(a.squared().sum().squareRoot(), b.squared().sum().squareRoot())
    return scale == 0 ? difference : difference / scale
}

/// The tolerance of every finite-difference check (the design's rtol for Double).
let gradientTolerance = 1e-6

/// Normal draws kept at least `margin` away from 0, for functions with a kink there
/// (ReLU, ELU with α ≠ 1): a finite difference straddling the kink measures neither side.
func randomAwayFromZero(_ shape: [Int], margin: Double = 1e-2,
                        using rng: inout SplitMix64) -> NDArray<Double> {
    NDArray<Double>.randomNormal(shape, using: &rng).map { value in
        Swift.abs(value) < margin ? (value < 0 ? -margin : margin) : value
    }
}

/// Row-wise softmax, straight from the assignment's definition
/// `Y_ij = exp(X_ij) / Σ_k exp(X_ik)`; the row maximum is subtracted first, which
/// changes nothing mathematically and keeps `exp` finite.
func softmax(_ x: NDArray<Double>) -> NDArray<Double> {
    let e = (x - x.max(axis: 1, keepDims: true)).exp()
    return e / e.sum(axis: 1, keepDims: true)
}

/// `L = −(1/S) Σ_ik T_ik log X_ik`, the assignment's categorical cross-entropy.
func crossEntropy(_ x: NDArray<Double>, targets t: NDArray<Double>) -> Double {
    -(t * x.log()).sum() / Double(x.shape[0])
}

/// Targets whose rows sum to 1: one-hot rows, or soft rows (a softmax of noise).
func randomTargets(rows: Int, classes: Int, oneHot: Bool, using rng: inout SplitMix64) -> NDArray<Double> {
    if !oneHot { return softmax(NDArray<Double>.randomNormal([rows, classes], using: &rng)) }
    var t = NDArray<Double>.zeros([rows, classes])
    for i in 0..<rows { t[i, rng.nextInt(below: classes)] = 1 }
    return t
}
