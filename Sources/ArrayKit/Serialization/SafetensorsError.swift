/// Why a safetensors file could not be read. Every case names what was wrong in the
/// file and, in its description, what to do about it; a file from an untrusted source
/// that fails any check is rejected before a single element is read.
///
/// ```swift
/// do { _ = try Safetensors.read(contentsOf: url) }
/// catch let error as SafetensorsError { print(error) }   // "model.safetensors: …"
/// ```
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read at all.
    case cannotRead(path: String, reason: String)
    /// Fewer than the 8 bytes of the header-length prefix.
    case fileTooSmall(byteCount: Int)
    /// The header length prefix is larger than the format's limit (100 MB).
    case headerTooLarge(length: UInt64, limit: Int)
    /// The header length prefix points past the end of the file.
    case headerLengthBeyondFile(length: UInt64, fileSize: Int)
    /// The header is not UTF-8, not a JSON object, or an entry lacks a field.
    case invalidHeader(String)
    /// A tensor's dtype is not one the format defines.
    case unknownDType(tensor: String, dtype: String)
    /// The dtype is valid but cannot be converted to the requested floating-point type.
    case unsupportedDType(tensor: String, dtype: String, requested: String)
    /// `data_offsets` are negative, not a pair, or end before they start.
    case invalidOffsets(tensor: String, offsets: [Int])
    /// A tensor's bytes start before the previous tensor's bytes end.
    case overlappingData(tensor: String, start: Int, previous: String, previousEnd: Int)
    /// A tensor's bytes start after the previous tensor's bytes end (unclaimed bytes).
    case gapInData(tensor: String, start: Int, expectedStart: Int)
    /// The number of elements of the shape does not fill the tensor's byte range.
    case shapeSizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// The data section is shorter than the offsets claim.
    case dataTooShort(expectedBytes: Int, actualBytes: Int)
    /// The data section has bytes that no tensor claims.
    case trailingData(expectedBytes: Int, actualBytes: Int)
    /// A tensor asked for by name is not in the file.
    case missingTensor(String)
    /// The data section's SHA-256 differs from the one the writer recorded: the tensor data
    /// changed after the file was written.
    case dataChecksumMismatch(recorded: String, computed: String)
    /// The header's SHA-256 differs from the one the writer recorded: a name, shape, offset
    /// or metadata value changed after the file was written.
    case headerChecksumMismatch(recorded: String, computed: String)
    /// One checksum key is there without the other, which the writer always records with it.
    case checksumMissing(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "cannot read \(path): \(reason) — check the path and its permissions"
        case let .fileTooSmall(count):
            return "not a safetensors file: \(count) bytes, fewer than the 8-byte header length — the file is empty or truncated"
        case let .headerTooLarge(length, limit):
            return "safetensors header length \(length) exceeds the \(limit)-byte limit — the file is corrupt or not safetensors"
        case let .headerLengthBeyondFile(length, size):
            return "safetensors header length \(length) runs past the end of the \(size)-byte file — the file is truncated or not safetensors"
        case let .invalidHeader(reason):
            return "safetensors header is invalid: \(reason) — \(Self.malformed)"
        case let .unknownDType(tensor, dtype):
            return "tensor \"\(tensor)\" has unknown dtype \"\(dtype)\" — expected one of \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")); \(Self.malformed)"
        case let .unsupportedDType(tensor, dtype, requested):
            return "tensor \"\(tensor)\" is \(dtype), which cannot be read as \(requested) — save it as F32, F64, F16 or BF16"
        case let .invalidOffsets(tensor, offsets):
            return "tensor \"\(tensor)\" has data_offsets \(offsets); they must be [start, end] with 0 ≤ start ≤ end — \(Self.malformed)"
        case let .overlappingData(tensor, start, previous, previousEnd):
            return "tensor \"\(tensor)\" starts at byte \(start), inside \"\(previous)\" (which ends at \(previousEnd)) — overlapping data is rejected; \(Self.malformed)"
        case let .gapInData(tensor, start, expected):
            return "tensor \"\(tensor)\" starts at byte \(start) but the previous tensor ends at \(expected) — the data must be contiguous; \(Self.malformed)"
        case let .shapeSizeMismatch(tensor, shape, dtype, expected, actual):
            return "tensor \"\(tensor)\" of shape \(shapeText(shape)) and dtype \(dtype) needs \(expected) bytes but its data_offsets span \(actual) — \(Self.malformed)"
        case let .dataTooShort(expected, actual):
            return "safetensors data section has \(actual) bytes, the header describes \(expected) — the file is truncated"
        case let .trailingData(expected, actual):
            return "safetensors data section has \(actual) bytes, the header describes only \(expected) — the file is corrupt"
        case let .missingTensor(name):
            return "no tensor named \"\(name)\" in the safetensors file"
        case let .dataChecksumMismatch(recorded, computed):
            return "the tensor data does not match its checksum (SHA-256 \(digestText(computed)), the file records "
                + "\(digestText(recorded)) under \"\(Safetensors.dataChecksumKey)\") — \(Self.corrupted)"
        case let .headerChecksumMismatch(recorded, computed):
            return "the safetensors header (tensor names, shapes, offsets or metadata) does not match its checksum "
                + "(SHA-256 \(digestText(computed)), the file records \(digestText(recorded)) under "
                + "\"\(Safetensors.headerChecksumKey)\") — \(Self.corrupted)"
        case let .checksumMissing(key):
            let other = key == Safetensors.dataChecksumKey ? Safetensors.headerChecksumKey : Safetensors.dataChecksumKey
            return "the metadata records \"\(other)\" without \"\(key)\", which is always written with it — \(Self.corrupted)"
        }
    }

    private static let malformed = "the file is corrupt or was not written by a safetensors writer"

    private static let corrupted = "the file is corrupted (its bytes changed on disk or in transfer after it was written); "
        + "use an intact copy or write it again"

    /// The first hex digits of a digest, or a short quoted excerpt of a value that is not one.
    private func digestText(_ digest: String) -> String {
        digest.count == 64 && digest.allSatisfy(\.isHexDigit) ? digest.prefix(12) + "…" : String(digest.prefix(16)).debugDescription
    }
}

/// The element types the safetensors format defines, with their sizes in bytes.
public enum SafetensorsDType: String, CaseIterable, Sendable, Codable {
    /// Booleans, one byte each.
    case bool = "BOOL"
    /// Unsigned 8-bit integers.
    case u8 = "U8"
    /// Signed 8-bit integers.
    case i8 = "I8"
    /// 8-bit floats with 5 exponent and 2 mantissa bits.
    case f8e5m2 = "F8_E5M2"
    /// 8-bit floats with 4 exponent and 3 mantissa bits.
    case f8e4m3 = "F8_E4M3"
    /// Signed 16-bit integers.
    case i16 = "I16"
    /// Unsigned 16-bit integers.
    case u16 = "U16"
    /// IEEE half-precision floats.
    case f16 = "F16"
    /// bfloat16: a `Float`'s exponent with 7 mantissa bits.
    case bf16 = "BF16"
    /// Signed 32-bit integers.
    case i32 = "I32"
    /// Unsigned 32-bit integers.
    case u32 = "U32"
    /// IEEE single-precision floats (`Float`).
    case f32 = "F32"
    /// IEEE double-precision floats (`Double`).
    case f64 = "F64"
    /// Signed 64-bit integers.
    case i64 = "I64"
    /// Unsigned 64-bit integers.
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}
