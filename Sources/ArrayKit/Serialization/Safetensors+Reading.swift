import Foundation

// Reading treats every file as untrusted: the header length is bounded before anything is
// allocated, all arithmetic on sizes is overflow-checked, and the directory must describe
// exactly the bytes that follow it (contiguous, non-overlapping, each range the size its
// shape and dtype need), the same rules the reference implementation's `validate` applies.
extension Safetensors {
    /// Parses and validates safetensors bytes without converting any tensor. A file whose
    /// metadata records checksums (every file ``encode(_:metadata:integerTensors:checksum:)``
    /// writes by default) is also verified against them, unless `verifyingChecksums` is false;
    /// a file without them (PyTorch's, NumPy's) is read as it is.
    ///
    /// ```swift
    /// let file = try Safetensors.decode(bytes)
    /// print(file.names)   // ["0.weight", "0.bias", …] in data order
    /// ```
    public static func decode(_ data: Data, verifyingChecksums: Bool = true) throws(SafetensorsError) -> SafetensorsFile {
        guard data.count >= 8 else { throw .fileTooSmall(byteCount: data.count) }
        var length: UInt64 = 0
        for (shift, byte) in data.prefix(8).enumerated() { length |= UInt64(byte) << (8 * UInt64(shift)) }
        guard length <= UInt64(maximumHeaderLength) else {
            throw .headerTooLarge(length: length, limit: maximumHeaderLength)
        }
        let headerLength = Int(length)   // ≤ 100 MB, so no overflow below
        guard 8 + headerLength <= data.count else {
            throw .headerLengthBeyondFile(length: length, fileSize: data.count)
        }
        let start = data.startIndex
        let headerBytes = data[(start + 8)..<(start + 8 + headerLength)]
        guard let header = String(validating: headerBytes, as: UTF8.self) else {
            throw .invalidHeader("it is not valid UTF-8")
        }
        guard header.first == "{" else {
            throw .invalidHeader("it must be a JSON object starting with \"{\", it starts with \(header.prefix(16).debugDescription)")
        }
        let raw: RawHeader
        do { raw = try JSONDecoder().decode(RawHeader.self, from: Data(headerBytes)) } catch let error as SafetensorsError {
            throw error
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidHeader(describe(context))
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalidHeader(describe(context))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidHeader("missing field \"\(key.stringValue)\" in \(path(context))")
        } catch {
            throw .invalidHeader("\(error)")
        }

        let body = data[(start + 8 + headerLength)...]
        let entries = try validate(raw.tensors, bodyCount: body.count)
        let file = SafetensorsFile(metadata: raw.metadata, entries: entries, body: body)
        if verifyingChecksums { try file.verifyChecksums() }
        return file
    }

    private static func validate(_ tensors: [HeaderEntry], bodyCount: Int) throws(SafetensorsError) -> [SafetensorsFile.Entry] {
        for t in tensors {
            guard t.offsets.count == 2, t.offsets[0] >= 0, t.offsets[1] >= t.offsets[0] else {
                throw .invalidOffsets(tensor: t.name, offsets: t.offsets)
            }
        }
        // JSON allows a key twice; a directory does not (and names key every lookup).
        var seen = Set<String>()
        for t in tensors where !seen.insert(t.name).inserted {
            throw .invalidHeader("tensor \"\(t.name)\" appears twice")
        }
        let sorted = tensors.sorted { ($0.offsets[0], $0.offsets[1], $0.name) < ($1.offsets[0], $1.offsets[1], $1.name) }
        var entries: [SafetensorsFile.Entry] = []
        var end = 0
        var previous = ""
        for t in sorted {
            let (begin, stop) = (t.offsets[0], t.offsets[1])
            if begin < end { throw .overlappingData(tensor: t.name, start: begin, previous: previous, previousEnd: end) }
            if begin > end { throw .gapInData(tensor: t.name, start: begin, expectedStart: end) }
            guard let dtype = SafetensorsDType(rawValue: t.dtype) else { throw .unknownDType(tensor: t.name, dtype: t.dtype) }
            guard t.shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidHeader("tensor \"\(t.name)\" has a negative dimension in its shape \(t.shape)")
            }
            guard let bytes = checkedByteCount(shape: t.shape, elementSize: dtype.byteSize) else {
                throw .invalidHeader("tensor \"\(t.name)\" has shape \(t.shape), too many elements to address")
            }
            guard bytes == stop - begin else {
                throw .shapeSizeMismatch(tensor: t.name, shape: t.shape, dtype: t.dtype, expectedBytes: bytes, actualBytes: stop - begin)
            }
            entries.append(.init(name: t.name, dtype: dtype, shape: t.shape, byteRange: begin..<stop))
            end = stop
            previous = t.name
        }
        if end > bodyCount { throw .dataTooShort(expectedBytes: end, actualBytes: bodyCount) }
        if end < bodyCount { throw .trailingData(expectedBytes: end, actualBytes: bodyCount) }
        return entries
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the header" : context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    private static func describe(_ context: DecodingError.Context) -> String {
        "\(path(context)): \(context.debugDescription)"
    }
}

/// A JSON object key of any name, for walking the header's dynamic keys.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// A tensor's header entry as the JSON spells it, before validation; also what the writer
/// and the header checksum work from.
struct HeaderEntry {
    var name: String
    var dtype: String
    var shape: [Int]
    var offsets: [Int]
}

private struct RawHeader: Decodable {
    var metadata: [String: String] = [:]
    var tensors: [HeaderEntry] = []

    private struct Fields: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                let fields = try container.decode(Fields.self, forKey: key)
                tensors.append(HeaderEntry(name: key.stringValue, dtype: fields.dtype, shape: fields.shape, offsets: fields.data_offsets))
            }
        }
    }
}

// MARK: - Conversion

extension SafetensorsFile {
    /// An integer tensor (I64, I32, I16, I8, U8, U32; e.g. BatchNorm's `num_batches_tracked`)
    /// as `Int64` values with its shape.
    ///
    /// ```swift
    /// let (count, _) = try file.integers(named: "1.num_batches_tracked")
    /// ```
    public func integers(named name: String) throws(SafetensorsError) -> (values: [Int64], shape: [Int]) {
        guard let entry = entries.first(where: { $0.name == name }) else { throw .missingTensor(name) }
        let count = entry.shape.reduce(1, *)
        let read: (UnsafeRawBufferPointer, Int) -> Int64
        switch entry.dtype {
        case .i64: read = { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 * $1, as: Int64.self)) }
        case .i32: read = { Int64(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * $1, as: Int32.self))) }
        case .u32: read = { Int64(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * $1, as: UInt32.self))) }
        case .i16: read = { Int64(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: 2 * $1, as: Int16.self))) }
        case .i8: read = { Int64(Int8(bitPattern: $0[$1])) }
        case .u8, .bool: read = { Int64($0[$1]) }
        default: throw .unsupportedDType(tensor: name, dtype: entry.dtype.rawValue, requested: "Int64")
        }
        let values = body.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
            return (0..<count).map { read(bytes, $0) }
        }
        return (values, entry.shape)
    }

    func convert<Scalar: NDScalar>(_ entry: Entry) throws(SafetensorsError) -> NDArray<Scalar> {
        let count = entry.shape.reduce(1, *)
        var out = [Scalar](repeating: 0, count: count)
        let sameLayout = Safetensors.isLittleEndianHost
            && entry.dtype.rawValue == Safetensors.dtypeName(Scalar.self)
        guard sameLayout || [.f32, .f64, .f16, .bf16].contains(entry.dtype) else {
            throw .unsupportedDType(tensor: entry.name, dtype: entry.dtype.rawValue, requested: "\(Scalar.self)")
        }
        body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
            out.withUnsafeMutableBytes { destination in
                if sameLayout {
                    destination.copyMemory(from: bytes)
                    return
                }
                let o = destination.bindMemory(to: Scalar.self)
                for i in 0..<count {
                    switch entry.dtype {
                    case .f32:
                        o[i] = Scalar(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                    case .f64:
                        o[i] = Scalar(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                    case .bf16:
                        let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        o[i] = Scalar(Float(bitPattern: UInt32(bits) << 16))
                    default:
                        o[i] = Scalar(halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                    }
                }
            }
        }
        return NDArray(out, shape: entry.shape)
    }
}

/// IEEE 754 binary16 to `Float`, by hand so it works where `Float16` is unavailable.
func halfToFloat(_ h: UInt16) -> Float {
    let sign: FloatingPointSign = h & 0x8000 != 0 ? .minus : .plus
    let exponent = Int((h >> 10) & 0x1F), mantissa = Float(h & 0x3FF)
    switch exponent {
    case 0: return Float(sign: sign, exponent: -24, significand: mantissa)          // zero, subnormal
    case 31: return mantissa == 0 ? (sign == .minus ? -.infinity : .infinity) : .nan
    default: return Float(sign: sign, exponent: exponent - 15, significand: 1 + mantissa / 1024)
    }
}
