import ArrayKit

// Elementwise arithmetic with NumPy broadcasting: tensor∘tensor, tensor∘scalar and
// scalar∘tensor. A pullback returns gradients of the broadcast shape; the engine sums
// them back to each input's shape (Docs/Derivations.md, broadcasting). Each op's
// differentiable pullback (after `differentiablePullback:`) is the same rule in Tensor ops,
// for gradients of gradients (HigherOrder.swift).
extension Tensor {
    /// Elementwise sum, broadcasting.
    ///
    /// ```swift
    /// let y = x + bias        // (S, n) + (n,)
    /// ```
    @inlinable
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        result(of: "add", data: a.data + b.data, inputs: [a, b]) { g in
            [g, g]
        } differentiablePullback: { g, _ in
            [g, g]
        }
    }

    /// Elementwise difference, broadcasting.
    @inlinable
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let needB = b.requiresGrad
        return result(of: "sub", data: a.data - b.data, inputs: [a, b]) { g in
            [g, needB ? -g : nil]
        } differentiablePullback: { g, inputs in
            [g, inputs[1].requiresGrad ? -g : nil]
        }
    }

    /// Elementwise product, broadcasting.
    @inlinable
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let x = a.data, y = b.data
        let needA = a.requiresGrad, needB = b.requiresGrad
        return result(of: "mul", data: x * y, inputs: [a, b]) { (g: consuming NDArray<Scalar>) in
            let gb = needB ? g * x : nil
            if needA { g.formZip(y, op: "mul backward", *) }   // in place when g has the output's shape
            return [needA ? g : nil, gb]
        } differentiablePullback: { g, inputs in
            [inputs[0].requiresGrad ? g * inputs[1] : nil, inputs[1].requiresGrad ? g * inputs[0] : nil]
        }
    }

    /// Elementwise quotient, broadcasting.
    @inlinable
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let x = a.data, y = b.data
        let quotient = x / y
        let needA = a.requiresGrad, needB = b.requiresGrad
        return result(of: "div", data: quotient, inputs: [a, b]) { g in
            // ∂(x/y)/∂y = −(x/y)/y
            let gb = needB ? g.zipWith(quotient) { g, q in -g * q } / y : nil
            return [needA ? g / y : nil, gb]
        } differentiablePullback: { g, inputs in
            let (a, b) = (inputs[0], inputs[1])
            let gOverB = g / b
            return [a.requiresGrad ? gOverB : nil, b.requiresGrad ? -(gOverB * (a / b)) : nil]
        }
    }

    /// Elementwise negation.
    @inlinable
    public static prefix func - (a: Tensor) -> Tensor {
        result(of: "neg", data: -a.data, inputs: [a]) { (g: consuming NDArray<Scalar>) in
            g.formMap { -$0 }
            return [g]
        } differentiablePullback: { g, _ in
            [-g]
        }
    }

    /// `b` added to every element.
    @inlinable
    public static func + (a: Tensor, b: Scalar) -> Tensor {
        result(of: "add", data: a.data + b, inputs: [a]) { g in
            [g]
        } differentiablePullback: { g, _ in
            [g]
        }
    }

    /// `a` added to every element.
    @inlinable
    public static func + (a: Scalar, b: Tensor) -> Tensor { b + a }

    /// `b` subtracted from every element.
    @inlinable
    public static func - (a: Tensor, b: Scalar) -> Tensor {
        result(of: "sub", data: a.data - b, inputs: [a]) { g in
            [g]
        } differentiablePullback: { g, _ in
            [g]
        }
    }

    /// `a` minus each element.
    @inlinable
    public static func - (a: Scalar, b: Tensor) -> Tensor {
        result(of: "sub", data: a - b.data, inputs: [b]) { (g: consuming NDArray<Scalar>) in
            g.formMap { -$0 }
            return [g]
        } differentiablePullback: { g, _ in
            [-g]
        }
    }

    /// Every element times `b`.
    @inlinable
    public static func * (a: Tensor, b: Scalar) -> Tensor {
        result(of: "mul", data: a.data * b, inputs: [a]) { (g: consuming NDArray<Scalar>) in
            g *= b
            return [g]
        } differentiablePullback: { g, _ in
            [g * b]
        }
    }

    /// `a` times every element.
    @inlinable
    public static func * (a: Scalar, b: Tensor) -> Tensor { b * a }

    /// Every element divided by `b`.
    @inlinable
    public static func / (a: Tensor, b: Scalar) -> Tensor {
        let inverse = 1 / b
        return result(of: "div", data: a.data / b, inputs: [a]) { (g: consuming NDArray<Scalar>) in
            g *= inverse
            return [g]
        } differentiablePullback: { g, _ in
            [g * inverse]
        }
    }

    /// `a` divided by each element.
    @inlinable
    public static func / (a: Scalar, b: Tensor) -> Tensor {
        let x = b.data
        let quotient = a / x
        return result(of: "div", data: quotient, inputs: [b]) { (g: consuming NDArray<Scalar>) in
            // ∂(a/x)/∂x = −(a/x)/x
            g.formZip(quotient, op: "div backward", *)
            g.formZip(x, op: "div backward") { g, x in -g / x }
            return [g]
        } differentiablePullback: { g, inputs in
            let x = inputs[0]
            return [-(g * (a / x) / x)]
        }
    }
}
