// Batch normalization over the rows of a (batch, features) matrix in training mode, as
// PyTorch's native batch norm: a forward pass that also returns the statistics the
// backward pass and the running statistics need, the running-statistics update, and a
// two-pass backward for dX, dγ and dβ (Docs/Derivations.md, "Batch normalization").
// Every reduction runs over the rows in order on one thread, so the results depend on the
// data and the shapes alone.
extension NDArray {
    /// Normalizes each column of `x` (batch, features) with the batch's mean μ and biased
    /// variance σ²: `x̂ = (x − μ) · s` with `s = 1/√(σ² + ε)`, then `y = γ x̂ + β` when
    /// `weight` γ and `bias` β are given (both or neither). Returns y, μ, σ² and s (the
    /// last three of shape `(features,)`); ``batchNormBackward(gradient:input:mean:inverseStd:weight:)``
    /// takes μ and s, ``batchNormUpdateRunningStatistics(runningMean:runningVariance:mean:variance:batch:momentum:)`` μ and σ².
    ///
    /// ```swift
    /// let (y, mean, variance, inverseStd) = NDArray.batchNormForward(x, weight: gamma, bias: beta, epsilon: 1e-5)
    /// ```
    @inlinable
    public static func batchNormForward(_ x: NDArray, weight: NDArray?, bias: NDArray?, epsilon: Scalar)
        -> (output: NDArray, mean: NDArray, variance: NDArray, inverseStd: NDArray) {
        precondition(x.rank == 2 && x.shape[0] > 1 && x.shape[1] > 0,
                     "batchNormForward: needs (batch, features) with batch > 1 and features > 0, got \(shapeText(x.shape))")
        let (rows, width) = (x.shape[0], x.shape[1])
        precondition((weight == nil) == (bias == nil), "batchNormForward: weight and bias go together (affine) or not at all")
        if let weight, let bias {
            precondition(weight.shape == [width] && bias.shape == [width],
                         "batchNormForward: weight \(shapeText(weight.shape)) and bias \(shapeText(bias.shape)) must be (\(width),) for input \(shapeText(x.shape))")
        }
        var mean = NDArray.zeros([width]), variance = NDArray.zeros([width]), inverseStd = NDArray.zeros([width])
        let n = Scalar(rows)
        x.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { mean in
                variance.withUnsafeMutableBufferPointer { variance in
                    inverseStd.withUnsafeMutableBufferPointer { inverseStd in
                        // Locals: read through the closures' contexts, every store could alias
                        // them and the column loops would not vectorize.
                        let x = x.baseAddress!, mu = mean.baseAddress!, v = variance.baseAddress!, s = inverseStd.baseAddress!
                        for row in 0..<rows {
                            let r = x + row * width
                            for j in 0..<width { mu[j] += r[j] }
                        }
                        for j in 0..<width { mu[j] /= n }
                        // Two passes: the squares of centered values, never E[x²] − μ².
                        for row in 0..<rows {
                            let r = x + row * width
                            for j in 0..<width {
                                let c = r[j] - mu[j]
                                v[j] += c * c
                            }
                        }
                        for j in 0..<width {
                            v[j] /= n
                            s[j] = 1 / (v[j] + epsilon).squareRoot()
                        }
                    }
                }
            }
        }
        let output = batchNormNormalize(x, mean: mean, inverseStd: inverseStd, weight: weight, bias: bias)
        return (output, mean, variance, inverseStd)
    }

    /// `y = (x − μ) · s · γ + β` for each column of `x` (batch, features), or `(x − μ) · s`
    /// without `weight` γ and `bias` β (both or neither), in one pass: training mode's last
    /// pass with the batch's statistics, and evaluation mode's whole with the running ones
    /// (`s = 1/√(σ² + ε)`). Each element goes through the same operations in the same order
    /// as the four elementwise steps x − μ, · s, · γ, + β would take it, so the same bits.
    ///
    /// ```swift
    /// let y = NDArray.batchNormNormalize(x, mean: runningMean, inverseStd: s, weight: gamma, bias: beta)
    /// ```
    @inlinable
    public static func batchNormNormalize(_ x: NDArray, mean: NDArray, inverseStd: NDArray,
                                          weight: NDArray?, bias: NDArray?) -> NDArray {
        precondition(x.rank == 2, "batchNormNormalize: needs (batch, features), got \(shapeText(x.shape))")
        let (rows, width) = (x.shape[0], x.shape[1])
        precondition(mean.shape == [width] && inverseStd.shape == [width],
                     "batchNormNormalize: mean \(shapeText(mean.shape)) and inverseStd \(shapeText(inverseStd.shape)) must be (\(width),) for input \(shapeText(x.shape))")
        precondition((weight == nil) == (bias == nil), "batchNormNormalize: weight and bias go together (affine) or not at all")
        if let weight, let bias {
            precondition(weight.shape == [width] && bias.shape == [width],
                         "batchNormNormalize: weight \(shapeText(weight.shape)) and bias \(shapeText(bias.shape)) must be (\(width),) for input \(shapeText(x.shape))")
        }
        var output = NDArray.unfilled([rows, width])
        output.withUnsafeMutableBufferPointer { y in
            x.withUnsafeBufferPointer { x in
                mean.withUnsafeBufferPointer { mean in
                    inverseStd.withUnsafeBufferPointer { inverseStd in
                        // Locals: read through the closures' contexts, every store could alias
                        // them and the column loops would not vectorize.
                        let y = y.baseAddress!, x = x.baseAddress!, mu = mean.baseAddress!, s = inverseStd.baseAddress!
                        guard let weight, let bias else {
                            for i in stride(from: 0, to: rows * width, by: width) {
                                for j in 0..<width { y[i + j] = (x[i + j] - mu[j]) * s[j] }
                            }
                            return
                        }
                        weight.withUnsafeBufferPointer { gamma in
                            bias.withUnsafeBufferPointer { beta in
                                let gamma = gamma.baseAddress!, beta = beta.baseAddress!
                                for i in stride(from: 0, to: rows * width, by: width) {
                                    for j in 0..<width { y[i + j] = (x[i + j] - mu[j]) * s[j] * gamma[j] + beta[j] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The running statistics after a training batch of `batch` rows, as PyTorch keeps them:
    /// `r_μ ← (1 − m) r_μ + m μ` and `r_σ² ← (1 − m) r_σ² + m · batch/(batch − 1) · σ²`
    /// (the running variance unbiased), with momentum m.
    ///
    /// ```swift
    /// NDArray.batchNormUpdateRunningStatistics(runningMean: &rm, runningVariance: &rv,
    ///                                          mean: mean, variance: variance, batch: 128, momentum: 0.1)
    /// ```
    @inlinable
    public static func batchNormUpdateRunningStatistics(runningMean: inout NDArray, runningVariance: inout NDArray,
                                                        mean: NDArray, variance: NDArray, batch: Int, momentum: Double) {
        precondition(batch > 1, "batchNormUpdateRunningStatistics: needs a batch of more than 1 row, got \(batch)")
        let width = runningMean.count
        precondition(runningMean.shape == [width] && runningVariance.shape == [width]
                     && mean.shape == [width] && variance.shape == [width],
                     "batchNormUpdateRunningStatistics: running mean \(shapeText(runningMean.shape)), running variance "
                     + "\(shapeText(runningVariance.shape)), mean \(shapeText(mean.shape)) and variance \(shapeText(variance.shape)) must all be (features,)")
        let m = Scalar(momentum), keep = 1 - m
        let varianceWeight = m * (Scalar(batch) / Scalar(batch - 1))
        runningMean.withUnsafeMutableBufferPointer { runningMean in
            mean.withUnsafeBufferPointer { mean in
                for j in 0..<width { runningMean[j] = runningMean[j] * keep + mean[j] * m }
            }
        }
        runningVariance.withUnsafeMutableBufferPointer { runningVariance in
            variance.withUnsafeBufferPointer { variance in
                for j in 0..<width { runningVariance[j] = runningVariance[j] * keep + variance[j] * varianceWeight }
            }
        }
    }

    /// The gradients of training-mode batch norm from the output's gradient dY, the input x
    /// and the forward pass's μ and s = 1/√(σ² + ε): with x̂ = (x − μ) s and N rows,
    /// `dβ = Σ dY`, `dγ = Σ dY ⊙ x̂` (column sums) and
    /// `dX = γ s (dY − dβ/N − x̂ dγ/N)` (γ = 1 without `weight`). Two passes over the rows.
    ///
    /// ```swift
    /// let (dx, dgamma, dbeta) = NDArray.batchNormBackward(gradient: dy, input: x, mean: mean,
    ///                                                     inverseStd: inverseStd, weight: gamma)
    /// ```
    @inlinable
    public static func batchNormBackward(gradient: NDArray, input x: NDArray, mean: NDArray, inverseStd: NDArray,
                                         weight: NDArray?) -> (input: NDArray, weight: NDArray, bias: NDArray) {
        precondition(x.rank == 2 && x.count > 0 && gradient.shape == x.shape,
                     "batchNormBackward: gradient \(shapeText(gradient.shape)) must match the input \(shapeText(x.shape)), a non-empty matrix")
        let (rows, width) = (x.shape[0], x.shape[1])
        precondition(mean.shape == [width] && inverseStd.shape == [width] && (weight?.shape ?? [width]) == [width],
                     "batchNormBackward: mean \(shapeText(mean.shape)), inverse std \(shapeText(inverseStd.shape)) "
                     + "and weight must be (\(width),) for input \(shapeText(x.shape))")
        var dx = NDArray.zeros([rows, width]), dGamma = NDArray.zeros([width]), dBeta = NDArray.zeros([width])
        let n = Scalar(rows)
        // Per column: the mean of dY, the factor of x − μ and the overall scale γ s.
        var meanGradient = NDArray.zeros([width]), centeredFactor = NDArray.zeros([width]), scale = NDArray.zeros([width])
        gradient.withUnsafeBufferPointer { dy in
            x.withUnsafeBufferPointer { x in
                mean.withUnsafeBufferPointer { mean in
                    inverseStd.withUnsafeBufferPointer { inverseStd in
                        dGamma.withUnsafeMutableBufferPointer { dGamma in
                            dBeta.withUnsafeMutableBufferPointer { dBeta in
                                let dy = dy.baseAddress!, x = x.baseAddress!, mu = mean.baseAddress!, s = inverseStd.baseAddress!
                                let dGamma = dGamma.baseAddress!, dBeta = dBeta.baseAddress!
                                // dγ accumulates Σ dY (x − μ); multiplied by s once per column below.
                                for i in stride(from: 0, to: rows * width, by: width) {
                                    for j in 0..<width {
                                        dBeta[j] += dy[i + j]
                                        dGamma[j] += dy[i + j] * (x[i + j] - mu[j])
                                    }
                                }
                                for j in 0..<width { dGamma[j] *= s[j] }
                            }
                        }
                    }
                }
            }
        }
        meanGradient.withUnsafeMutableBufferPointer { meanGradient in
            centeredFactor.withUnsafeMutableBufferPointer { centeredFactor in
                scale.withUnsafeMutableBufferPointer { scale in
                    dGamma.withUnsafeBufferPointer { dGamma in
                        dBeta.withUnsafeBufferPointer { dBeta in
                            inverseStd.withUnsafeBufferPointer { s in
                                for j in 0..<width {
                                    meanGradient[j] = dBeta[j] / n
                                    // x̂ dγ/N = (x − μ) · s dγ / N
                                    centeredFactor[j] = s[j] * dGamma[j] / n
                                    scale[j] = s[j]
                                }
                                if let weight {
                                    weight.withUnsafeBufferPointer { gamma in
                                        for j in 0..<width { scale[j] *= gamma[j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        dx.withUnsafeMutableBufferPointer { dx in
            gradient.withUnsafeBufferPointer { dy in
                x.withUnsafeBufferPointer { x in
                    mean.withUnsafeBufferPointer { mean in
                        meanGradient.withUnsafeBufferPointer { meanGradient in
                            centeredFactor.withUnsafeBufferPointer { centeredFactor in
                                scale.withUnsafeBufferPointer { scale in
                                    let dx = dx.baseAddress!, dy = dy.baseAddress!, x = x.baseAddress!, mu = mean.baseAddress!
                                    let g = meanGradient.baseAddress!, k = centeredFactor.baseAddress!, c = scale.baseAddress!
                                    for i in stride(from: 0, to: rows * width, by: width) {
                                        for j in 0..<width {
                                            dx[i + j] = (dy[i + j] - g[j] - (x[i + j] - mu[j]) * k[j]) * c[j]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dGamma, dBeta)
    }
}
