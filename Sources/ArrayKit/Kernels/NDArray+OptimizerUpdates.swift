import RealModule

// The parameter updates of SGD (plain, with momentum, Nesterov, weight decay) and Adam /
// AdamW, in the parameters' own storage: one implementation for the hand-written layers'
// `sgdStep` and AutoGrad's optimizers (Optim/SGD.swift, Optim/Adam.swift), with PyTorch's
// formulas (`torch.optim.SGD`, `torch.optim.Adam`).
extension NDArray {
    /// `w ← w − η (g + λ w)` (plain SGD; λ is an L2 weight decay, 0 for none).
    ///
    /// ```swift
    /// weight.sgdUpdate(gradient: weightGradient, learningRate: 0.1)
    /// ```
    @inlinable
    public mutating func sgdUpdate(gradient: NDArray, learningRate: Scalar, weightDecay: Scalar = 0) {
        precondition(gradient.shape == shape,
                     "sgdUpdate: gradient \(shapeText(gradient.shape)) does not match the parameter \(shapeText(shape))")
        withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                if weightDecay == 0 {
                    for i in 0..<w.count { w[i] -= learningRate * g[i] }
                } else {
                    for i in 0..<w.count { w[i] -= learningRate * (g[i] + weightDecay * w[i]) }
                }
            }
        }
    }

    /// SGD with momentum, as `torch.optim.SGD`: with d = g + λ w, the buffer b becomes d on the
    /// first step (`isFirstStep`) and μ b + (1 − dampening) d after; then
    /// `w ← w − η (d + μ b)` with Nesterov momentum, `w ← w − η b` without.
    @inlinable
    public mutating func sgdMomentumUpdate(gradient: NDArray, buffer: inout NDArray, isFirstStep: Bool,
                                           learningRate: Scalar, momentum: Scalar, dampening: Scalar = 0,
                                           nesterov: Bool = false, weightDecay: Scalar = 0) {
        precondition(gradient.shape == shape && buffer.shape == shape,
                     "sgdMomentumUpdate: gradient \(shapeText(gradient.shape)) and buffer \(shapeText(buffer.shape)) must match the parameter \(shapeText(shape))")
        let keep = 1 - dampening
        withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                buffer.withUnsafeMutableBufferPointer { b in
                    for j in 0..<w.count {
                        let d = g[j] + weightDecay * w[j]
                        b[j] = isFirstStep ? d : momentum * b[j] + keep * d
                        w[j] -= learningRate * (nesterov ? d + momentum * b[j] : b[j])
                    }
                }
            }
        }
    }

    /// Step `step` (1, 2, …) of Adam, as `torch.optim.Adam`, or of AdamW with `decoupled`:
    /// AdamW first shrinks the weights, `w ← w (1 − η λ)`, Adam adds λ w to the gradient
    /// instead. With d that gradient, `m ← m + (1 − β₁)(d − m)`, `v ← β₂ v + (1 − β₂) d²`,
    /// `w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)`. The hyperparameters are `Double`s
    /// and the bias corrections are computed in `Double`, as PyTorch computes them from
    /// Python floats.
    ///
    /// ```swift
    /// weight.adamUpdate(gradient: g, mean: &m, meanOfSquares: &v, step: 1, learningRate: 1e-3)
    /// ```
    @inlinable
    public mutating func adamUpdate(gradient: NDArray, mean: inout NDArray, meanOfSquares: inout NDArray, step: Int,
                                    learningRate: Double, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
                                    weightDecay: Double = 0, decoupled: Bool = false) {
        precondition(gradient.shape == shape && mean.shape == shape && meanOfSquares.shape == shape,
                     "adamUpdate: gradient and moments must match the parameter \(shapeText(shape))")
        precondition(step >= 1, "adamUpdate: steps count from 1, got \(step)")
        let (beta1, beta2) = betas
        let l2 = Scalar(decoupled ? 0 : weightDecay)
        let shrink = Scalar(decoupled ? 1 - learningRate * weightDecay : 1)
        let oneMinusBeta1 = Scalar(1 - beta1), b2 = Scalar(beta2), oneMinusBeta2 = Scalar(1 - beta2)
        let epsilon = Scalar(epsilon)
        let t = Double(step)
        let stepSize = Scalar(learningRate / (1 - Double.pow(beta1, t)))
        let correction2Root = Scalar((1 - Double.pow(beta2, t)).squareRoot())
        withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                mean.withUnsafeMutableBufferPointer { m in
                    meanOfSquares.withUnsafeMutableBufferPointer { v in
                        for j in 0..<w.count {
                            if shrink != 1 { w[j] *= shrink }
                            let d = g[j] + l2 * w[j]
                            // PyTorch's lerp for a weight below 0.5: m + weight · (d − m).
                            m[j] += oneMinusBeta1 * (d - m[j])
                            v[j] = b2 * v[j] + oneMinusBeta2 * d * d
                            w[j] -= stepSize * m[j] / (v[j].squareRoot() / correction2Root + epsilon)
                        }
                    }
                }
            }
        }
    }
}
