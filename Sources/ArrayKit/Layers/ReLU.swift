/// The rectifier `Y = max(0, X)`, elementwise.
///
/// ```swift
/// let relu = ReLU<Float>()
/// let y = relu.forward(x)
/// let dx = relu.backward(dy)    // dy where x > 0, else 0
/// ```
public final class ReLU<Scalar: NDScalar>: Layer {
    @usableFromInline var input: NDArray<Scalar>?
    @usableFromInline var outputBuffer: NDArray<Scalar>?
    @usableFromInline var inputGradientBuffer: NDArray<Scalar>?

    /// A layer with no batch cached yet.
    @inlinable public init() {}

    @inlinable public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        var output = NDArray.reusing(&outputBuffer, shape: input.shape)
        NDArray.relu(input, into: &output)
        self.input = input
        outputBuffer = output
        return output
    }

    /// Derivations 2.b (ReLU): dX = dY ∘ 1[X > 0]. At exactly 0 the derivative is taken as
    /// 0, as PyTorch does.
    @inlinable public func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        guard let input else { preconditionFailure("ReLU.backward: no cached input — call forward first") }
        precondition(gradOutput.shape == input.shape,
                     "ReLU.backward: gradient \(shapeText(gradOutput.shape)) does not match the input \(shapeText(input.shape))")
        var gradInput = NDArray.reusing(&inputGradientBuffer, shape: input.shape)
        NDArray.reluBackward(input: input, gradient: gradOutput, into: &gradInput)
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() { input = nil }
}
