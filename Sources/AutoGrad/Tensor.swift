import ArrayKit

/// A value in a differentiable computation, in the role of `torch.Tensor`: an `NDArray`
/// plus, when it takes part in a graph, the node that made it and the gradient that
/// `backward()` accumulates into it.
///
/// ```swift
/// let w = Tensor(NDArray<Double>([1, 2, 3]), requiresGrad: true)
/// let loss = (w * w).sum()
/// loss.backward()
/// w.grad          // [2, 4, 6]
/// ```
public final class Tensor<Scalar: NDScalar> {
    /// The values.
    public var data: NDArray<Scalar>
    /// The accumulated gradient of a leaf that requires one; `nil` until `backward()`
    /// reaches it, and again after `zeroGrad()`.
    public var grad: NDArray<Scalar>?
    /// The accumulated gradient as a tensor with its own graph, when
    /// ``backward(seed:retainGraph:createGraph:)`` recorded it (`createGraph: true`), as
    /// `x.grad` after `loss.backward(create_graph=True)` in PyTorch; ``grad`` holds its values.
    /// A plain `backward()` that adds to ``grad`` afterwards sets it to `nil`; so does
    /// ``zeroGrad()``. A recorded gradient usually refers back to this tensor (the gradient
    /// of x² is 2x): the two keep each other alive until ``zeroGrad()``, as in PyTorch.
    public var differentiableGrad: Tensor?
    /// The gradient ``zeroGrad()`` last dropped, whose storage the next backward pass
    /// writes the new gradient into (see ``recycledGradient(shape:)``).
    @usableFromInline var spareGradient: NDArray<Scalar>?
    /// Whether gradients flow to (and through) this tensor.
    public var requiresGrad: Bool
    /// The op that made this tensor, with its inputs and pullback; `nil` for a leaf.
    /// After `backward()` without `retainGraph` the node stays but is released: it no
    /// longer holds its inputs or the arrays its pullback saved.
    public let node: Node<Scalar>?

    /// Wraps `data`; a leaf of any graph it is used in.
    public init(_ data: NDArray<Scalar>, requiresGrad: Bool = false) {
        self.data = data
        self.requiresGrad = requiresGrad
        self.node = nil
    }

    /// The result of an op, recorded in the graph.
    @usableFromInline
    init(_ data: NDArray<Scalar>, node: Node<Scalar>) {
        self.data = data
        self.requiresGrad = true
        self.node = node
    }

    /// A leaf from scalars in row-major order.
    ///
    /// ```swift
    /// let x = Tensor<Float>([1, 2, 3, 4], shape: [2, 2])
    /// ```
    public convenience init(_ scalars: [Scalar], shape: [Int], requiresGrad: Bool = false) {
        self.init(NDArray(scalars, shape: shape), requiresGrad: requiresGrad)
    }

    /// A rank-0 leaf holding `value`.
    public convenience init(scalar value: Scalar, requiresGrad: Bool = false) {
        self.init(NDArray(scalar: value), requiresGrad: requiresGrad)
    }

    /// The shape of ``data``.
    @inlinable public var shape: [Int] { data.shape }
    /// The value of a one-element tensor, as `tensor.item()` in PyTorch.
    @inlinable public var scalar: Scalar { data.scalar }
    /// True when no op made this tensor (a parameter, an input, a constant).
    public var isLeaf: Bool { node == nil }

    /// Forgets the accumulated gradient, as `tensor.grad = None` in PyTorch.
    ///
    /// `grad` becomes `nil`, but its storage is kept for the next backward pass to write
    /// into. A fresh gradient every step is fresh memory every step: a 1024 × 1024 weight's
    /// is 4 MB, which malloc unmapped and mapped again, page-faulting on every first write.
    ///
    /// ```swift
    /// for p in model.parameters() { p.zeroGrad() }
    /// ```
    public func zeroGrad() {
        if let grad { spareGradient = grad }
        grad = nil
        differentiableGrad = nil
    }

    /// The spare gradient storage if it has `shape`, handed out once, for a pullback to
    /// overwrite in full; `nil` otherwise. If the caller still holds the old gradient,
    /// writing to it copies first (copy on write), so the old values never change.
    @inlinable
    func recycledGradient(shape: [Int]) -> NDArray<Scalar>? {
        guard let spare = spareGradient, spare.shape == shape else { return nil }
        spareGradient = nil
        return spare
    }

    /// A new leaf that shares this tensor's values but is cut off from the graph: no
    /// gradient flows through it (as `tensor.detach()`).
    ///
    /// ```swift
    /// let target = prediction.detached()
    /// ```
    public func detached() -> Tensor { Tensor(data) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let origin = node.map { ", op: \($0.name)" } ?? (requiresGrad ? ", requiresGrad" : "")
        return "Tensor(shape: \(shapeText(shape))\(origin))\n\(data)"
    }
}
