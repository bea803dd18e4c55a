import RealModule

/// Categorical cross-entropy on probabilities with integer labels (the assignment's
/// `CrossEntropyModule`): `L = −(1/S) Σ_i log X[i, label_i]`, the mean over the batch; the
/// number of classes is the input's width.
///
/// A probability of exactly 0 (a softmax that underflowed) is read as the smallest
/// positive *normal* number of the type (≈1.2e-38 for Float): the loss stays finite
/// (−log ≈ 87.3 for Float, 708 for Double) and so does the gradient −1/(S·p) ≈ 8.5e37/S.
/// A subnormal would not do: 1/subnormal overflows to infinity. Any probability that is
/// already normal is left untouched, so the clamp changes no ordinary value.
/// For training on logits prefer ``SoftmaxCrossEntropy``, which never takes a log of 0.
///
/// ```swift
/// let ce = CrossEntropy<Float>()
/// let loss = ce.forward(probabilities, labels: [3, 1])
/// let dp = ce.backward()
/// ```
public final class CrossEntropy<Scalar: NDScalar>: Loss {
    @usableFromInline var input: NDArray<Scalar>?
    @usableFromInline var labels: [Int] = []
    @usableFromInline var inputGradientBuffer: NDArray<Scalar>?

    /// A loss with no batch cached yet.
    @inlinable public init() {}

    @inlinable public func forward(_ input: NDArray<Scalar>, labels: [Int]) -> Scalar {
        precondition2D(input, "CrossEntropy.forward")
        preconditionLabels(labels, fit: input.shape, "CrossEntropy.forward")
        let width = input.shape[1]
        var total: Scalar = 0
        input.withUnsafeBufferPointer { p in
            for (row, label) in labels.enumerated() {
                total -= Scalar.log(Swift.max(p[row * width + label], Scalar.leastNormalMagnitude))
            }
        }
        self.input = input
        self.labels = labels
        return total / Scalar(labels.count)
    }

    /// Derivations 2.c.ii: dX = −(1/S) T ⊘ X, nonzero only at each sample's label.
    @inlinable public func backward() -> NDArray<Scalar> {
        guard let input else { preconditionFailure("CrossEntropy.backward: no cached input — call forward first") }
        var gradInput = NDArray.reusing(&inputGradientBuffer, shape: input.shape)
        let width = input.shape[1], scale = -1 / Scalar(labels.count)
        gradInput.withUnsafeMutableBufferPointer { dx in
            input.withUnsafeBufferPointer { p in
                for i in 0..<dx.count { dx[i] = 0 }
                for (row, label) in labels.enumerated() {
                    let at = row * width + label
                    dx[at] = scale / Swift.max(p[at], Scalar.leastNormalMagnitude)
                }
            }
        }
        inputGradientBuffer = gradInput
        return gradInput
    }

    public func clearCache() {
        input = nil
        labels = []
    }
}
