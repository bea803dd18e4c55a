import ArrayKit

/// Training-mode batch normalization of `input` (batch, features) as one op, as PyTorch's
/// native batch norm: each column normalized with the batch's mean and biased variance,
/// then scaled by `weight` and shifted by `bias` (both or neither). Its pullback is the
/// hand-derived dX, dγ, dβ of ArrayKit's `NDArray.batchNormBackward`, two passes instead of
/// the dozen ops the composed formula records. Returns the batch's mean and biased variance
/// too, for the running statistics.
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
    }
    return (output, mean, variance)
}
