/// An n-dimensional array of `Float` or `Double`, stored contiguously in row-major
/// (C) order, with value semantics (copy on write), in the role NumPy's `ndarray` plays.
///
/// ```swift
/// let x = NDArray<Float>([1, 2, 3, 4, 5, 6], shape: [2, 3])
/// let y = (x * 2 + 1).sum(axis: 1)      // [8, 20]
/// ```
public struct NDArray<Scalar: NDScalar>: Sendable {
    /// The size of each axis; `[]` for a scalar (rank 0).
    @inlinable public var shape: [Int] { _shape }
    @usableFromInline internal var _shape: [Int]
    @usableFromInline internal var storage: [Scalar]

    /// Wraps `scalars`, read in row-major order, as an array of `shape`.
    ///
    /// ```swift
    /// let m = NDArray<Double>([1, 2, 3, 4], shape: [2, 2])
    /// ```
    @inlinable
    public init(_ scalars: [Scalar], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NDArray: negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        precondition(scalars.count == count,
                     "NDArray: \(scalars.count) scalars do not fill shape \(shape) (\(count) needed)")
        self._shape = shape
        self.storage = scalars
    }

    /// A one-dimensional array of `scalars`.
    @inlinable
    public init(_ scalars: [Scalar]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A rank-0 array holding `value`.
    @inlinable
    public init(scalar value: Scalar) {
        self.init([value], shape: [])
    }

    /// An array of `shape` whose elements are `f(i)` for the flat (row-major) index `i`.
    @inlinable
    public init(shape: [Int], flatIndex f: (Int) -> Scalar) {
        let count = shape.reduce(1, *)
        self.init((0..<count).map(f), shape: shape)
    }

    /// Converts another precision's array element by element.
    @inlinable
    public init<Other: NDScalar>(_ other: NDArray<Other>) {
        self.init(other.storage.map { Scalar($0) }, shape: other.shape)
    }

    /// The elements in row-major order.
    @inlinable public var scalars: [Scalar] { storage }
    /// The number of elements (the product of the shape).
    @inlinable public var count: Int { storage.count }
    /// The number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The value of a one-element array.
    @inlinable public var scalar: Scalar {
        precondition(count == 1, "scalar: array of shape \(shape) has \(count) elements, not 1")
        return storage[0]
    }

    /// Whether the shape is `[rows, columns]`; unlike `shape == [rows, columns]` it
    /// allocates no array, so hot paths can check shapes on every step.
    @inlinable
    func isMatrix(_ rows: Int, _ columns: Int) -> Bool {
        _shape.count == 2 && _shape[0] == rows && _shape[1] == columns
    }

    /// Row-major strides in elements.
    public var strides: [Int] { NDArray.strides(for: shape) }

    @inlinable
    static func strides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in shape.indices.reversed() {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Calls `body` with the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the contiguous elements, which it may change in place.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// The element at a full multi-index, e.g. `m[1, 2]`.
    @inlinable
    public subscript(_ index: Int...) -> Scalar {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    @inlinable
    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank,
                     "subscript: \(index.count) indices for an array of shape \(shape)")
        var flat = 0
        for axis in 0..<rank {
            precondition(index[axis] >= 0 && index[axis] < shape[axis],
                         "subscript: index \(index) out of range for shape \(shape)")
            flat = flat * shape[axis] + index[axis]
        }
        return flat
    }
}

// MARK: - Creation

extension NDArray {
    /// An array of `shape` filled with `value`.
    ///
    /// ```swift
    /// let sevens = NDArray<Float>.full([2, 3], 7)
    /// ```
    @inlinable
    public static func full(_ shape: [Int], _ value: Scalar) -> NDArray {
        precondition(shape.allSatisfy { $0 >= 0 }, "full: negative dimension in shape \(shape)")
        return NDArray(Array(repeating: value, count: shape.reduce(1, *)), shape: shape)
    }

    /// An array of zeros.
    @inlinable public static func zeros(_ shape: [Int]) -> NDArray { full(shape, 0) }

    /// An array of `shape` whose elements are left uninitialized, for a result that is
    /// written in full before anything reads it (a product with beta = 0, rows of a bias):
    /// zeroing it first would be a wasted pass over memory. Debug builds (and so the tests)
    /// fill it with NaN instead, so that an element left unwritten shows up in the results.
    @inlinable
    static func unfilled(_ shape: [Int]) -> NDArray {
        let count = shape.reduce(1, *)
        let storage = [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if DEBUG
            buffer.initialize(repeating: .nan)
            #endif
            initialized = count
        }
        return NDArray(storage, shape: shape)
    }
    /// An array of ones.
    @inlinable public static func ones(_ shape: [Int]) -> NDArray { full(shape, 1) }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> NDArray {
        var result = zeros([n, n])
        for i in 0..<n { result.storage[i * n + i] = 1 }
        return result
    }

    /// Evenly spaced values in `[start, stop)`, as `numpy.arange`.
    ///
    /// ```swift
    /// NDArray<Double>.arange(0, 1, step: 0.25)   // [0, 0.25, 0.5, 0.75]
    /// ```
    public static func arange(_ start: Scalar, _ stop: Scalar, step: Scalar = 1) -> NDArray {
        precondition(step != 0 && step.isFinite, "arange: step must be finite and non-zero, got \(step)")
        let n = Swift.max(0, Int(((stop - start) / step).rounded(.up)))
        return NDArray((0..<n).map { start + Scalar($0) * step })
    }

    /// `count` evenly spaced values from `start` to `stop` inclusive, as `numpy.linspace`.
    public static func linspace(_ start: Scalar, _ stop: Scalar, count: Int) -> NDArray {
        precondition(count >= 0, "linspace: count must be ≥ 0, got \(count)")
        if count == 1 { return NDArray([start]) }
        let step = (stop - start) / Scalar(count - 1)
        return NDArray((0..<count).map { $0 == count - 1 ? stop : start + Scalar($0) * step })
    }
}

extension NDArray: Equatable {}

extension NDArray: CustomStringConvertible {
    public var description: String {
        func render(_ axis: Int, _ offset: Int) -> String {
            if axis == rank { return "\(storage[offset])" }
            let stride = strides[axis]
            let items = (0..<shape[axis]).map { render(axis + 1, offset + $0 * stride) }
            // Rows of a matrix line up under each other, as NumPy prints them.
            let separator = axis == rank - 1 ? ", " : "," + String(repeating: "\n", count: rank - 1 - axis)
                + String(repeating: " ", count: axis + 1)
            return "[" + items.joined(separator: separator) + "]"
        }
        return rank == 0 ? "\(storage[0])" : render(0, 0)
    }
}
