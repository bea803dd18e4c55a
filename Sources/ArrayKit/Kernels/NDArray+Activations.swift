import RealModule

// ReLU and ELU, forward and backward: one implementation for the hand-written layers
// (Layers/ReLU.swift, Layers/ELU.swift) and AutoGrad's ops (Ops/Elementwise.swift).
// Outputs go into an array that is reused when it already has the right shape.
extension NDArray {
    /// `y = max(0, x)`, written `x < 0 ? 0 : x` so that a NaN passes through, as in PyTorch,
    /// and a diverging run shows as a non-finite loss instead of being hidden.
    ///
    /// ```swift
    /// var y = NDArray<Float>.zeros([0])
    /// NDArray.relu(x, into: &y)
    /// ```
    @inlinable
    public static func relu(_ x: NDArray, into y: inout NDArray) {
        if y.shape != x.shape { y = .zeros(x.shape) }
        y.withUnsafeMutableBufferPointer { y in
            x.withUnsafeBufferPointer { x in
                for i in 0..<x.count { y[i] = x[i] < 0 ? 0 : x[i] }
            }
        }
    }

    /// ReLU's backward pass (Derivations 2.b): `dX = dY ∘ 1[X > 0]`; at exactly 0 the
    /// derivative is taken as 0, as PyTorch does.
    @inlinable
    public static func reluBackward(input x: NDArray, gradient dy: NDArray, into dx: inout NDArray) {
        precondition(dy.shape == x.shape,
                     "reluBackward: gradient \(shapeText(dy.shape)) does not match the input \(shapeText(x.shape))")
        if dx.shape != x.shape { dx = .zeros(x.shape) }
        dx.withUnsafeMutableBufferPointer { dx in
            x.withUnsafeBufferPointer { x in
                dy.withUnsafeBufferPointer { dy in
                    // Both loads before the test: a select of two values vectorizes, where
                    // `x > 0 ? dy[i] : 0` branched on every (randomly signed) element.
                    for i in 0..<x.count {
                        let g = dy[i], v = x[i]
                        dx[i] = v > 0 ? g : 0
                    }
                }
            }
        }
    }

    /// ELU: `y = x` for x > 0, `α(eˣ − 1)` otherwise; `expMinusOne` keeps full precision
    /// for x near 0, where eˣ − 1 would cancel.
    @inlinable
    public static func elu(_ x: NDArray, alpha: Scalar, into y: inout NDArray) {
        if y.shape != x.shape { y = .zeros(x.shape) }
        y.withUnsafeMutableBufferPointer { y in
            x.withUnsafeBufferPointer { x in
                for i in 0..<x.count { y[i] = x[i] > 0 ? x[i] : alpha * Scalar.expMinusOne(x[i]) }
            }
        }
    }

    /// ELU's backward pass (Derivations 2.b, generic h): `dX = dY ∘ h′(X)`, with h′(x) = 1
    /// for x > 0 and α eˣ = y + α otherwise, read from the forward output: no second exp.
    @inlinable
    public static func eluBackward(input x: NDArray, output y: NDArray, alpha: Scalar, gradient dy: NDArray,
                                   into dx: inout NDArray) {
        precondition(dy.shape == x.shape && y.shape == x.shape,
                     "eluBackward: gradient \(shapeText(dy.shape)) and output \(shapeText(y.shape)) must match the input \(shapeText(x.shape))")
        if dx.shape != x.shape { dx = .zeros(x.shape) }
        dx.withUnsafeMutableBufferPointer { dx in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    dy.withUnsafeBufferPointer { dy in
                        for i in 0..<x.count {
                            let g = dy[i], v = x[i], slope = y[i] + alpha
                            dx[i] = v > 0 ? g : g * slope
                        }
                    }
                }
            }
        }
    }
}
