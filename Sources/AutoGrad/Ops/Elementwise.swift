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

    /// Elementwise `max(0, x)`; the gradient at 0 is taken as 0, as PyTorch does, and a NaN
    /// passes through (ArrayKit's `NDArray.relu`).
    @inlinable
    public func relu() -> Tensor {
        let x = data
        var y = NDArray<Scalar>.zeros([0])
        NDArray.relu(x, into: &y)
        return Tensor.result(of: "relu", data: y, inputs: [self]) { g in
            var gx = NDArray<Scalar>.zeros([0])
            NDArray.reluBackward(input: x, gradient: g, into: &gx)
            return [gx]
        }
    }

    /// Elementwise ELU: `x` for x > 0, `alpha·(eˣ − 1)` otherwise (ArrayKit's `NDArray.elu`).
    ///
    /// ```swift
    /// let y = x.elu(alpha: 1)
    /// ```
    @inlinable
    public func elu(alpha: Scalar = 1) -> Tensor {
        let x = data
        var y = NDArray<Scalar>.zeros([0])
        NDArray.elu(x, alpha: alpha, into: &y)
        return Tensor.result(of: "elu", data: y, inputs: [self]) { [y] g in
            var gx = NDArray<Scalar>.zeros([0])
            NDArray.eluBackward(input: x, output: y, alpha: alpha, gradient: g, into: &gx)
            return [gx]
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
