import ArrayKit

/// A value in a differentiable computation, in the role of `torch.Tensor`: an ``NDArray``
/// plus, when it takes part in a graph, the node that made it and the gradient that
/// `backward()` accumulates into it.
///
/// ```swift
/// let w = Tensor(NDArray<Double>([1, 2, 3]), requiresGrad: true)
/// ```
public final class Tensor<Scalar: NDScalar> {
    /// The values.
    public var data: NDArray<Scalar>
    /// The accumulated gradient of a leaf that requires one; `nil` until `backward()`
    /// reaches it, and again after `zeroGrad()`.
    public var grad: NDArray<Scalar>?
    /// Whether gradients flow to (and through) this tensor.
    public var requiresGrad: Bool

    /// Wraps `data`; a leaf of any graph it is used in.
    public init(_ data: NDArray<Scalar>, requiresGrad: Bool = false) {
        self.data = data
        self.requiresGrad = requiresGrad
    }

    /// The shape of ``data``.
    public var shape: [Int] { data.shape }
}
