import RealModule

// The parameter updates of SGD (plain, with momentum, Nesterov, weight decay) and Adam /
// AdamW, in the parameters' own storage: one implementation for the hand-written layers'
// `sgdStep` and AutoGrad's optimizers (Optim/SGD.swift, Optim/Adam.swift), with PyTorch's
// formulas (`torch.optim.SGD`, `torch.optim.Adam`).
//
// Each update is one pass over its arrays, every element computed from its own inputs
// only, so a tensor cut into ranges on several threads gets the same bits as on one.
// The loops branch only outside the element loop (one loop per case), so they vectorize.
extension NDArray {
    /// Updates of at least twice this many parameters are split across Backprop's threads.
    /// Below that, the cost of starting a `Parallel` loop (and its one small allocation)
    /// outweighs the gain (Docs/Performance.md, "Optimizer updates and batch norm").
    @inlinable public static var updateSplitMinimum: Int { 32_768 }

    /// `w ← w − η (g + λ w)` (plain SGD; λ is an L2 weight decay, 0 for none).
    ///
    /// ```swift
    /// weight.sgdUpdate(gradient: weightGradient, learningRate: 0.1)
    /// ```
    @inlinable
    public mutating func sgdUpdate(gradient: NDArray, learningRate: Scalar, weightDecay: Scalar = 0) {
        precondition(gradient.shape == shape,
                     "sgdUpdate: gradient \(shapeText(gradient.shape)) does not match the parameter \(shapeText(shape))")
        let count = self.count
        guard count > 0 else { return }
        withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                let w = w.baseAddress!, g = g.baseAddress!
                Parallel.forEachRange(count, minimum: NDArray.updateSplitMinimum) { range in
                    // Locals: read through the closure's context, every store could alias
                    // them and the loop would not vectorize.
                    let w = w, g = g, learningRate = learningRate, weightDecay = weightDecay
                    if weightDecay == 0 {
                        for i in range { w[i] -= learningRate * g[i] }
                    } else {
                        for i in range { w[i] -= learningRate * (g[i] + weightDecay * w[i]) }
                    }
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
        let count = self.count
        guard count > 0 else { return }
        let keep = 1 - dampening
        withUnsafeMutableBufferPointer { w in
            gradient.withUnsafeBufferPointer { g in
                buffer.withUnsafeMutableBufferPointer { b in
                    let w = w.baseAddress!, g = g.baseAddress!, b = b.baseAddress!
                    Parallel.forEachRange(count, minimum: NDArray.updateSplitMinimum) { range in
                        let w = w, g = g, b = b, learningRate = learningRate, momentum = momentum
                        let keep = keep, weightDecay = weightDecay
                        // d is computed as g + λ w even for λ = 0: that keeps −0 and
                        // non-finite weights giving the same bits as the formula.
                        switch (isFirstStep, nesterov) {
                        case (true, false):
                            for j in range {
                                let d = g[j] + weightDecay * w[j]
                                b[j] = d
                                w[j] -= learningRate * d
                            }
                        case (true, true):
                            for j in range {
                                let d = g[j] + weightDecay * w[j]
                                b[j] = d
                                w[j] -= learningRate * (d + momentum * d)
                            }
                        case (false, false):
                            for j in range {
                                let d = g[j] + weightDecay * w[j]
                                let bj = momentum * b[j] + keep * d
                                b[j] = bj
                                w[j] -= learningRate * bj
                            }
                        case (false, true):
                            for j in range {
                                let d = g[j] + weightDecay * w[j]
                                let bj = momentum * b[j] + keep * d
                                b[j] = bj
                                w[j] -= learningRate * (d + momentum * bj)
                            }
                        }
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
        let count = self.count
        guard count > 0 else { return }
        let (beta1, beta2) = betas
        let l2 = Scalar(decoupled ? 0 : weightDecay)
        // Adam's weights are multiplied by 1, which leaves every value (NaN payloads
        // included) as it is: one loop for both, with no test per element.
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
                        let w = w.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                        Parallel.forEachRange(count, minimum: NDArray.updateSplitMinimum) { range in
                            let w = w, g = g, m = m, v = v, shrink = shrink, l2 = l2
                            let oneMinusBeta1 = oneMinusBeta1, b2 = b2, oneMinusBeta2 = oneMinusBeta2
                            let stepSize = stepSize, correction2Root = correction2Root, epsilon = epsilon
                            for j in range {
                                let wj = w[j] * shrink
                                let d = g[j] + l2 * wj
                                // PyTorch's lerp for a weight below 0.5: m + weight · (d − m).
                                let mj = m[j] + oneMinusBeta1 * (d - m[j])
                                let vj = b2 * v[j] + oneMinusBeta2 * d * d
                                m[j] = mj
                                v[j] = vj
                                // Two divisions, as the formula: neither has an exactly equal product.
                                let root = Scalar.vectorizableSquareRoot(vj)
                                w[j] = wj - stepSize * mj / (root / correction2Root + epsilon)
                            }
                        }
                    }
                }
            }
        }
    }
}
