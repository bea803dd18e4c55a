import ArrayKit
import RealModule

// Elementwise functions and activations. Each pullback is one pass that scales the
// incoming gradient in place by the local derivative, written in terms of whichever of
// input x or output y makes it cheapest (Docs/Derivations.md, 2.b). The differentiable
// pullbacks (for gradients of gradients) write the same derivative with Tensor ops of the
// input, recomputing the output where the rule reads it.
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
        } differentiablePullback: { g, inputs in
            [g * inputs[0].exp()]
        }
    }

    /// Elementwise natural logarithm.
    @inlinable
    public func log() -> Tensor {
        let x = data
        return Tensor.result(of: "log", data: x.log(), inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(x, op: "log backward", /)
            return [g]
        } differentiablePullback: { g, inputs in
            [g / inputs[0]]
        }
    }

    /// Elementwise `self ** exponent`, as `torch.pow`: a negative base has a power when the
    /// exponent is a whole number, `x⁰ = 1`, and the gradient of `x⁰` is 0 everywhere
    /// (`NDArray.pow`).
    ///
    /// ```swift
    /// let squares = x.pow(2)
    /// ```
    @inlinable
    public func pow(_ exponent: Scalar) -> Tensor {
        let x = data
        return Tensor.result(of: "pow", data: x.pow(exponent), inputs: [self]) { (g: consuming NDArray<Scalar>) in
            // x⁰ is constant: its derivative is 0 even at x = 0, where 0 · x⁻¹ would be NaN.
            g.formZip(x, op: "pow backward") { g, x in
                exponent == 0 ? g * 0 : g * exponent * NDArray.power(x, exponent - 1)
            }
            return [g]
        } differentiablePullback: { g, inputs in
            [exponent == 0 ? g * 0 : g * (inputs[0].pow(exponent - 1) * exponent)]
        }
    }

    /// Elementwise square root.
    @inlinable
    public func sqrt() -> Tensor {
        let y = data.sqrt()
        return Tensor.result(of: "sqrt", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "sqrt backward") { g, y in g / (2 * y) }
            return [g]
        } differentiablePullback: { g, inputs in
            [g / (inputs[0].sqrt() * 2)]
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
        } differentiablePullback: { g, inputs in
            // g ∘ 1[x > 0]: linear in g, and the mask is constant in x (ReLU″ = 0 off the kink).
            [g.passed(where: inputs[0].data)]
        }
    }

    /// `self` where `input` > 0, 0 elsewhere: ReLU's backward pass as an op of the gradient
    /// (the mask `input` is a constant), whose own pullback is the same mask.
    @inlinable
    func passed(where input: NDArray<Scalar>) -> Tensor {
        var masked = NDArray<Scalar>.zeros([0])
        NDArray.reluBackward(input: input, gradient: data, into: &masked)
        return Tensor.result(of: "reluBackward", data: masked, inputs: [self]) { g in
            var gx = NDArray<Scalar>.zeros([0])
            NDArray.reluBackward(input: input, gradient: g, into: &gx)
            return [gx]
        } differentiablePullback: { g, _ in
            [g.passed(where: input)]
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
        } differentiablePullback: { g, inputs in
            // ELU′(x) = 1 for x > 0, ELU(x) + α = α eˣ otherwise: the slope written with the
            // op itself, so its derivative (0, or α eˣ) follows. The masks are constants.
            let x = inputs[0]
            let positive = x.data.isGreater(than: 0)
            let slope = Tensor(positive) + Tensor(1 - positive) * (x.elu(alpha: alpha) + alpha)
            return [g * slope]
        }
    }

    /// Elementwise hyperbolic tangent.
    @inlinable
    public func tanh() -> Tensor {
        let y = data.tanh()
        return Tensor.result(of: "tanh", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            g.formZip(y, op: "tanh backward") { g, y in g * (1 - y * y) }
            return [g]
        } differentiablePullback: { g, inputs in
            let y = inputs[0].tanh()
            return [g * (1 - y * y)]
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
        } differentiablePullback: { g, inputs in
            let y = inputs[0].sigmoid()
            return [g * (y * (1 - y))]
        }
    }
}
