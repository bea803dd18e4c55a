/// Where an array read from a file holds NaN or ±infinity: how many such elements, and
/// the first one. Weights or inputs like that would turn every loss into NaN one step
/// later, far from the cause, so loaders look for them up front and refuse the file.
///
/// ```swift
/// let w = NDArray<Float>([1, .nan, 3, .infinity], shape: [2, 2])
/// if let bad = w.nonFiniteValues(named: "0.weight") {
///     print(bad)   // "0.weight" (2, 2) holds 2 non-finite values, the first nan at [0, 1]
/// }
/// ```
public struct NonFiniteValues: Equatable, Sendable, CustomStringConvertible {
    /// The tensor's (or file's) name.
    public let name: String
    /// The tensor's shape.
    public let shape: [Int]
    /// How many elements are NaN or infinite.
    public let count: Int
    /// The row-major multi-index of the first one.
    public let firstIndex: [Int]
    /// Its value (NaN, `inf` or `-inf`), widened to `Double`.
    public let firstValue: Double

    /// A summary from its parts; ``scan(name:shape:element:)`` builds one from the elements.
    public init(name: String, shape: [Int], count: Int, firstIndex: [Int], firstValue: Double) {
        self.name = name
        self.shape = shape
        self.count = count
        self.firstIndex = firstIndex
        self.firstValue = firstValue
    }

    public var description: String {
        let where_ = "[" + firstIndex.map(String.init).joined(separator: ", ") + "]"
        return "\"\(name)\" \(shapeText(shape)) holds \(count) non-finite value\(count == 1 ? "" : "s"), "
            + "the first \(firstValue) at \(where_)"
    }

    /// Scans `count` elements read by `element(i)`; nil when every one is finite.
    ///
    /// ```swift
    /// NonFiniteValues.scan(name: "x", shape: [3]) { [1.0, .nan, 2.0][$0] }   // count 1 at [1]
    /// ```
    @inlinable
    public static func scan(name: String, shape: [Int], element: (Int) -> Double) -> NonFiniteValues? {
        let total = shape.reduce(1, *)
        var first = -1, count = 0
        for i in 0..<total where !element(i).isFinite {
            if first < 0 { first = i }
            count += 1
        }
        guard first >= 0 else { return nil }
        return NonFiniteValues(name: name, shape: shape, count: count,
                               firstIndex: unravel(first, in: shape), firstValue: element(first))
    }

    /// The row-major multi-index of flat index `flat` in `shape`.
    public static func unravel(_ flat: Int, in shape: [Int]) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

/// Arrays that must be finite but are not; the text lists each with its first bad element
/// and says what to do.
///
/// ```swift
/// do { try w.requireFinite(named: "0.weight") }
/// catch { print(error) }   // non-finite values: "0.weight" (2, 2) holds 1 … — the data is …
/// ```
public struct NonFiniteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One entry per offending array.
    public let arrays: [NonFiniteValues]

    /// An error naming each offending array.
    public init(arrays: [NonFiniteValues]) { self.arrays = arrays }

    public var description: String {
        "non-finite values (NaN or infinity): " + arrays.map(\.description).joined(separator: "; ")
            + " — the file comes from a run that diverged or is corrupt; use an earlier checkpoint or regenerate it"
    }
}

extension NDArray {
    /// The NaN and infinite elements of this array, or nil when it has none.
    ///
    /// ```swift
    /// NDArray<Float>([1, 2]).nonFiniteValues(named: "b")   // nil
    /// ```
    @inlinable
    public func nonFiniteValues(named name: String) -> NonFiniteValues? {
        // The fast path (everything finite) is one pass with no per-element branch on the index.
        let allFinite = withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
        if allFinite { return nil }
        return withUnsafeBufferPointer { buffer in
            NonFiniteValues.scan(name: name, shape: shape) { Double(buffer[$0]) }
        }
    }

    /// Throws ``NonFiniteError`` if any element is NaN or infinite.
    ///
    /// ```swift
    /// try inputs.requireFinite(named: "inputs.npy")
    /// ```
    @inlinable
    public func requireFinite(named name: String) throws(NonFiniteError) {
        if let bad = nonFiniteValues(named: name) { throw NonFiniteError(arrays: [bad]) }
    }
}

extension NPYArray {
    /// The NaN and infinite elements of a floating-point array (integers have none).
    ///
    /// ```swift
    /// try NPYArray(contentsOf: url).nonFiniteValues(named: url.lastPathComponent)
    /// ```
    public func nonFiniteValues(named name: String) -> NonFiniteValues? {
        switch self {
        case .float32(let a): a.nonFiniteValues(named: name)
        case .float64(let a): a.nonFiniteValues(named: name)
        case .int64, .uint8: nil
        }
    }
}

/// The number of bytes an array of `shape` with `elementSize`-byte elements occupies, or nil
/// when the product of its non-zero sizes overflows `Int`. NumPy refuses such shapes even
/// when a zero size makes them empty ("array is too big"), and so do the readers here: a
/// shape like (0, 2⁴⁰, 2⁴⁰) would otherwise load and then trap in any stride computation.
///
/// ```swift
/// checkedByteCount(shape: [0, 1 << 40, 1 << 40], elementSize: 4)   // nil
/// ```
func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
    var product = elementSize
    var empty = false
    for size in shape {
        precondition(size >= 0, "checkedByteCount: negative size in \(shapeText(shape))")
        if size == 0 { empty = true; continue }
        let (next, overflow) = product.multipliedReportingOverflow(by: size)
        if overflow { return nil }
        product = next
    }
    return empty ? 0 : product
}

extension SafetensorsFile {
    /// The NaN and infinite elements of every floating-point tensor (F16, BF16, F32, F64),
    /// read from the file's bytes without converting anything; empty when all are finite.
    ///
    /// ```swift
    /// let file = try Safetensors.read(contentsOf: url)
    /// for bad in file.nonFiniteValues() { print(bad) }
    /// ```
    public func nonFiniteValues() -> [NonFiniteValues] {
        body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            entries.compactMap { entry -> NonFiniteValues? in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
                // Non-finite means an all-ones exponent, whatever the width.
                func scan<Bits: FixedWidthInteger>(_: Bits.Type, exponent: Bits, value: @escaping (Bits) -> Double) -> NonFiniteValues? {
                    let bits = { (i: Int) in Bits(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<Bits>.size, as: Bits.self)) }
                    let count = bytes.count / MemoryLayout<Bits>.size
                    guard (0..<count).contains(where: { bits($0) & exponent == exponent }) else { return nil }
                    return NonFiniteValues.scan(name: entry.name, shape: entry.shape) { value(bits($0)) }
                }
                switch entry.dtype {
                case .f32: return scan(UInt32.self, exponent: 0x7F80_0000) { Double(Float(bitPattern: $0)) }
                case .f64: return scan(UInt64.self, exponent: 0x7FF0_0000_0000_0000) { Double(bitPattern: $0) }
                case .bf16: return scan(UInt16.self, exponent: 0x7F80) { Double(Float(bitPattern: UInt32($0) << 16)) }
                case .f16: return scan(UInt16.self, exponent: 0x7C00) { Double(halfToFloat($0)) }
                default: return nil
                }
            }
        }
    }

    /// Throws ``NonFiniteError`` naming every floating-point tensor that holds NaN or
    /// infinity: what a loader of weights runs before using any of them.
    ///
    /// ```swift
    /// let file = try Safetensors.read(contentsOf: url)
    /// try file.requireFinite()
    /// ```
    public func requireFinite() throws(NonFiniteError) {
        let bad = nonFiniteValues()
        if !bad.isEmpty { throw NonFiniteError(arrays: bad) }
    }
}
