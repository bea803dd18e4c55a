import RealModule

/// The exponential linear unit (Clevert et al. 2015): `x` for `x > 0`, `α(eˣ − 1)` otherwise.
///
/// ```swift
/// let elu = ELU<Float>(alpha: 1)
/// let y = elu.forward(x)
/// let dx = elu.backward(dy)
/// ```
public final class ELU<Scalar: NDScalar>: Layer {
    /// The value the output approaches for large negative inputs is `−alpha`.
    public let alpha: Scalar

    @usableFromInline var input: NDArray<Scalar>?
    @usableFromInline var output: NDArray<Scalar>?
    @usableFromInline var outputBuffer: NDArray<Scalar>?
    @usableFromInline var inputGradientBuffer: NDArray<Scalar>?

    /// An ELU with the given `alpha`, which must be finite.
    @inlinable public init(alpha: Scalar = 1) {
        precondition(alpha.isFinite, "ELU: alpha must be finite, got \(alpha)")
        self.alpha = alpha
    }

    @inlinable public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        var result = NDArray.reusing(&outputBuffer, shape: input.shape)
        NDArray.elu(input, alpha: alpha, into: &result)
        self.input = input
        output = result
        outputBuffer = result
        return result
    }

    /// Derivations 2.b (generic h): dX = dY ∘ h′(X), with h′(x) = 1 for x > 0 and
    /// α eˣ = y + α otherwise — read from the cached output, so no second exp.
    @inlinable public func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        guard let input, let output else {
            preconditionFailure("ELU.backward: no cached input — call forward first")
        }
        precondition(gradOutput.shape == input.shape,
                     "ELU.backward: gradient \(shapeText(gradOutput.shape)) does not match the input \(shapeText(input.shape))")
        var gradInput = NDArray.reusing(&inputGradientBuffer, shape: input.shape)
        NDArray.eluBackward(input: input, output: output, alpha: alpha, gradient: gradOutput, into: &gradInput)
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() {
        input = nil
        output = nil
    }
}
