// Reshape, transpose and row gathering.
extension NDArray {
    /// The same elements under a new shape; one dimension may be `-1` (inferred).
    ///
    /// ```swift
    /// NDArray<Float>.arange(0, 6).reshaped([2, -1])   // shape [2, 3]
    /// ```
    public func reshaped(_ newShape: [Int]) -> NDArray {
        var target = newShape
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        precondition(unknown.count <= 1 && newShape.allSatisfy { $0 >= -1 },
                     "reshaped: invalid shape \(newShape) (only one -1 allowed, no other negatives)")
        if let u = unknown.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known > 0 && count % known == 0,
                         "reshaped: cannot infer -1 in \(newShape) for \(count) elements of \(shapeText(shape))")
            target[u] = count / known
        }
        precondition(target.reduce(1, *) == count,
                     "reshaped: \(shapeText(shape)) has \(count) elements; \(shapeText(target)) needs \(target.reduce(1, *))")
        var result = self
        result._shape = target
        return result
    }

    /// The matrix transpose (rank 2); for a vector, itself.
    @inlinable
    public func transposed() -> NDArray {
        if rank < 2 { return self }
        return transposed(Array((0..<rank).reversed()))
    }

    /// The axes permuted: axis `i` of the result is axis `axes[i]` of `self`.
    @inlinable
    public func transposed(_ axes: [Int]) -> NDArray {
        precondition(axes.sorted() == Array(0..<rank),
                     "transposed: \(axes) is not a permutation of the axes of \(shapeText(shape))")
        let newShape = axes.map { shape[$0] }
        let oldStrides = strides
        let readStrides = axes.map { oldStrides[$0] }
        var out = [Scalar](repeating: 0, count: count)
        guard count > 0 else { return NDArray(out, shape: newShape) }
        var index = [Int](repeating: 0, count: rank)
        storage.withUnsafeBufferPointer { x in
            var source = 0
            for position in 0..<count {
                out[position] = x[source]
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    source += readStrides[axis]
                    if index[axis] < newShape[axis] { break }
                    source -= readStrides[axis] * newShape[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        return NDArray(out, shape: newShape)
    }

    /// The rows (entries of the first axis) at `indices`, in that order: a batch.
    ///
    /// ```swift
    /// images.gatherRows([5, 0, 3])   // shape [3, 784]
    /// ```
    @inlinable
    public func gatherRows(_ indices: [Int]) -> NDArray {
        precondition(rank >= 1, "gatherRows: needs rank ≥ 1, got shape \(shapeText(shape))")
        let rows = shape[0], width = rows == 0 ? 0 : count / rows
        var out = [Scalar](repeating: 0, count: indices.count * width)
        storage.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < rows, "gatherRows: row \(i) is out of range for shape \(shapeText(shape))")
                    let src = UnsafeBufferPointer(rebasing: x[(i * width)..<((i + 1) * width)])
                    _ = UnsafeMutableBufferPointer(rebasing: o[(r * width)..<((r + 1) * width)]).initialize(from: src)
                }
            }
        }
        var newShape = shape
        newShape[0] = indices.count
        return NDArray(out, shape: newShape)
    }

    /// The inverse of ``gatherRows(_:)``: an array of `rowCount` rows, each the sum of the
    /// rows of `self` gathered from it (zero for rows never gathered), as NumPy's
    /// `np.add.at(out, indices, self)`. The gradient of a gather.
    ///
    /// ```swift
    /// let grad = batchGradient.scatterAddingRows(at: [5, 0, 5], rowCount: 6)   // row 5 gets two
    /// ```
    @inlinable
    public func scatterAddingRows(at indices: [Int], rowCount: Int) -> NDArray {
        precondition(rank >= 1 && shape[0] == indices.count,
                     "scatterAddingRows: \(indices.count) indices for rows of shape \(shapeText(shape))")
        let width = indices.isEmpty ? 0 : count / indices.count
        var out = [Scalar](repeating: 0, count: rowCount * width)
        storage.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                for (r, row) in indices.enumerated() {
                    precondition(row >= 0 && row < rowCount, "scatterAddingRows: row \(row) is outside 0..<\(rowCount)")
                    for j in 0..<width { o[row * width + j] += g[r * width + j] }
                }
            }
        }
        var newShape = shape
        newShape[0] = rowCount
        return NDArray(out, shape: newShape)
    }

    /// Zeros of `shape` with `self`'s elements placed along `axis` at `indices` (one per
    /// position of `self`, flat in row-major order of `shape` without `axis`), as PyTorch's
    /// `zeros(shape).scatter_(axis, indices, self)`: the gradient of a max along `axis`,
    /// routed to the positions that won (``argmax(axis:)``).
    ///
    /// ```swift
    /// let grad = g.placed(at: x.argmax(axis: 1), along: 1, in: x.shape)
    /// ```
    @inlinable
    public func placed(at indices: [Int], along axis: Int, in shape: [Int]) -> NDArray {
        var out = NDArray.zeros(shape)
        let (outer, size, inner, _) = out.axisSplit(axis, op: "placed(at:along:in:)")
        precondition(count == outer * inner && indices.count == count,
                     "placed(at:along:in:): \(count) values and \(indices.count) indices for shape \(shapeText(shape)) without axis \(axis)")
        out.withUnsafeMutableBufferPointer { o in
            storage.withUnsafeBufferPointer { g in
                for p in 0..<outer {
                    for i in 0..<inner {
                        let k = indices[p * inner + i]
                        precondition(k >= 0 && k < size, "placed(at:along:in:): index \(k) is outside 0..<\(size)")
                        o[(p * size + k) * inner + i] = g[p * inner + i]
                    }
                }
            }
        }
        return out
    }

    /// The elements at `indices` along `axis`, one index per position of the other axes (flat,
    /// row-major), with that axis removed, as PyTorch's `x.gather(axis, indices).squeeze(axis)`:
    /// the adjoint of ``placed(at:along:in:)``, and the gradient of a placement.
    ///
    /// ```swift
    /// let x = NDArray<Double>([1, 5, 2, 7, 3, 4], shape: [2, 3])
    /// x.picked(at: [1, 0], along: 1)   // [5, 7]
    /// ```
    @inlinable
    public func picked(at indices: [Int], along axis: Int) -> NDArray {
        let (outer, size, inner, a) = axisSplit(axis, op: "picked(at:along:)")
        precondition(indices.count == outer * inner,
                     "picked(at:along:): \(indices.count) indices for shape \(shapeText(shape)) without axis \(a) (\(outer * inner) needed)")
        var out = [Scalar](repeating: 0, count: outer * inner)
        storage.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<outer {
                    for i in 0..<inner {
                        let k = indices[p * inner + i]
                        precondition(k >= 0 && k < size, "picked(at:along:): index \(k) is outside 0..<\(size)")
                        o[p * inner + i] = x[(p * size + k) * inner + i]
                    }
                }
            }
        }
        var newShape = shape
        newShape.remove(at: a)
        return NDArray(out, shape: newShape)
    }

    /// Rows `range` of the first axis, as `x[a:b]` in NumPy.
    @inlinable
    public func rows(_ range: Range<Int>) -> NDArray {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows: \(range) is out of range for shape \(shapeText(shape))")
        let width = shape[0] == 0 ? 0 : count / shape[0]
        var newShape = shape
        newShape[0] = range.count
        return NDArray(Array(storage[(range.lowerBound * width)..<(range.upperBound * width)]), shape: newShape)
    }
}
