import Foundation

/// An n-dimensional array of integers (labels, indices, pixel bytes), row-major, as it
/// comes from or goes to a `.npy` file. Arithmetic lives on ``NDArray``; convert with
/// `NDArray<Float>(labels.scalars.map(Float.init), shape: labels.shape)`.
///
/// ```swift
/// let labels = IntegerArray<UInt8>([3, 1, 4], shape: [3])
/// try NPYArray.uint8(labels).write(to: url)
/// ```
public struct IntegerArray<Element: FixedWidthInteger & Sendable>: Equatable, Sendable {
    /// The size of each axis; `[]` for a scalar.
    public let shape: [Int]
    /// The elements in row-major order.
    public let scalars: [Element]

    /// Wraps `scalars`, read in row-major order, as an array of `shape`.
    public init(_ scalars: [Element], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "IntegerArray: negative dimension in shape \(shapeText(shape))")
        let count = shape.reduce(1, *)
        precondition(scalars.count == count,
                     "IntegerArray: \(scalars.count) scalars do not fill shape \(shapeText(shape)) (\(count) needed)")
        self.shape = shape
        self.scalars = scalars
    }
}

/// The contents of a `.npy` file (NumPy's own array format): one C-order array of
/// little-endian `float32`, `float64`, `int64` or `uint8`.
///
/// ```swift
/// switch try NPYArray(contentsOf: URL(fileURLWithPath: "weights.npy")) {
/// case .float32(let w): print(w.shape)
/// case .float64(let w): print(w.shape)
/// case .int64(let labels): print(labels.scalars.prefix(10))
/// case .uint8(let pixels): print(pixels.shape)
/// }
/// ```
public enum NPYArray: Equatable, Sendable {
    /// `<f4`: NumPy `float32`.
    case float32(NDArray<Float>)
    /// `<f8`: NumPy `float64`.
    case float64(NDArray<Double>)
    /// `<i8`: NumPy `int64` (labels, indices).
    case int64(IntegerArray<Int>)
    /// `|u1`: NumPy `uint8` (pixels, small labels).
    case uint8(IntegerArray<UInt8>)

    /// The dtype descriptor NumPy uses for this case (`<f4`, `<f8`, `<i8`, `|u1`).
    public var descriptor: String {
        switch self {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int64: "<i8"
        case .uint8: "|u1"
        }
    }

    /// The array's shape.
    public var shape: [Int] {
        switch self {
        case .float32(let a): a.shape
        case .float64(let a): a.shape
        case .int64(let a): a.shape
        case .uint8(let a): a.shape
        }
    }

    /// Reads a `.npy` file. Any malformed input throws an ``NPYError`` naming the problem.
    public init(contentsOf url: URL) throws(NPYError) {
        try self.init(npyData: try NPYArray.readFile(url))
    }

    /// Decodes the bytes of a `.npy` file, validating every field before it is used.
    ///
    /// ```swift
    /// let a = try NPYArray(npyData: Data(contentsOf: url))
    /// ```
    public init(npyData data: Data) throws(NPYError) {
        let result: Result<NPYArray, NPYError> = data.withUnsafeBytes { bytes in
            do throws(NPYError) {
                let header = try NPYFormat.parseHeader(bytes)
                switch NPYArray.canonicalDescriptor(header.descr) {
                case "<f4":
                    return .success(.float32(NDArray(try decodeElements(bytes, header), shape: header.shape)))
                case "<f8":
                    return .success(.float64(NDArray(try decodeElements(bytes, header), shape: header.shape)))
                case "<i8":
                    return .success(.int64(IntegerArray(try decodeElements(bytes, header), shape: header.shape)))
                case "|u1":
                    return .success(.uint8(IntegerArray(try decodeElements(bytes, header), shape: header.shape)))
                default:
                    throw NPYError.unsupportedDType(header.descr)
                }
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// The bytes of a `.npy` file (format 1.0, or 2.0 if the header needs it) holding this array.
    public var npyData: Data {
        switch self {
        case .float32(let a): a.withUnsafeBufferPointer { encodeNPY(descr: "<f4", shape: a.shape, UnsafeRawBufferPointer($0)) }
        case .float64(let a): a.withUnsafeBufferPointer { encodeNPY(descr: "<f8", shape: a.shape, UnsafeRawBufferPointer($0)) }
        case .int64(let a): a.scalars.withUnsafeBytes { encodeNPY(descr: "<i8", shape: a.shape, $0) }
        case .uint8(let a): a.scalars.withUnsafeBytes { encodeNPY(descr: "|u1", shape: a.shape, $0) }
        }
    }

    /// Writes this array as a `.npy` file, atomically (see ``writeAtomically(_:to:)``).
    public func write(to url: URL) throws {
        try writeAtomically(npyData, to: url)
    }

    /// Maps the spellings NumPy accepts for our four dtypes to one: `=` means native
    /// order, which is little-endian on every platform Swift runs this package on, and
    /// byte order does not apply to one-byte integers.
    static func canonicalDescriptor(_ descr: String) -> String {
        switch descr {
        case "<f4", "=f4": "<f4"
        case "<f8", "=f8": "<f8"
        case "<i8", "=i8": "<i8"
        case "|u1", "<u1", ">u1", "=u1": "|u1"
        default: descr
        }
    }

    static func readFile(_ url: URL) throws(NPYError) -> Data {
        do { return try readRegularFile(url) } catch {
            throw .unreadable(path: url.path, reason: error.description)
        }
    }
}

// Int is 64 bits on every platform this package supports; `<i8` maps onto it.
private let intIs64Bit: Void = precondition(Int.bitWidth == 64, "NPY: Int must be 64 bits wide")

/// Copies the data section of a validated `.npy` into an array of `T`, checking that its
/// length is exactly what the shape needs.
private func decodeElements<T: FixedWidthIntegerOrFloat>(
    _ bytes: UnsafeRawBufferPointer, _ header: NPYFormat.Header
) throws(NPYError) -> [T] {
    _ = intIs64Bit
    guard let byteCount = checkedByteCount(shape: header.shape, elementSize: MemoryLayout<T>.stride) else {
        throw .invalidShape("the byte count of \(shapeText(header.shape)) overflows")
    }
    let count = byteCount / MemoryLayout<T>.stride
    let available = bytes.count - header.dataOffset
    if available < byteCount {
        throw .truncatedData(shape: header.shape, dtype: header.descr, expectedBytes: byteCount, actualBytes: available)
    }
    if available > byteCount {
        throw .shapeMismatch(shape: header.shape, dtype: header.descr, expectedBytes: byteCount, actualBytes: available)
    }
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        let target = UnsafeMutableRawBufferPointer(buffer)
        if byteCount > 0 {
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...]))
        }
        #if _endian(big)
        for i in 0..<count { target[(i * MemoryLayout<T>.stride)..<((i + 1) * MemoryLayout<T>.stride)].reverse() }
        #endif
        initialized = count
    }
}

/// The element types a `.npy` file can hold here; all are plain bit patterns.
protocol FixedWidthIntegerOrFloat: BitwiseCopyable {}
extension Float: FixedWidthIntegerOrFloat {}
extension Double: FixedWidthIntegerOrFloat {}
extension Int: FixedWidthIntegerOrFloat {}
extension UInt8: FixedWidthIntegerOrFloat {}

/// Header plus raw little-endian element bytes.
private func encodeNPY(descr: String, shape: [Int], _ elements: UnsafeRawBufferPointer) -> Data {
    var data = Data(NPYFormat.encodeHeader(descr: descr, shape: shape))
    #if _endian(big)
    #error("NPY writing assumes a little-endian host")
    #endif
    data.append(contentsOf: elements)
    return data
}

extension NDArray {
    /// Reads a `.npy` file whose dtype is this array's (`<f4` for `Float`, `<f8` for
    /// `Double`); any other dtype throws ``NPYError/typeMismatch(requested:found:)``.
    ///
    /// ```swift
    /// let w = try NDArray<Float>(npyContentsOf: URL(fileURLWithPath: "w.npy"))
    /// ```
    public init(npyContentsOf url: URL) throws(NPYError) {
        try self.init(npyData: try NPYArray.readFile(url))
    }

    /// Decodes the bytes of a `.npy` file of this array's dtype.
    public init(npyData data: Data) throws(NPYError) {
        let file = try NPYArray(npyData: data)
        switch file {
        case .float32(let a as NDArray<Scalar>), .float64(let a as NDArray<Scalar>):
            self = a
        default:
            throw .typeMismatch(requested: "\(Scalar.numpyDescriptor) (\(Scalar.self))", found: file.descriptor)
        }
    }

    /// The bytes of a `.npy` file holding this array.
    public var npyData: Data {
        withUnsafeBufferPointer { encodeNPY(descr: Scalar.numpyDescriptor, shape: shape, UnsafeRawBufferPointer($0)) }
    }

    /// Writes this array as a `.npy` file that `numpy.load` reads, atomically.
    ///
    /// ```swift
    /// try weights.writeNPY(to: URL(fileURLWithPath: "w.npy"))   // numpy.load("w.npy")
    /// ```
    public func writeNPY(to url: URL) throws {
        try writeAtomically(npyData, to: url)
    }
}
