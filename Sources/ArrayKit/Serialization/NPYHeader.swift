import Foundation

/// Why a `.npy` file could not be read. The text names the problem and what to do.
///
/// ```swift
/// do { _ = try NPYArray(contentsOf: url) } catch { print(error) }   // e.g. "not a .npy file: …"
/// ```
public enum NPYError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with `\x93NUMPY`.
    case badMagic
    /// A format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The header is longer than ``NPYFormat/maximumHeaderLength`` or runs past the end of
    /// the file (`declared` is -1 when the file ends inside the length field itself).
    case badHeaderLength(declared: Int, available: Int)
    /// The header is not the Python dict literal the format prescribes.
    case malformedHeader(String)
    /// A dtype other than little-endian `f4`, `f8`, `i8` or `u1`.
    case unsupportedDType(String)
    /// The array is stored in Fortran (column-major) order.
    case fortranOrder
    /// A shape with a negative size or a product that overflows.
    case invalidShape(String)
    /// Fewer data bytes than the header's shape needs.
    case truncatedData(shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// More data bytes than the header's shape needs: the header and the data disagree.
    case shapeMismatch(shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// The file holds a different element type than was asked for.
    case typeMismatch(requested: String, found: String)
    /// The file could not be read at all.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .badMagic:
            return "not a .npy file: bad magic (the file must start with \\x93NUMPY) — check the path, or save it with numpy.save"
        case let .unsupportedVersion(major, minor):
            return ".npy format version \(major).\(minor) is not supported (1.0, 2.0 and 3.0 are) — save it with numpy.save"
        case let .badHeaderLength(declared, _) where declared < 0:
            return ".npy file ends inside its header-length field — the file is truncated"
        case let .badHeaderLength(declared, available):
            return ".npy header length \(declared) is invalid: \(available) bytes follow it and at most "
                + "\(NPYFormat.maximumHeaderLength) are allowed — the file is truncated or corrupt"
        case let .malformedHeader(problem):
            return ".npy header is malformed: \(problem) — the file is corrupt; save it again with numpy.save"
        case let .unsupportedDType(descr):
            return ".npy dtype '\(descr)' is not supported (little-endian <f4, <f8, <i8 or |u1 are) — "
                + "convert it first, e.g. numpy.save(path, a.astype('<f4'))"
        case .fortranOrder:
            return ".npy array is in Fortran order; only C order is supported — save numpy.ascontiguousarray(a) instead"
        case let .invalidShape(problem):
            return ".npy shape is invalid: \(problem) — the file is corrupt"
        case let .truncatedData(shape, dtype, expected, actual):
            return ".npy data is truncated: shape \(shapeText(shape)) of \(dtype) needs \(expected) bytes, "
                + "the file holds \(actual) — the file was cut short; copy or save it again"
        case let .shapeMismatch(shape, dtype, expected, actual):
            return ".npy header/shape mismatch: shape \(shapeText(shape)) of \(dtype) needs \(expected) bytes, "
                + "but \(actual) follow the header — the header does not describe the data"
        case let .typeMismatch(requested, found):
            return ".npy file holds \(found), not the requested \(requested) — load it as NPYArray and convert, "
                + "or save it with that dtype"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason) — check the path and permissions"
        }
    }
}

/// The byte layout of `.npy` files (NumPy's `numpy.lib.format`), shared by reader and writer.
public enum NPYFormat {
    /// `\x93NUMPY`, the first six bytes of every `.npy` file.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Longest header accepted when reading (NumPy's own default limit is 10 000);
    /// a bound keeps a corrupt length field from asking for gigabytes.
    public static let maximumHeaderLength = 1 << 20

    /// The parsed header: dtype descriptor, shape, and where the data starts.
    struct Header: Equatable {
        var descr: String
        var shape: [Int]
        var dataOffset: Int
    }

    /// Reads and validates the preamble and header of `bytes`; every length is checked
    /// before it is used, so no input can read out of bounds or overflow.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws(NPYError) -> Header {
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else { throw .badMagic }
        let major = bytes[6], minor = bytes[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw .unsupportedVersion(major: major, minor: minor)
        }
        let start = 8 + lengthBytes
        guard bytes.count >= start else { throw .badHeaderLength(declared: -1, available: bytes.count - 8) }
        var length = 0
        for i in (0..<lengthBytes).reversed() { length = length << 8 | Int(bytes[8 + i]) }
        guard length <= maximumHeaderLength, length <= bytes.count - start else {
            throw .badHeaderLength(declared: length, available: bytes.count - start)
        }
        let headerBytes = Array(bytes[start..<(start + length)])
        // Versions 1 and 2 use latin-1, version 3 UTF-8; the keys and values we accept are ASCII.
        guard headerBytes.allSatisfy({ $0 < 0x80 }) else {
            throw .malformedHeader("it contains non-ASCII bytes")
        }
        var parser = HeaderParser(text: headerBytes)
        let fields = try parser.parseDict()
        let expectedKeys: Set<String> = ["descr", "fortran_order", "shape"]
        guard Set(fields.keys) == expectedKeys else {
            throw .malformedHeader("keys are \(fields.keys.sorted()), expected \(expectedKeys.sorted())")
        }
        guard case let .string(descr)? = fields["descr"] else {
            throw .unsupportedDType("a structured or non-string descr")
        }
        guard case let .bool(fortran)? = fields["fortran_order"] else {
            throw .malformedHeader("fortran_order is not True or False")
        }
        guard case let .tuple(items)? = fields["shape"] else {
            throw .malformedHeader("shape is not a tuple")
        }
        var shape: [Int] = []
        for item in items {
            guard case let .int(size) = item else { throw .invalidShape("shape contains a non-integer") }
            guard size >= 0 else { throw .invalidShape("negative size \(size)") }
            shape.append(size)
        }
        if fortran && shape.count > 1 && shape.filter({ $0 > 1 }).count > 1 { throw .fortranOrder }
        return Header(descr: descr, shape: shape, dataOffset: start + length)
    }

    /// The header text for `descr` and `shape`, padded with spaces and a newline so that
    /// the data starts on a 64-byte boundary (as NumPy writes it), with the preamble.
    static func encodeHeader(descr: String, shape: [Int]) -> [UInt8] {
        let shapeTuple = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeTuple), }".utf8)
        func padding(_ preamble: Int) -> Int { (64 - (preamble + dict.count + 1) % 64) % 64 }
        // Version 1.0 stores the header length in two bytes; longer headers need 2.0.
        let version1 = dict.count + padding(10) + 1 <= Int(UInt16.max)
        let spaces = padding(version1 ? 10 : 12)
        dict += [UInt8](repeating: 0x20, count: spaces) + [0x0A]
        var out = magic + [version1 ? 1 : 2, 0]
        let length = dict.count
        for i in 0..<(version1 ? 2 : 4) { out.append(UInt8(truncatingIfNeeded: length >> (8 * i))) }
        return out + dict
    }
}

/// A value of the Python literal subset a `.npy` header uses.
enum HeaderValue: Equatable {
    case string(String), bool(Bool), int(Int), tuple([HeaderValue])
}

/// A recursive-descent parser for `{'key': value, ...}` with strings, booleans,
/// integers and tuples/lists, bounded in depth so nesting cannot exhaust the stack.
struct HeaderParser {
    let text: [UInt8]
    var position = 0

    init(text: [UInt8]) { self.text = text }

    private mutating func skipSpace() {
        while position < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[position]) { position += 1 }
    }

    private mutating func expect(_ character: Character) throws(NPYError) {
        skipSpace()
        guard position < text.count, text[position] == character.asciiValue! else {
            throw .malformedHeader("expected '\(character)' at byte \(position)")
        }
        position += 1
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return position < text.count ? text[position] : nil
    }

    mutating func parseDict() throws(NPYError) -> [String: HeaderValue] {
        try expect("{")
        var fields: [String: HeaderValue] = [:]
        while peek() != UInt8(ascii: "}") {
            guard case let .string(key) = try parseValue(depth: 1) else {
                throw .malformedHeader("a dict key is not a string")
            }
            try expect(":")
            guard fields[key] == nil else { throw .malformedHeader("key '\(key)' appears twice") }
            fields[key] = try parseValue(depth: 1)
            if peek() == UInt8(ascii: ",") { position += 1 } else { break }
        }
        try expect("}")
        guard peek() == nil else { throw .malformedHeader("unexpected text after the dict") }
        return fields
    }

    private mutating func parseValue(depth: Int) throws(NPYError) -> HeaderValue {
        guard depth < 16 else { throw .malformedHeader("values nest too deeply") }
        guard let first = peek() else { throw .malformedHeader("the header ends inside a value") }
        switch first {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            position += 1
            let start = position
            while position < text.count, text[position] != first { position += 1 }
            guard position < text.count else { throw .malformedHeader("unterminated string") }
            defer { position += 1 }
            return .string(String(decoding: text[start..<position], as: UTF8.self))
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = first == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            position += 1
            var items: [HeaderValue] = []
            while peek() != close {
                items.append(try parseValue(depth: depth + 1))
                if peek() == UInt8(ascii: ",") { position += 1 } else { break }
            }
            guard peek() == close else { throw .malformedHeader("unterminated tuple or list") }
            position += 1
            return .tuple(items)
        default:
            let start = position
            while position < text.count, text[position] == UInt8(ascii: "-") || text[position].isASCIIAlphanumeric {
                position += 1
            }
            var word = String(decoding: text[start..<position], as: UTF8.self)
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            if word.hasSuffix("L") { word.removeLast() }   // Python 2 wrote long integers as 3L
            guard !word.isEmpty, let value = Int(word) else {
                throw .malformedHeader(word.isEmpty ? "unexpected character at byte \(start)"
                                                    : "'\(word)' is not an integer or boolean (or is too large)")
            }
            return .int(value)
        }
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
