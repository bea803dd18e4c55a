import Foundation

/// One setting of a run as `history.json` and `sweep.json` record it: a JSON boolean, number,
/// string or list, so that `{"lr": 0.1, "batch_norm": false, "hidden_dims": [256, 128]}`
/// reads back with the types it was written with.
///
/// JSON does not tell an integer from a number with no fraction (`1` and `1.0` are the same
/// text), so ``integer(_:)`` and ``number(_:)`` of equal value compare equal. A seed above
/// `Int.max` is written as a string of its digits: JSON readers that hold numbers as doubles
/// (JavaScript, `jq`) would round it.
///
/// ```swift
/// let config: [String: ConfigValue] = ["lr": 0.1, "epochs": 10, "batch_norm": false, "hidden_dims": [256, 128]]
/// config["lr"]?.doubleValue        // 0.1
/// config["hidden_dims"]?.description   // "256 128", as on the command line
/// ```
public enum ConfigValue: Sendable, Hashable {
    /// A flag's value: `true` or `false` in JSON.
    case bool(Bool)
    /// A whole number, such as a seed or a batch size.
    case integer(Int)
    /// A real number, such as a learning rate.
    case number(Double)
    /// A name, such as the optimizer's.
    case string(String)
    /// A list, such as the hidden widths.
    case list([ConfigValue])

    /// A seed: an integer, or its digits as a string above `Int.max`.
    public init(_ value: UInt64) {
        self = Int(exactly: value).map(ConfigValue.integer) ?? .string(String(value))
    }

    /// The value as a `Double`, if it is a number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// The value as an `Int`, if it is a number with no fraction that fits.
    public var intValue: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value): Int(exactly: value)
        default: nil
        }
    }

    /// The value, if it is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The value, if it is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.integer, .number), (.number, .integer), (.number, .number): lhs.doubleValue == rhs.doubleValue
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .bool(let value): hasher.combine(value)
        case .integer, .number: hasher.combine(doubleValue)   // as ==: 1 and 1.0 alike
        case .string(let value): hasher.combine(value)
        case .list(let values): hasher.combine(values)
        }
    }
}

extension ConfigValue: CustomStringConvertible {
    /// As the value is spelled on the command line: `0.1`, `1e-05`, `true`, `256 128`.
    public var description: String {
        switch self {
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        case .string(let value): value
        case .list(let values): values.map(\.description).joined(separator: " ")
        }
    }
}

extension ConfigValue: Codable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value):
            // Settings are finite by validation; a NaN would make the file invalid JSON.
            if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
        case .string(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .number(.nan)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .list(try container.decode([ConfigValue].self))
        }
    }
}

extension ConfigValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: ConfigValue...) { self = .list(elements) }
}

extension ConfigValue {
    /// The typed value of a setting that `history.json` format 1 (up to commit e80f2e6) wrote as a
    /// string: `"0.1"`, `"false"`, `"256 128"`. Keys of the training commands get their type;
    /// any other key stays a string, as does a value that does not parse.
    ///
    /// ```swift
    /// ConfigValue.upgrading("hidden_dims", from: "256 128")   // [256, 128]
    /// ConfigValue.upgrading("lr", from: "0.1")                // 0.1
    /// ```
    public static func upgrading(_ key: String, from text: String) -> ConfigValue {
        switch key {
        case "hidden_dims":
            let widths = text.split(separator: " ").map { Int($0) }
            return widths.contains(nil) ? .string(text) : .list(widths.map { .integer($0!) })
        case "shuffle", "batch_norm":
            return Bool(text).map(ConfigValue.bool) ?? .string(text)
        case "batch_size", "epochs", "validation_size", "patience", "jobs":
            return Int(text).map(ConfigValue.integer) ?? .string(text)
        case "seed":
            return UInt64(text).map(ConfigValue.init) ?? .string(text)
        case "lr", "momentum", "weight_decay", "dropout", "gamma":
            return Double(text).map(ConfigValue.number) ?? .string(text)
        default:
            return .string(text)
        }
    }
}
