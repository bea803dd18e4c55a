import RealModule

/// Softmax over each row: `Y_ij = exp(X_ij) / Σ_k exp(X_ik)`, probabilities over classes.
///
/// The row maximum is subtracted before exponentiating (softmax is unchanged by a shift
/// of its row), so the largest exponent is e⁰ = 1: no overflow for logits of 1e4, and the
/// denominator is at least 1, so no division by zero.
///
/// ```swift
/// let softmax = Softmax<Double>()
/// let p = softmax.forward(NDArray([1e4, -1e4, 0], shape: [1, 3]))   // [[1, 0, 0]]
/// ```
public final class Softmax<Scalar: NDScalar>: Layer {
    @usableFromInline var output: NDArray<Scalar>?
    @usableFromInline var outputBuffer: NDArray<Scalar>?
    @usableFromInline var inputGradientBuffer: NDArray<Scalar>?

    /// A layer with no batch cached yet.
    @inlinable public init() {}

    @inlinable public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        precondition2D(input, "Softmax.forward")
        precondition(input.shape[1] >= 1, "Softmax.forward: needs at least one class, got \(shapeText(input.shape))")
        var result = NDArray.reusing(&outputBuffer, shape: input.shape)
        NDArray.softmaxRows(input, into: &result)
        output = result
        outputBuffer = result
        return result
    }

    /// Derivations 2.c.i: dX = Y ∘ (dY − (dY ∘ Y) 1 1ᵀ), i.e. each row of dY less its
    /// Y-weighted mean, times Y. The Jacobian diag(y) − y yᵀ is never formed.
    @inlinable public func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        guard let output else { preconditionFailure("Softmax.backward: no cached output — call forward first") }
        precondition(gradOutput.shape == output.shape,
                     "Softmax.backward: gradient \(shapeText(gradOutput.shape)) does not match the output \(shapeText(output.shape))")
        var gradInput = NDArray.reusing(&inputGradientBuffer, shape: output.shape)
        NDArray.softmaxRowsBackward(output: output, gradient: gradOutput, into: &gradInput)
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() { output = nil }
}
