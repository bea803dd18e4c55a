import ArrayKit

/// Training-mode batch normalization of `input` (batch, features) as one op, as PyTorch's
/// native batch norm: each column normalized with the batch's mean and biased variance,
/// then scaled by `weight` and shifted by `bias` (both or neither). Its pullback is the
/// hand-derived dX, dγ, dβ of ArrayKit's `NDArray.batchNormBackward`, two passes instead of
/// the dozen ops the composed formula records. Returns the batch's mean and biased variance
/// too, for the running statistics. A recorded backward pass (`createGraph: true`) runs those
/// dozen ops instead, so that the rule can be differentiated again.
///
/// ```swift
/// let (y, mean, variance) = batchNorm(x, weight: gamma, bias: beta, epsilon: 1e-5)
/// ```
@inlinable
public func batchNorm<Scalar>(_ input: Tensor<Scalar>, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?,
                              epsilon: Double) -> (output: Tensor<Scalar>, mean: NDArray<Scalar>, variance: NDArray<Scalar>) {
    let x = input.data, gamma = weight?.data
    let (y, mean, variance, inverseStd) = NDArray.batchNormForward(x, weight: gamma, bias: bias?.data,
                                                                    epsilon: Scalar(epsilon))
    var inputs = [input]
    if let weight, let bias { inputs += [weight, bias] }
    let output = Tensor.result(of: "batchNorm", data: y, inputs: inputs) { g in
        let (dx, dGamma, dBeta) = NDArray.batchNormBackward(gradient: g, input: x, mean: mean,
                                                            inverseStd: inverseStd, weight: gamma)
        return gamma == nil ? [dx] : [dx, dGamma, dBeta]
    } differentiablePullback: { g, inputs in
        batchNormPullback(g, input: inputs[0], weight: inputs.count > 1 ? inputs[1] : nil, epsilon: Scalar(epsilon))
    }
    return (output, mean, variance)
}

/// Evaluation-mode batch normalization as one op, as PyTorch's native batch norm with
/// `training=False`: each column normalized with given statistics, `x̂ = (x − mean) · s`
/// with `s = inverseStd`, then `y = x̂ · weight + bias` (both or neither), in one pass
/// (ArrayKit's `NDArray.batchNormNormalize`). The statistics are constants. The results,
/// gradients included, are the bits of the four elementwise ops x − mean, · s, · weight,
/// + bias, computed in the same order.
///
/// ```swift
/// let s = (runningVar + 1e-5).sqrt().map { 1 / $0 }
/// let y = batchNormInference(x, mean: runningMean, inverseStd: s, weight: gamma, bias: beta)
/// ```
@inlinable
public func batchNormInference<Scalar>(_ input: Tensor<Scalar>, mean: NDArray<Scalar>, inverseStd: NDArray<Scalar>,
                                       weight: Tensor<Scalar>?, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    let x = input.data, gamma = weight?.data
    let y = NDArray.batchNormNormalize(x, mean: mean, inverseStd: inverseStd, weight: gamma, bias: bias?.data)
    var inputs = [input]
    if let weight, let bias { inputs += [weight, bias] }
    let needX = input.requiresGrad, needWeight = weight?.requiresGrad ?? false, needBias = bias?.requiresGrad ?? false
    return Tensor.result(of: "batchNormInference", data: y, inputs: inputs) { g in
        // The elementwise steps' rules, last step first: dβ = g, dγ = g · x̂, dx̂ = g · γ,
        // dX = dx̂ · s; the engine sums dγ and dβ over the rows.
        guard let gamma else { return [needX ? g * inverseStd : nil] }
        let dWeight = needWeight ? g * ((x - mean) * inverseStd) : nil
        return [needX ? (g * gamma) * inverseStd : nil, dWeight, needBias ? g : nil]
    } differentiablePullback: { g, inputs in
        let s = Tensor(inverseStd)
        guard inputs.count > 1 else { return [g * s] }
        let (x, weight) = (inputs[0], inputs[1])
        return [x.requiresGrad ? (g * weight) * s : nil, weight.requiresGrad ? g * ((x - Tensor(mean)) * s) : nil,
                inputs[2].requiresGrad ? g : nil]
    }
}

/// The pullback of ``batchNorm(_:weight:bias:epsilon:)`` in Tensor ops, for a recorded
/// backward pass: the statistics are recomputed from the input tensor, so their
/// dependence on x is part of the graph. With x̂ = (x − μ) s, s = 1/√(σ² + ε) and N rows:
/// `dβ = Σ g`, `dγ = Σ g ⊙ x̂`, `dX = γ s (g − dβ/N − x̂ dγ/N)` — the rule (BN) of
/// Docs/Derivations.md, term for term as ArrayKit's `NDArray.batchNormBackward` computes it.
@inlinable
func batchNormPullback<Scalar>(_ g: Tensor<Scalar>, input x: Tensor<Scalar>, weight: Tensor<Scalar>?,
                               epsilon: Scalar) -> [Tensor<Scalar>?] {
    let n = Scalar(x.shape[0])
    let centered = x - x.mean(axis: 0)
    let inverseStd = ((centered * centered).mean(axis: 0) + epsilon).pow(-0.5)
    let normalized = centered * inverseStd
    let dBeta = g.sum(axis: 0)
    let dGamma = (g * normalized).sum(axis: 0)
    let scale = weight.map { $0 * inverseStd } ?? inverseStd
    let dx = x.requiresGrad ? scale * (g - dBeta / n - normalized * (dGamma / n)) : nil
    guard let weight else { return [dx] }
    return [dx, weight.requiresGrad ? dGamma : nil, dBeta]
}
