import Foundation

/// A `Double` that JSON writes as `null` when it is NaN or ±infinity, and reads back from
/// `null` as NaN.
///
/// JSON has no literal for NaN or infinity: Foundation's encoder throws on them by default,
/// and writing them as strings or bare `NaN` breaks other readers (`jq`, Python's `json` in
/// strict mode). A diverged run's loss is exactly such a value, so every loss, accuracy and
/// rate in a run's history goes through this wrapper. Reading `null` gives NaN: whether the
/// original was NaN or infinite is not kept — the run's `diverged` flag and reason say why.
///
/// ```swift
/// struct Point: Codable { @NullWhenNonFinite var loss: Double }
/// // Point(loss: .nan) encodes as {"loss":null}
/// ```
@propertyWrapper
public struct NullWhenNonFinite: Codable, Sendable, Equatable {
    /// The number, finite or not.
    public var wrappedValue: Double

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Double) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if wrappedValue.isFinite { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? .nan : try container.decode(Double.self)
    }
}

extension KeyedEncodingContainer {
    /// Encodes `value`, or `null` when it is absent or not finite; the key is always written.
    mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
        if let value, value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension KeyedDecodingContainer {
    /// Reads a number written by `encodeFinite`: `null` or a missing key gives `nil`.
    func decodeFinite(forKey key: Key) throws -> Double? {
        try decodeIfPresent(Double.self, forKey: key)
    }
}

/// The encoders every report file uses, so all JSON output looks alike.
enum ReportJSON {
    /// Indented with sorted keys: for files people read and diff (history.json).
    static func prettyEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// One line with sorted keys: for `--json` output that tools read line by line.
    static func lineEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
