/// How far a module's hand-written gradients are from central finite differences.
///
/// Each entry compares one array — `"input"`, then each parameter by name — with the
/// normwise relative error ‖analytic − numerical‖∞ / max(‖analytic‖∞, ‖numerical‖∞).
/// Normwise, not elementwise: an entry whose true gradient is 0 (a dead ReLU) has a
/// numerical estimate of pure rounding noise, which would make any elementwise ratio
/// meaningless. Two all-zero arrays agree exactly (error 0).
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The comparison of one array's analytic gradient with its numerical estimate.
    public struct Entry: Sendable {
        /// The array: `"input"`, a parameter's name such as `"weight"` or `"0.bias"`.
        public let name: String
        /// `max|analytic − numerical|` over the largest magnitude in either array (0 when both are
        /// all zero, NaN when any value is NaN).
        public let relativeError: Double
        /// `max|analytic − numerical|`.
        public let maxAbsoluteError: Double
    }

    /// One entry per checked array, input first.
    public let entries: [Entry]

    /// The worst relative error over all entries.
    public var maxRelativeError: Double { entries.map(\.relativeError).max() ?? 0 }

    /// The relative error of the array called `name` (`"input"`, `"weight"`, `"0.bias"`, …).
    public func relativeError(of name: String) -> Double? {
        entries.first { $0.name == name }?.relativeError
    }

    public var description: String {
        entries.map { "\($0.name): relative \($0.relativeError), absolute \($0.maxAbsoluteError)" }
            .joined(separator: "\n")
    }
}

/// Checks `layer`'s `backward` against central differences of the scalar
/// `Σ forward(input) ∘ R`, for a fixed random `R` drawn from `seed`: ∂/∂input and
/// ∂/∂each parameter. Runs `2·(input.count + parameter count)` forwards, so keep the
/// shapes small. Inputs within `step` of a kink (ReLU at 0) give meaningless differences.
///
/// ```swift
/// let result = gradientCheck(Linear<Double>(inFeatures: 5, outFeatures: 3, seed: 1),
///                            input: .randomNormal([8, 5], using: &rng))
/// assert(result.maxRelativeError < 1e-6, "\(result)")
/// ```
public func gradientCheck(_ layer: some Layer<Double>, input: NDArray<Double>,
                          step: Double = 1e-6, seed: UInt64 = 0) -> GradientCheckResult {
    var generator = SplitMix64(seed: seed)
    let projection = NDArray<Double>.randomNormal(layer.forward(input).shape, using: &generator)
    layer.clearCache()
    return finiteDifferenceCheck(
        layer: layer, input: input, step: step,
        objective: { x in dot(layer.forward(x), projection) },
        analyticInputGradient: { x in
            _ = layer.forward(x)
            return layer.backward(projection)
        })
}

/// Checks `layer` followed by `loss` (e.g. an ``MLP`` and ``SoftmaxCrossEntropy``):
/// ∂L/∂input and ∂L/∂each parameter against central differences of the loss.
///
/// ```swift
/// let model = MLP<Double>(inputs: 4, hidden: [8], classes: 3, seed: 7)
/// let result = gradientCheck(model, loss: SoftmaxCrossEntropy(), input: x, labels: y)
/// ```
public func gradientCheck(_ layer: some Layer<Double>, loss: some Loss<Double>,
                          input: NDArray<Double>, labels: [Int],
                          step: Double = 1e-6) -> GradientCheckResult {
    finiteDifferenceCheck(
        layer: layer, input: input, step: step,
        objective: { x in loss.forward(layer.forward(x), labels: labels) },
        analyticInputGradient: { x in
            _ = loss.forward(layer.forward(x), labels: labels)
            return layer.backward(loss.backward())
        })
}

/// Checks a loss's `backward` (∂L/∂input) against central differences of its `forward`.
///
/// ```swift
/// let result = gradientCheck(CrossEntropy<Double>(), input: probabilities, labels: [0, 2])
/// ```
public func gradientCheck(_ loss: some Loss<Double>, input: NDArray<Double>, labels: [Int],
                          step: Double = 1e-6) -> GradientCheckResult {
    finiteDifferenceCheck(
        layer: nil as (any Layer<Double>)?, input: input, step: step,
        objective: { x in loss.forward(x, labels: labels) },
        analyticInputGradient: { x in
            _ = loss.forward(x, labels: labels)
            return loss.backward()
        })
}

private func dot(_ a: NDArray<Double>, _ b: NDArray<Double>) -> Double {
    a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var total = 0.0
            for i in 0..<x.count { total += x[i] * y[i] }
            return total
        }
    }
}

private func finiteDifferenceCheck(
    layer: (any Layer<Double>)?, input: NDArray<Double>, step: Double,
    objective: (NDArray<Double>) -> Double,
    analyticInputGradient: (NDArray<Double>) -> NDArray<Double>
) -> GradientCheckResult {
    precondition(step > 0 && step.isFinite, "gradientCheck: step must be positive and finite, got \(step)")
    let analyticInput = analyticInputGradient(input)
    let analyticParameters = layer?.gradients ?? []
    var entries = [compare("input", analyticInput, numericalGradient(at: input, step: step, of: objective))]
    if let layer {
        for ((name, value), (_, gradient)) in zip(layer.parameters, analyticParameters) {
            let numerical = numericalGradient(at: value, step: step) { perturbed in
                layer.setParameter(named: name, to: perturbed)
                return objective(input)
            }
            layer.setParameter(named: name, to: value)
            entries.append(compare(name, gradient, numerical))
        }
        layer.clearCache()
    }
    return GradientCheckResult(entries: entries)
}

/// The gradient of the scalar function `f` at `x` by central differences,
/// (f(x + h eᵢ) − f(x − h eᵢ)) / 2h for every element i, in `x`'s shape: error O(h²)
/// against O(h) for a one-sided difference. The reference every gradient check uses.
///
/// ```swift
/// let g = numericalGradient(at: w) { $0.squared().sum() }   // ≈ 2w
/// ```
public func numericalGradient(at x: NDArray<Double>, step h: Double = 1e-6,
                              of f: (NDArray<Double>) -> Double) -> NDArray<Double> {
    var probe = x
    var gradient = NDArray<Double>.zeros(x.shape)
    let original = x.scalars
    for i in 0..<x.count {
        probe.withUnsafeMutableBufferPointer { $0[i] = original[i] + h }
        let above = f(probe)
        probe.withUnsafeMutableBufferPointer { $0[i] = original[i] - h }
        let below = f(probe)
        probe.withUnsafeMutableBufferPointer { $0[i] = original[i] }
        gradient.withUnsafeMutableBufferPointer { $0[i] = (above - below) / (2 * h) }
    }
    return gradient
}

private func compare(_ name: String, _ analytic: NDArray<Double>, _ numerical: NDArray<Double>) -> GradientCheckResult.Entry {
    precondition(analytic.shape == numerical.shape,
                 "gradientCheck: the gradient of \(name) has shape \(shapeText(analytic.shape)), expected \(shapeText(numerical.shape))")
    var difference = 0.0, scale = 0.0
    for (a, n) in zip(analytic.scalars, numerical.scalars) {
        difference = Swift.max(difference, Swift.abs(a - n))
        scale = Swift.max(scale, Swift.abs(a), Swift.abs(n))
    }
    // NaN anywhere must fail the check, never compare as small.
    if difference.isNaN || scale.isNaN { return .init(name: name, relativeError: .nan, maxAbsoluteError: .nan) }
    return .init(name: name, relativeError: scale == 0 ? 0 : difference / scale, maxAbsoluteError: difference)
}
