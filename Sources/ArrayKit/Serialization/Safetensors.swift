import Foundation

/// Reading and writing the safetensors format, the one `safetensors.torch.load_file` and
/// `safetensors.numpy.load_file` read: an 8-byte little-endian header length, a JSON
/// header mapping each name to `{"dtype", "shape", "data_offsets"}` (plus an optional
/// `"__metadata__"` string map), padded with spaces to a multiple of 8 bytes, then the
/// raw little-endian tensor bytes back to back.
///
/// ```swift
/// try Safetensors.write([("0.weight", w), ("0.bias", b)], to: url)
/// let file = try Safetensors.read(contentsOf: url)
/// let w2: NDArray<Float> = try file.array(named: "0.weight")
/// ```
public enum Safetensors {
    /// The largest header the reference implementation accepts (100 MB); a longer
    /// length prefix means a corrupt or hostile file, not a big model.
    public static let maximumHeaderLength = 100_000_000

    /// The file bytes for `tensors`, written in the given order (which is also the order
    /// of their data), as F32 for `Float` and F64 for `Double`, followed by any
    /// `integerTensors` as I64 (PyTorch's BatchNorm `num_batches_tracked` is one).
    ///
    /// With `checksum` (the default) the metadata also records SHA-256 digests of the data
    /// and of the header (``dataChecksumKey``, ``headerChecksumKey``), which ``decode(_:verifyingChecksums:)``
    /// checks; `checksum: false` writes exactly the bytes of the reference implementation.
    ///
    /// ```swift
    /// let bytes = Safetensors.encode([("w", NDArray<Float>([1, 2]))], metadata: ["format": "pt"])
    /// ```
    public static func encode<Scalar: NDScalar>(
        _ tensors: [(name: String, array: NDArray<Scalar>)], metadata: [String: String]? = nil,
        integerTensors: [(name: String, values: [Int64], shape: [Int])] = [], checksum: Bool = true
    ) -> Data {
        let allNames = tensors.map(\.name) + integerTensors.map(\.name)
        let names = Set(allNames)
        precondition(names.count == allNames.count, "Safetensors.encode: duplicate tensor names in \(allNames)")
        for t in integerTensors {
            precondition(t.shape.allSatisfy { $0 >= 0 } && t.shape.reduce(1, *) == t.values.count,
                         "Safetensors.encode: \(t.values.count) integers do not fill shape \(shapeText(t.shape)) of \"\(t.name)\"")
        }
        precondition(!names.contains("__metadata__"), "Safetensors.encode: \"__metadata__\" is reserved and cannot name a tensor")
        let dtype = dtypeName(Scalar.self), width = MemoryLayout<Scalar>.size
        var entries: [HeaderEntry] = []
        var offset = 0
        for (name, array) in tensors {
            entries.append(.init(name: name, dtype: dtype, shape: array.shape, offsets: [offset, offset + array.count * width]))
            offset += array.count * width
        }
        for (name, values, shape) in integerTensors {
            entries.append(.init(name: name, dtype: SafetensorsDType.i64.rawValue, shape: shape, offsets: [offset, offset + values.count * 8]))
            offset += values.count * 8
        }

        var body = Data(capacity: offset)
        for (_, array) in tensors {
            array.withUnsafeBufferPointer { elements in
                if isLittleEndianHost {
                    body.append(elements)
                } else {
                    for value in elements { appendLittleEndian(value, to: &body) }
                }
            }
        }
        for (_, values, _) in integerTensors {
            for value in values { withUnsafeBytes(of: value.littleEndian) { body.append(contentsOf: $0) } }
        }

        let metadata = checksum ? checksummed(metadata, tensors: entries, body: body) : metadata
        var headerBytes = Array(headerJSON(metadata: metadata, entries: entries).utf8)
        // Spaces (valid JSON whitespace) align the data section to 8 bytes, as the reference does.
        headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        var data = Data(capacity: 8 + headerBytes.count + body.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        data.append(body)
        return data
    }

    /// The header as compact JSON in the field order serde_json gives the reference writer
    /// (metadata keys sorted, then the tensors in data order), so a file written here is
    /// byte-identical to Python's for the same tensors and order. The header checksum is
    /// taken over this text too, rebuilt from what a reader parsed.
    static func headerJSON(metadata: [String: String]?, entries: [HeaderEntry]) -> String {
        var fields: [String] = []
        if let metadata {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            let offsets = entry.offsets.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offsets)]}")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The file bytes for a dictionary of arrays, with names in sorted order (as the
    /// reference writer orders tensors of one dtype).
    public static func encode<Scalar: NDScalar>(_ tensors: [String: NDArray<Scalar>], metadata: [String: String]? = nil,
                                                checksum: Bool = true) -> Data {
        encode(tensors.keys.sorted().map { (name: $0, array: tensors[$0]!) }, metadata: metadata, checksum: checksum)
    }

    /// Writes `tensors`, in order, to `url` atomically (the file is complete or absent),
    /// with checksums unless `checksum` is false (see ``encode(_:metadata:integerTensors:checksum:)``).
    ///
    /// ```swift
    /// try Safetensors.write([("0.weight", w), ("0.bias", b)], to: url, metadata: ["format": "pt"])
    /// ```
    public static func write<Scalar: NDScalar>(
        _ tensors: [(name: String, array: NDArray<Scalar>)], to url: URL, metadata: [String: String]? = nil,
        integerTensors: [(name: String, values: [Int64], shape: [Int])] = [], checksum: Bool = true
    ) throws {
        try writeAtomically(encode(tensors, metadata: metadata, integerTensors: integerTensors, checksum: checksum), to: url)
    }

    /// Writes a dictionary of arrays to `url` atomically, names sorted.
    public static func write<Scalar: NDScalar>(
        _ tensors: [String: NDArray<Scalar>], to url: URL, metadata: [String: String]? = nil, checksum: Bool = true
    ) throws {
        try writeAtomically(encode(tensors, metadata: metadata, checksum: checksum), to: url)
    }

    /// Reads and validates the file at `url`, checksums included; see ``decode(_:verifyingChecksums:)``.
    public static func read(contentsOf url: URL, verifyingChecksums: Bool = true) throws(SafetensorsError) -> SafetensorsFile {
        let data: Data
        do { data = try readRegularFile(url) } catch {
            throw .cannotRead(path: url.path, reason: error.description)
        }
        return try decode(data, verifyingChecksums: verifyingChecksums)
    }

    static func dtypeName<Scalar: NDScalar>(_: Scalar.Type) -> String {
        MemoryLayout<Scalar>.size == 4 ? SafetensorsDType.f32.rawValue : SafetensorsDType.f64.rawValue
    }

    static let isLittleEndianHost = UInt16(1).littleEndian == 1

    static func appendLittleEndian<Scalar: NDScalar>(_ value: Scalar, to data: inout Data) {
        if let f = value as? Float {
            withUnsafeBytes(of: f.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: Double(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
    }

    /// A JSON string literal escaped as serde_json escapes it: quote, backslash and
    /// control characters; everything else (including non-ASCII) as raw UTF-8.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let c where c.value < 0x20:
                out += "\\u00" + (c.value < 0x10 ? "0" : "") + String(c.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A validated safetensors file: its metadata and tensor directory, with the bytes
/// behind them. Arrays are converted on request, to `Float` or `Double`.
///
/// ```swift
/// let file = try Safetensors.read(contentsOf: url)
/// for entry in file.entries { print(entry.name, entry.dtype, entry.shape) }
/// let all: [String: NDArray<Float>] = try file.arrays()
/// ```
public struct SafetensorsFile: Sendable {
    /// One tensor's directory entry.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name, such as `"0.weight"`.
        public let name: String
        /// The element type.
        public let dtype: SafetensorsDType
        /// The size of each axis; `[]` for a scalar.
        public let shape: [Int]
        /// The byte range within the data section.
        public let byteRange: Range<Int>
    }

    /// The `"__metadata__"` map (empty when the file has none).
    public let metadata: [String: String]
    /// The tensors in the order of their data.
    public let entries: [Entry]
    /// The data section (everything after the header).
    let body: Data

    /// The tensor names in the order of their data.
    public var names: [String] { entries.map(\.name) }

    /// Each tensor's shape, by name (what ``StateDict/check(loaded:expected:strict:)`` takes).
    public var shapes: [String: [Int]] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.shape) })
    }

    /// The tensor `name` converted to `Scalar` (F32, F64, F16 and BF16 convert; integer
    /// types throw ``SafetensorsError/unsupportedDType(tensor:dtype:requested:)``).
    ///
    /// ```swift
    /// let w: NDArray<Double> = try file.array(named: "0.weight")
    /// ```
    public func array<Scalar: NDScalar>(named name: String, as _: Scalar.Type = Scalar.self) throws(SafetensorsError) -> NDArray<Scalar> {
        guard let entry = entries.first(where: { $0.name == name }) else { throw .missingTensor(name) }
        return try convert(entry)
    }

    /// Every tensor converted to `Scalar`, in data order.
    public func orderedArrays<Scalar: NDScalar>(as _: Scalar.Type = Scalar.self) throws(SafetensorsError) -> [(name: String, array: NDArray<Scalar>)] {
        var result: [(name: String, array: NDArray<Scalar>)] = []
        for entry in entries { result.append((entry.name, try convert(entry))) }
        return result
    }

    /// Every tensor converted to `Scalar`, by name.
    public func arrays<Scalar: NDScalar>(as type: Scalar.Type = Scalar.self) throws(SafetensorsError) -> [String: NDArray<Scalar>] {
        Dictionary(uniqueKeysWithValues: try orderedArrays(as: type).map { ($0.name, $0.array) })
    }
}
