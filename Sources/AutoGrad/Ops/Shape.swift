import ArrayKit

// Ops that move elements without arithmetic; each pullback moves the gradient back, and
// so does each differentiable pullback, with the inverse op on tensors.
extension Tensor {
    /// The same elements under a new shape; one dimension may be `-1`.
    ///
    /// ```swift
    /// let flat = images.reshaped([batch, -1])
    /// ```
    @inlinable
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let inputShape = shape
        return Tensor.result(of: "reshape", data: data.reshaped(newShape), inputs: [self]) { g in
            [g.reshaped(inputShape)]
        } differentiablePullback: { g, _ in
            [g.reshaped(inputShape)]
        }
    }

    /// The matrix transpose (the axes reversed).
    ///
    /// ```swift
    /// let wT = weight.transposed()
    /// ```
    @inlinable
    public func transposed() -> Tensor {
        transposed(Array((0..<data.rank).reversed()))
    }

    /// The axes permuted: axis `i` of the result is axis `axes[i]` of `self`.
    @inlinable
    public func transposed(_ axes: [Int]) -> Tensor {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, axis) in axes.enumerated() where axis >= 0 && axis < axes.count { inverse[axis] = i }
        return Tensor.result(of: "transpose", data: data.transposed(axes), inputs: [self]) { g in
            [g.transposed(inverse)]
        } differentiablePullback: { g, _ in
            [g.transposed(inverse)]
        }
    }

    /// This tensor repeated along broadcast axes to `shape`, as `torch.broadcast_to`.
    /// Its gradient is summed back to this tensor's shape.
    ///
    /// ```swift
    /// let b = bias.broadcast(to: [batch, n])
    /// ```
    @inlinable
    public func broadcast(to shape: [Int]) -> Tensor {
        Tensor.result(of: "broadcast", data: data.broadcast(to: shape), inputs: [self]) { g in
            [g]
        } differentiablePullback: { g, _ in
            [g]
        }
    }

    /// This tensor summed over broadcast axes down to `shape`, the inverse of
    /// ``broadcast(to:)`` (as `torch.Tensor.sum_to_size`); its gradient is broadcast back.
    /// A recorded backward pass (`createGraph: true`) sums the gradient of each
    /// broadcasting op's input with it.
    ///
    /// ```swift
    /// let biasGradient = g.reduced(toShape: [n])     // (S, n) → (n,)
    /// ```
    @inlinable
    public func reduced(toShape target: [Int]) -> Tensor {
        let inputShape = shape
        if inputShape == target { return self }
        return Tensor.result(of: "reduce", data: data.reduced(toShape: target), inputs: [self]) { g in
            [g.broadcast(to: inputShape)]
        } differentiablePullback: { g, _ in
            [g.broadcast(to: inputShape)]
        }
    }

    /// The rows (entries of the first axis) at `indices`, in that order; a row chosen
    /// twice receives both gradients.
    ///
    /// ```swift
    /// let embedded = table.gatherRows(tokenIDs)
    /// ```
    @inlinable
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let inputShape = shape
        return Tensor.result(of: "gatherRows", data: data.gatherRows(indices), inputs: [self]) { g in
            let gx = g.scatterAddingRows(at: indices, rowCount: inputShape[0])
            return [gx]
        } differentiablePullback: { g, _ in
            [g.scatterAddingRows(at: indices, rowCount: inputShape[0])]
        }
    }

    /// An array of `rowCount` rows, each the sum of the rows of `self` sent to it by
    /// `indices` (zero for a row never chosen), as `zeros.index_add(0, indices, self)`: the
    /// inverse of ``gatherRows(_:)`` and its gradient; its own gradient gathers the rows back.
    ///
    /// ```swift
    /// let table = rows.scatterAddingRows(at: [5, 0, 5], rowCount: 6)   // row 5 gets two
    /// ```
    @inlinable
    public func scatterAddingRows(at indices: [Int], rowCount: Int) -> Tensor {
        Tensor.result(of: "scatterAddingRows", data: data.scatterAddingRows(at: indices, rowCount: rowCount),
                      inputs: [self]) { g in
            [g.gatherRows(indices)]
        } differentiablePullback: { g, _ in
            [g.gatherRows(indices)]
        }
    }
}
