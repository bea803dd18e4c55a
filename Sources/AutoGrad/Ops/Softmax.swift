import ArrayKit
import RealModule

// The numerically delicate ops get fused rules instead of being composed from exp, sum
// and log: the max trick keeps every exponent ≤ 0, and the backward passes use the
// closed forms softmax − onehot and g − softmax·Σg, which never divide by a probability.
// The arithmetic is ArrayKit's (Kernels/NDArray+Softmax.swift), shared with the hand-written layers.
// The differentiable pullbacks (gradients of gradients) write the same closed forms with
// Tensor ops, recomputing the softmax as exp(logSoftmax(x)).
extension Tensor {
    /// `log(softmax(x))` along `axis`, computed as `x − max − log Σ exp(x − max)`.
    ///
    /// ```swift
    /// let logProbabilities = logits.logSoftmax(axis: 1)
    /// ```
    @inlinable
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let a = Tensor.normalized(axis: axis, rank: data.rank, op: "logSoftmax")
        let y = data.logSoftmax(axis: a)
        return Tensor.result(of: "logSoftmax", data: y, inputs: [self]) { (g: consuming NDArray<Scalar>) in
            NDArray.logSoftmaxBackward(output: y, axis: a, gradient: &g)
            return [g]
        } differentiablePullback: { g, inputs in
            // g − softmax · Σ g, with softmax = exp(logSoftmax(x)) recomputed as tensors.
            [g - inputs[0].logSoftmax(axis: a).exp() * g.sum(axis: a, keepDims: true)]
        }
    }
}

/// The mean cross-entropy of `logits` (S, C) against integer class `labels` (S of them),
/// as `torch.nn.functional.cross_entropy`: `mean_i (log Σ_k exp(x_ik) − x_i,label_i)`.
/// Fused with log-softmax; its gradient is `(softmax(x) − onehot(labels)) / S`.
///
/// ```swift
/// let loss = crossEntropy(logits: model(x), labels: [3, 0, 7])
/// loss.backward()
/// ```
@inlinable
public func crossEntropy<Scalar>(logits: Tensor<Scalar>, labels: [Int]) -> Tensor<Scalar> {
    let x = logits.data
    precondition(x.rank == 2, "crossEntropy: logits must be (batch, classes), got \(shapeText(x.shape))")
    let batch = x.shape[0], classes = x.shape[1]
    precondition(labels.count == batch,
                 "crossEntropy: \(labels.count) labels for logits \(shapeText(x.shape)) — one per row needed")
    precondition(batch > 0 && classes > 0, "crossEntropy: logits \(shapeText(x.shape)) are empty")
    for (r, label) in labels.enumerated() {
        precondition(label >= 0 && label < classes,
                     "crossEntropy: label \(label) of row \(r) is outside 0..<\(classes) for logits \(shapeText(x.shape))")
    }
    var probabilities = NDArray<Scalar>.zeros([0, 0])
    let loss = NDArray(scalar: NDArray.softmaxCrossEntropy(logits: x, labels: labels, probabilities: &probabilities))
    return Tensor.result(of: "crossEntropy", data: loss, inputs: [logits]) { g in
        var gx = NDArray<Scalar>.zeros([0, 0])
        NDArray.softmaxCrossEntropyGradient(probabilities: probabilities, labels: labels,
                                            scale: g.scalar / Scalar(batch), into: &gx)
        return [gx]
    } differentiablePullback: { g, inputs in
        // (softmax(x) − onehot) · g/S, the softmax recomputed as tensors; its derivative in x
        // is the softmax Jacobian, diag(p) − p pᵀ per row, scaled by g/S.
        let onehot = NDArray<Scalar>.ones([batch]).placed(at: labels, along: 1, in: [batch, classes])
        let probabilities = inputs[0].logSoftmax(axis: 1).exp()
        return [(probabilities - Tensor(onehot)) * (g / Scalar(batch))]
    }
}
