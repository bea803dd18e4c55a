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
