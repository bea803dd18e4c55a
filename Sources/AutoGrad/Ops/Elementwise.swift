import ArrayKit
import RealModule

// Elementwise functions and activations. Each pullback is one pass that scales the
// incoming gradient in place by the local derivative, written in terms of whichever of
// input x or output y makes it cheapest (Docs/Derivations.md, 2.b).
extension Tensor {
    /// Elementwise eˣ.
    ///
    /// ```swift
    /// let y = x.exp()
    /// ```
    @inlinable
    public func exp() -> Tensor {
        let y = data.exp()
        return Tensor.result(of: "exp", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "exp backward", *)
            return [g]
        }
    }

    /// Elementwise natural logarithm.
    @inlinable
    public func log() -> Tensor {
        let x = data
        return Tensor.result(of: "log", data: x.log(), inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(x, op: "log backward", /)
            return [g]
        }
    }

    /// Elementwise `self ** exponent`.
    ///
    /// ```swift
    /// let squares = x.pow(2)
    /// ```
    @inlinable
    public func pow(_ exponent: Scalar) -> Tensor {
        let x = data
        return Tensor.result(of: "pow", data: x.pow(exponent), inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(x, op: "pow backward") { g, x in g * exponent * .pow(x, exponent - 1) }
            return [g]
        }
    }

    /// Elementwise square root.
    @inlinable
    public func sqrt() -> Tensor {
        let y = data.sqrt()
        return Tensor.result(of: "sqrt", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "sqrt backward") { g, y in g / (2 * y) }
            return [g]
        }
    }

    /// Elementwise `max(0, x)`; the gradient at 0 is taken as 0, as PyTorch does.
    @inlinable
    public func relu() -> Tensor {
        let y = data.map { $0 > 0 ? $0 : 0 }
        return Tensor.result(of: "relu", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            // Into a new array: in place, the select compiled to a branch per (randomly
            // signed) element around a store of 0, which does not vectorize.
            [g.zipWith(y, op: "relu backward") { g, y in y > 0 ? g : 0 }]
        }
    }

    /// Elementwise ELU: `x` for x > 0, `alpha·(eˣ − 1)` otherwise.
    ///
    /// ```swift
    /// let y = x.elu(alpha: 1)
    /// ```
    @inlinable
    public func elu(alpha: Scalar = 1) -> Tensor {
        let x = data
        let y = x.map { $0 > 0 ? $0 : alpha * Scalar.expMinusOne($0) }
        return Tensor.result(of: "elu", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            // For x ≤ 0, d/dx α(eˣ − 1) = αeˣ = y + α.
            g.withUnsafeMutableBufferPointer { g in
                x.withUnsafeBufferPointer { x in
                    y.withUnsafeBufferPointer { y in
                        for i in 0..<g.count where !(x[i] > 0) { g[i] *= y[i] + alpha }
                    }
                }
            }
            return [g]
        }
    }

    /// Elementwise hyperbolic tangent.
    @inlinable
    public func tanh() -> Tensor {
        let y = data.tanh()
        return Tensor.result(of: "tanh", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "tanh backward") { g, y in g * (1 - y * y) }
            return [g]
        }
    }

    /// Elementwise logistic function `1 / (1 + e⁻ˣ)`, computed without overflow.
    @inlinable
    public func sigmoid() -> Tensor {
        let y = data.map { x in
            x >= 0 ? 1 / (1 + .exp(-x)) : .exp(x) / (1 + .exp(x))
        }
        return Tensor.result(of: "sigmoid", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "sigmoid backward") { g, y in g * y * (1 - y) }
            return [g]
        }
    }
}
