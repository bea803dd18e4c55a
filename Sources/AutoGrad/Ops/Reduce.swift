import ArrayKit

// Reductions. The gradient of a sum is the output gradient spread back over the axis it
// removed; of a mean, the same divided by the axis length; of a max, routed to the
// position that won. The differentiable pullbacks spread with `broadcast(to:)` and route
// with `placed(at:along:in:)`, ops whose own pullbacks are a sum and a pick.
extension Tensor {
    /// The sum of all elements, as a rank-0 tensor (a loss).
    ///
    /// ```swift
    /// let total = (x * x).sum()
    /// ```
    @inlinable
    public func sum() -> Tensor {
        let inputShape = shape
        return Tensor.result(of: "sum", data: NDArray(scalar: data.sum()), inputs: [self]) { g in
            [.full(inputShape, g.scalar)]
        } differentiablePullback: { g, _ in
            [g.broadcast(to: inputShape)]
        }
    }

    /// The sum along `axis` (negative counts from the end).
    ///
    /// ```swift
    /// let columnTotals = x.sum(axis: 0)          // (S, n) → (n,)
    /// ```
    @inlinable
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let inputShape = shape
        let a = Tensor.normalized(axis: axis, rank: data.rank, op: "sum")
        return Tensor.result(of: "sum", data: data.sum(axis: a, keepDims: keepDims), inputs: [self]) { g in
            [Tensor.spread(g, removedAxis: a, over: inputShape, scale: 1)]
        } differentiablePullback: { g, _ in
            [Tensor.spread(g, removedAxis: a, over: inputShape)]
        }
    }

    /// The mean of all elements, as a rank-0 tensor.
    @inlinable
    public func mean() -> Tensor {
        let inputShape = shape, n = Scalar(data.count)
        return Tensor.result(of: "mean", data: NDArray(scalar: data.sum() / n), inputs: [self]) { g in
            [.full(inputShape, g.scalar / n)]
        } differentiablePullback: { g, _ in
            [(g / n).broadcast(to: inputShape)]
        }
    }

    /// The mean along `axis`.
    ///
    /// ```swift
    /// let batchMean = x.mean(axis: 0, keepDims: true)   // (S, n) → (1, n)
    /// ```
    @inlinable
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let inputShape = shape
        let a = Tensor.normalized(axis: axis, rank: data.rank, op: "mean")
        let n = Scalar(inputShape[a])
        return Tensor.result(of: "mean", data: data.mean(axis: a, keepDims: keepDims), inputs: [self]) { g in
            [Tensor.spread(g, removedAxis: a, over: inputShape, scale: 1 / n)]
        } differentiablePullback: { g, _ in
            [Tensor.spread(g * (1 / n), removedAxis: a, over: inputShape)]
        }
    }

    /// The largest element along `axis`. The gradient goes to the first position holding
    /// the maximum, the index `torch.max(x, dim)` returns.
    ///
    /// ```swift
    /// let rowMax = logits.max(axis: 1, keepDims: true)
    /// ```
    @inlinable
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let x = data
        let a = Tensor.normalized(axis: axis, rank: x.rank, op: "max")
        let winners = x.argmax(axis: a)
        let inputShape = x.shape
        return Tensor.result(of: "max", data: x.max(axis: a, keepDims: keepDims), inputs: [self]) { g in
            [g.placed(at: winners, along: a, in: inputShape)]
        } differentiablePullback: { g, _ in
            // Routing is linear in g and the winners are constant in x: max″ = 0 off ties.
            [g.placed(at: winners, along: a, in: inputShape)]
        }
    }

    /// The largest element, as a rank-0 tensor.
    @inlinable
    public func max() -> Tensor {
        reshaped([-1]).max(axis: 0)
    }

    /// Zeros of `shape` with this tensor's elements placed along `axis` at `indices` (one
    /// per element, in row-major order of `shape` without `axis`), as
    /// `zeros(shape).scatter(axis, indices, self)`: the gradient of ``max(axis:keepDims:)``
    /// with `indices` its `argmax`. Its gradient picks the same positions back out.
    ///
    /// ```swift
    /// let routed = g.placed(at: x.data.argmax(axis: 1), along: 1, in: x.shape)
    /// ```
    @inlinable
    public func placed(at indices: [Int], along axis: Int, in shape: [Int]) -> Tensor {
        let valueShape = self.shape
        let a = Tensor.normalized(axis: axis, rank: shape.count, op: "placed(at:along:in:)")
        return Tensor.result(of: "placed", data: data.placed(at: indices, along: a, in: shape), inputs: [self]) { g in
            [g.picked(at: indices, along: a).reshaped(valueShape)]
        } differentiablePullback: { g, _ in
            [g.picked(at: indices, along: a).reshaped(valueShape)]
        }
    }

    /// The elements at `indices` along `axis` (one index per position of the other axes,
    /// row-major), that axis removed, as `gather(axis, indices).squeeze(axis)`: the inverse
    /// of ``placed(at:along:in:)``, which is its gradient.
    ///
    /// ```swift
    /// let chosen = logProbabilities.picked(at: labels, along: 1)   // (S, C) → (S,)
    /// ```
    @inlinable
    public func picked(at indices: [Int], along axis: Int) -> Tensor {
        let inputShape = shape
        let a = Tensor.normalized(axis: axis, rank: data.rank, op: "picked(at:along:)")
        return Tensor.result(of: "picked", data: data.picked(at: indices, along: a), inputs: [self]) { g in
            [g.placed(at: indices, along: a, in: inputShape)]
        } differentiablePullback: { g, _ in
            [g.placed(at: indices, along: a, in: inputShape)]
        }
    }

    /// `axis` counted from the front, checked against `rank`.
    @inlinable
    static func normalized(axis: Int, rank: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
        return a
    }

    /// `scale · g` repeated along `axis` to `shape`: the gradient of a reduction over that axis.
    @inlinable
    static func spread(_ g: NDArray<Scalar>, removedAxis axis: Int, over shape: [Int],
                       scale: Scalar) -> NDArray<Scalar> {
        var kept = shape
        kept[axis] = 1
        let spread = g.reshaped(kept).broadcast(to: shape)
        return scale == 1 ? spread : spread * scale
    }

    /// `g` repeated along `axis` to `shape`, recorded: the differentiable form of ``spread(_:removedAxis:over:scale:)``.
    @inlinable
    static func spread(_ g: Tensor, removedAxis axis: Int, over shape: [Int]) -> Tensor {
        var kept = shape
        kept[axis] = 1
        return g.reshaped(kept).broadcast(to: shape)
    }
}
