import ArrayKit

// Ops that move elements without arithmetic; each pullback moves the gradient back.
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
        Tensor.result(of: "broadcast", data: data.broadcast(to: shape), inputs: [self]) { g in [g] }
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
        }
    }
}
