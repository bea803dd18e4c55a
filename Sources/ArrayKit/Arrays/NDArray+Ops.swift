import RealModule

// Elementwise arithmetic with NumPy broadcasting: array∘array, array∘scalar, scalar∘array.
extension NDArray {
    /// Elementwise sum, the shapes broadcast as in NumPy.
    @inlinable public static func + (a: NDArray, b: NDArray) -> NDArray { a.zipWith(b, op: "add", +) }
    /// Elementwise difference, the shapes broadcast as in NumPy.
    @inlinable public static func - (a: NDArray, b: NDArray) -> NDArray { a.zipWith(b, op: "subtract", -) }
    /// Elementwise product (not a matrix product), the shapes broadcast as in NumPy.
    @inlinable public static func * (a: NDArray, b: NDArray) -> NDArray { a.zipWith(b, op: "multiply", *) }
    /// Elementwise quotient, the shapes broadcast as in NumPy.
    @inlinable public static func / (a: NDArray, b: NDArray) -> NDArray { a.zipWith(b, op: "divide", /) }

    /// `b` added to every element.
    @inlinable public static func + (a: NDArray, b: Scalar) -> NDArray { a.map { $0 + b } }
    /// `b` subtracted from every element.
    @inlinable public static func - (a: NDArray, b: Scalar) -> NDArray { a.map { $0 - b } }
    /// Every element times `b`.
    @inlinable public static func * (a: NDArray, b: Scalar) -> NDArray { a.map { $0 * b } }
    /// Every element divided by `b`.
    @inlinable public static func / (a: NDArray, b: Scalar) -> NDArray { a.map { $0 / b } }

    /// `a` added to every element.
    @inlinable public static func + (a: Scalar, b: NDArray) -> NDArray { b.map { a + $0 } }
    /// `a` minus each element.
    @inlinable public static func - (a: Scalar, b: NDArray) -> NDArray { b.map { a - $0 } }
    /// `a` times every element.
    @inlinable public static func * (a: Scalar, b: NDArray) -> NDArray { b.map { a * $0 } }
    /// `a` divided by each element.
    @inlinable public static func / (a: Scalar, b: NDArray) -> NDArray { b.map { a / $0 } }

    /// Every element negated.
    @inlinable public static prefix func - (a: NDArray) -> NDArray { a.map { -$0 } }

    /// Adds `b` in place; `b` must broadcast to `a`'s shape.
    @inlinable public static func += (a: inout NDArray, b: NDArray) { a.formZip(b, op: "add", +) }
    /// Subtracts `b` in place; `b` must broadcast to `a`'s shape.
    @inlinable public static func -= (a: inout NDArray, b: NDArray) { a.formZip(b, op: "subtract", -) }
    /// Multiplies by `b` elementwise in place; `b` must broadcast to `a`'s shape.
    @inlinable public static func *= (a: inout NDArray, b: NDArray) { a.formZip(b, op: "multiply", *) }
    /// Adds `b` to every element in place.
    @inlinable public static func += (a: inout NDArray, b: Scalar) { a.formMap { $0 + b } }
    /// Multiplies every element by `b` in place.
    @inlinable public static func *= (a: inout NDArray, b: Scalar) { a.formMap { $0 * b } }

    /// A new array with `f` applied to every element.
    @inlinable
    public func map(_ f: (Scalar) -> Scalar) -> NDArray {
        // Written into fresh storage, not into a copy: no copy to make first, and a select
        // such as `x > 0 ? x : 0` stays a vectorizable select instead of becoming a
        // branch around a store of 0.
        let out = storage.withUnsafeBufferPointer { x in
            [Scalar](unsafeUninitializedCapacity: x.count) { o, initialized in
                for i in 0..<x.count { o[i] = f(x[i]) }
                initialized = x.count
            }
        }
        return NDArray(out, shape: shape)
    }

    /// Applies `f` to every element in place.
    @inlinable
    public mutating func formMap(_ f: (Scalar) -> Scalar) {
        storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<o.count { o[i] = f(o[i]) }
        }
    }

    /// `self = f(self, other)` in place; `other` must broadcast to `self`'s shape.
    @inlinable
    public mutating func formZip(_ other: NDArray, op: String, _ f: (Scalar, Scalar) -> Scalar) {
        if other.shape == shape {
            storage.withUnsafeMutableBufferPointer { o in
                other.storage.withUnsafeBufferPointer { b in
                    for i in 0..<o.count { o[i] = f(o[i], b[i]) }
                }
            }
        } else {
            let result = zipWith(other, op: op, f)
            precondition(result.shape == shape,
                         "\(op) in place: \(shapeText(other.shape)) does not broadcast to \(shapeText(shape))")
            self = result
        }
    }
}

// Elementwise functions.
extension NDArray {
    /// Elementwise `eˣ`.
    @inlinable public func exp() -> NDArray { map { .exp($0) } }
    /// Elementwise natural logarithm.
    @inlinable public func log() -> NDArray { map { .log($0) } }
    /// Elementwise square root.
    @inlinable public func sqrt() -> NDArray { map { .sqrt($0) } }
    /// Elementwise hyperbolic tangent.
    @inlinable public func tanh() -> NDArray { map { .tanh($0) } }
    /// Elementwise absolute value.
    @inlinable public func abs() -> NDArray { map { Swift.abs($0) } }
    /// Elementwise `x²`.
    @inlinable public func squared() -> NDArray { map { $0 * $0 } }
    /// Elementwise `self ** exponent`, as `numpy.power` and C's `pow`: a negative base has a
    /// power when the exponent is a whole number (`(−2)⁴ = 16`, `(−2)³ = −8`) and is NaN
    /// otherwise, and `x⁰ = 1` for every x, 0 included.
    @inlinable public func pow(_ exponent: Scalar) -> NDArray {
        map { NDArray.power($0, exponent) }
    }

    /// `x ** y` for one element, as C's `pow`. Swift Numerics' `pow(x, y)` is NaN for x < 0
    /// and for 0⁰; its `pow(x, n)` for a whole-number exponent calls the same `powf`/`pow`
    /// of the C library, which handles both.
    @inlinable public static func power(_ x: Scalar, _ y: Scalar) -> Scalar {
        if let n = Int(exactly: y) { return .pow(x, n) }
        return .pow(x, y)
    }

    /// Elementwise larger of the two (NaN-propagating, as `numpy.maximum`).
    @inlinable public func maximum(_ other: NDArray) -> NDArray {
        zipWith(other, op: "maximum") { a, b in a.isNaN || a > b ? a : b }
    }
    /// Elementwise smaller of the two (NaN-propagating, as `numpy.minimum`).
    @inlinable public func minimum(_ other: NDArray) -> NDArray {
        zipWith(other, op: "minimum") { a, b in a.isNaN || a < b ? a : b }
    }
    /// Every element raised to at least `value` (NaN stays NaN), as `numpy.maximum(a, value)`.
    @inlinable public func maximum(_ value: Scalar) -> NDArray { map { $0.isNaN || $0 > value ? $0 : value } }
    /// Every element limited to at most `value` (NaN stays NaN), as `numpy.minimum(a, value)`.
    @inlinable public func minimum(_ value: Scalar) -> NDArray { map { $0.isNaN || $0 < value ? $0 : value } }

    /// Every element limited to `[low, high]`, as `numpy.clip`.
    @inlinable public func clipped(_ low: Scalar, _ high: Scalar) -> NDArray {
        precondition(low <= high, "clipped: low \(low) is above high \(high)")
        return map { Swift.min(Swift.max($0, low), high) }
    }
}

// Comparisons give masks: 1 where the comparison holds, 0 elsewhere, in the array's own
// scalar type so a mask multiplies directly (as in a ReLU backward pass).
extension NDArray {
    /// 1 where `self > other` (broadcast), 0 elsewhere.
    @inlinable public func isGreater(than other: NDArray) -> NDArray { zipWith(other, op: "isGreater") { $0 > $1 ? 1 : 0 } }
    /// 1 where `self < other` (broadcast), 0 elsewhere.
    @inlinable public func isLess(than other: NDArray) -> NDArray { zipWith(other, op: "isLess") { $0 < $1 ? 1 : 0 } }
    /// 1 where `self == other` (broadcast), 0 elsewhere.
    @inlinable public func isEqual(to other: NDArray) -> NDArray { zipWith(other, op: "isEqual") { $0 == $1 ? 1 : 0 } }
    /// 1 where an element is greater than `value`, 0 elsewhere.
    @inlinable public func isGreater(than value: Scalar) -> NDArray { map { $0 > value ? 1 : 0 } }
    /// 1 where an element is less than `value`, 0 elsewhere.
    @inlinable public func isLess(than value: Scalar) -> NDArray { map { $0 < value ? 1 : 0 } }
    /// 1 where an element is at least `value`, 0 elsewhere.
    @inlinable public func isGreaterOrEqual(to value: Scalar) -> NDArray { map { $0 >= value ? 1 : 0 } }

    /// True when every element is finite (no NaN, no infinity).
    @inlinable public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// True when both have the same shape and elements within `rtol·|b| + atol`.
    public func isClose(to other: NDArray, rtol: Scalar = 1e-5, atol: Scalar = 1e-8) -> Bool {
        guard shape == other.shape else { return false }
        return zip(storage, other.storage).allSatisfy { a, b in Swift.abs(a - b) <= atol + rtol * Swift.abs(b) }
    }
}
