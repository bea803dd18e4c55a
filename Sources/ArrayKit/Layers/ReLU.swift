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

    @inlinable public init() {}

    @inlinable public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        var output = NDArray.reusing(&outputBuffer, shape: input.shape)
        output.withUnsafeMutableBufferPointer { y in
            input.withUnsafeBufferPointer { x in
                // `x < 0 ? 0 : x` rather than `x > 0 ? x : 0` so a NaN passes through, as in PyTorch,
                // and a diverging run shows as a non-finite loss instead of being hidden.
                for i in 0..<x.count { y[i] = x[i] < 0 ? 0 : x[i] }
            }
        }
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
        gradInput.withUnsafeMutableBufferPointer { dx in
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { dy in
                    // Both loads before the test: a select of two values vectorizes, where
                    // `x > 0 ? dy[i] : 0` branched on every (randomly signed) element.
                    for i in 0..<x.count {
                        let g = dy[i], v = x[i]
                        dx[i] = v > 0 ? g : 0
                    }
                }
            }
        }
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() { input = nil }
}
