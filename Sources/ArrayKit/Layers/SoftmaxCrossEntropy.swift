import RealModule

/// Softmax followed by cross-entropy, fused, on logits (as PyTorch's `CrossEntropyLoss`).
///
/// The loss is computed as log-sum-exp minus the label's logit, both after subtracting
/// the row maximum, so it is finite for any finite logits — no log of an underflowed
/// probability. The gradient collapses to (softmax(X) − T)/S: the softmax Jacobian of
/// 2.c.i times the cross-entropy gradient of 2.c.ii, whose product cancels the division.
///
/// ```swift
/// let loss = SoftmaxCrossEntropy<Float>()
/// let value = loss.forward(mlp.forward(x), labels: y)
/// _ = mlp.backward(loss.backward())
/// ```
public final class SoftmaxCrossEntropy<Scalar: NDScalar>: Loss {
    @usableFromInline var probabilities: NDArray<Scalar>?
    @usableFromInline var probabilityBuffer: NDArray<Scalar>?
    @usableFromInline var labels: [Int] = []
    @usableFromInline var inputGradientBuffer: NDArray<Scalar>?

    /// A loss with no batch cached yet.
    @inlinable public init() {}

    @inlinable public func forward(_ logits: NDArray<Scalar>, labels: [Int]) -> Scalar {
        precondition2D(logits, "SoftmaxCrossEntropy.forward")
        preconditionLabels(labels, fit: logits.shape, "SoftmaxCrossEntropy.forward")
        var p = NDArray.reusing(&probabilityBuffer, shape: logits.shape)
        let loss = NDArray.softmaxCrossEntropy(logits: logits, labels: labels, probabilities: &p)
        probabilities = p
        probabilityBuffer = p
        self.labels = labels
        return loss
    }

    /// The softmax probabilities of the last `forward`, e.g. for accuracy.
    public var lastProbabilities: NDArray<Scalar>? { probabilities }

    /// dX = (softmax(X) − T) / S (2.c.i and 2.c.ii combined).
    @inlinable public func backward() -> NDArray<Scalar> {
        guard let probabilities else {
            preconditionFailure("SoftmaxCrossEntropy.backward: no cached input — call forward first")
        }
        var gradInput = NDArray.reusing(&inputGradientBuffer, shape: probabilities.shape)
        NDArray.softmaxCrossEntropyGradient(probabilities: probabilities, labels: labels,
                                            scale: 1 / Scalar(labels.count), into: &gradInput)
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() {
        probabilities = nil
        labels = []
    }
}
