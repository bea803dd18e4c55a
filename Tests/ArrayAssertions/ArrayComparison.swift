import ArrayKit
import Foundation

/// How close an element must come to the expected one. Elements identical bit for bit
/// always agree; otherwise an infinity or a NaN agrees with nothing.
///
/// ```swift
/// ArrayComparison.report(result, reference, tolerance: .within(absolute: 1e-8, relative: 1e-5))
/// ```
public enum Tolerance: Sendable, Equatable, CustomStringConvertible {
    /// Bit for bit: `-0.0` differs from `0.0`, and a NaN agrees only with the same NaN.
    case exact
    /// `|actual − expected| ≤ absolute + relative · |expected|`, the rule of `numpy.isclose`
    /// and `NDArray.isClose(to:rtol:atol:)`.
    case within(absolute: Double, relative: Double)

    /// `|actual − expected| ≤ bound`.
    public static func absolute(_ bound: Double) -> Tolerance { .within(absolute: bound, relative: 0) }
    /// `|actual − expected| ≤ bound · |expected|`.
    public static func relative(_ bound: Double) -> Tolerance { .within(absolute: 0, relative: bound) }

    public var description: String {
        switch self {
        case .exact:
            return "bit for bit"
        case let .within(absolute, relative):
            let parts = [absolute == 0 ? nil : "absolute \(absolute)", relative == 0 ? nil : "relative \(relative)"]
                .compactMap { $0 }
            return "beyond " + (parts.isEmpty ? "absolute 0" : parts.joined(separator: " + "))
        }
    }
}

/// One-paragraph reports of how two arrays differ: how many elements differ (of how
/// many), the largest difference with its index and both values there, and the first
/// differing index — never the arrays themselves, which for a weight matrix would be
/// hundreds of thousands of numbers. `nil` when the arrays agree.
///
/// ```swift
/// ArrayComparison.report([1, 2, 3, 4] as [Float], [1, 2, 3.5, 4], shape: [2, 2])
/// // "1 of 4 elements differs (bit for bit), at [1, 0]: actual 3.0, expected 3.5 (difference 0.5)"
/// ```
public enum ArrayComparison {
    /// Floating-point elements (`Float`, `Double`), compared bit for bit when `tolerance`
    /// is `.exact`. Indices are written in `shape` when given (row-major), as `labels[i]`
    /// when given, and as `[i]` otherwise.
    public static func report<E: BinaryFloatingPoint>(_ actual: [E], _ expected: [E], shape: [Int]? = nil,
                                                      labels: [String]? = nil, tolerance: Tolerance = .exact) -> String? {
        report(actual, expected, shape: shape, labels: labels, tolerance: tolerance,
               identical: { $0.sign == $1.sign && $0.exponentBitPattern == $1.exponentBitPattern
                   && $0.significandBitPattern == $1.significandBitPattern },
               value: { Double($0) }, integral: false,
               text: { $0.isNaN ? "\($0.sign == .minus ? "-" : "")nan(0x\(String($0.significandBitPattern, radix: 16)))" : "\($0)" })
    }

    /// Integer elements (bytes of a file, pixels, labels, indices).
    public static func report<E: BinaryInteger>(_ actual: [E], _ expected: [E], shape: [Int]? = nil,
                                                labels: [String]? = nil, tolerance: Tolerance = .exact) -> String? {
        report(actual, expected, shape: shape, labels: labels, tolerance: tolerance,
               identical: { $0 == $1 }, value: { Double($0) }, integral: true, text: { "\($0)" })
    }

    /// Two arrays: their shapes when those differ, else their elements, indexed in the shape.
    public static func report<S: NDScalar>(_ actual: NDArray<S>, _ expected: NDArray<S>,
                                           tolerance: Tolerance = .exact) -> String? {
        guard actual.shape == expected.shape else {
            return "shapes differ: \(shapeText(actual.shape)) actual, \(shapeText(expected.shape)) expected"
        }
        return report(actual.scalars, expected.scalars, shape: actual.shape, tolerance: tolerance)
    }

    /// The scan shared by every element type: `identical` says whether two elements are the
    /// same bit for bit, `value` measures one (`integral` when it is a whole number), `text`
    /// writes one.
    static func report<E>(_ actual: [E], _ expected: [E], shape: [Int]?, labels: [String]?, tolerance: Tolerance,
                          identical: (E, E) -> Bool, value: (E) -> Double, integral: Bool,
                          text: (E) -> String) -> String? {
        guard actual.count == expected.count else {
            let shapeNote = shape.map { " (shape \(shapeText($0)))" } ?? ""
            return "counts differ: \(actual.count) actual\(shapeNote), \(expected.count) expected"
        }
        precondition(shape.map { $0.reduce(1, *) == actual.count } ?? true,
                     "ArrayComparison: shape \(shape.map(shapeText) ?? "") does not hold \(actual.count) elements")
        precondition(labels.map { $0.count == actual.count } ?? true,
                     "ArrayComparison: \(labels?.count ?? 0) labels for \(actual.count) elements")
        if tolerance == .exact, haveIdenticalBytes(actual, expected) { return nil }

        var differing = 0, first = -1, largest = -1, largestDifference = 0.0
        for i in actual.indices {
            let (a, e) = (actual[i], expected[i])
            if identical(a, e) { continue }
            let (x, y) = (value(a), value(e))
            let difference = Swift.abs(x - y)   // NaN when either is
            if case let .within(absolute, relative) = tolerance, x.isFinite, y.isFinite,
               difference <= absolute + relative * Swift.abs(y) { continue }
            differing += 1
            if first < 0 { first = i }
            // A NaN difference outranks every number; ties keep the earlier index.
            let rank = difference.isNaN ? .infinity : difference
            if largest < 0 || rank > (largestDifference.isNaN ? .infinity : largestDifference) {
                largest = i
                largestDifference = difference
            }
        }
        guard differing > 0 else { return nil }

        func position(_ i: Int) -> String {
            if let labels { return labels[i] }
            let index = shape.map { NonFiniteValues.unravel(i, in: $0) } ?? [i]
            return "[" + index.map(String.init).joined(separator: ", ") + "]"
        }
        func values(_ i: Int) -> String { "actual \(text(actual[i])), expected \(text(expected[i]))" }
        let difference = integral ? Int(exactly: largestDifference).map(String.init) ?? "\(largestDifference)"
            : "\(largestDifference)"
        if differing == 1 {
            return "1 of \(actual.count) elements differs (\(tolerance)), at \(position(first)): \(values(first))"
                + " (difference \(difference))"
        }
        return "\(differing) of \(actual.count) elements differ (\(tolerance)); "
            + "the largest difference, \(difference), at \(position(largest)): \(values(largest)); "
            + "the first at \(position(first)): \(values(first))"
    }

    /// The fast path of an exact comparison: the common case, equal arrays, costs one `memcmp`.
    private static func haveIdenticalBytes<E>(_ a: [E], _ b: [E]) -> Bool {
        a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0) }
        }
    }
}
