import ArrayKit
import Testing

// `#expect(a == b)` on two arrays prints both in full when they differ, and for arrays
// (not NDArrays) a difference of the two as well: for a weight matrix that is hundreds of
// thousands of numbers and minutes of formatting. These record one issue that says what
// `ArrayComparison.report` says, and return whether the arrays agreed.

/// Two arrays agree in shape and in every element (bit for bit unless a tolerance is given).
///
/// ```swift
/// expectEqual(whole, split, "\(m)×\(k)×\(n) split between threads")
/// expectEqual(gradient, reference, tolerance: .within(absolute: 1e-14, relative: 1e-10))
/// ```
@discardableResult
public func expectEqual<S: NDScalar>(_ actual: NDArray<S>?, _ expected: NDArray<S>, tolerance: Tolerance = .exact,
                                     _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    guard let actual else { return record("actual is nil, expected shape \(shapeText(expected.shape))", comment, sourceLocation) }
    return record(ArrayComparison.report(actual, expected, tolerance: tolerance), comment, sourceLocation)
}

/// An array's elements, in row-major order, are `expected` (its shape is not compared);
/// indices are reported in the array's shape.
///
/// ```swift
/// expectEqual(a + b, [11, 22, 33, 44])
/// ```
@discardableResult
public func expectEqual<S: NDScalar>(_ actual: NDArray<S>?, _ expected: [S], tolerance: Tolerance = .exact,
                                     _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    guard let actual else { return record("actual is nil, expected \(expected.count) elements", comment, sourceLocation) }
    return record(ArrayComparison.report(actual.scalars, expected, shape: actual.shape, tolerance: tolerance),
                  comment, sourceLocation)
}

/// Two arrays of `Float` or `Double` agree element by element; `labels` name the indices
/// in the report (e.g. the JSON paths the numbers came from).
@discardableResult
public func expectEqual<E: BinaryFloatingPoint>(_ actual: [E], _ expected: [E], labels: [String]? = nil,
                                                tolerance: Tolerance = .exact, _ comment: Comment? = nil,
                                                sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    record(ArrayComparison.report(actual, expected, labels: labels, tolerance: tolerance), comment, sourceLocation)
}

/// Two arrays of integers (bytes, pixels, labels, indices) are equal.
///
/// ```swift
/// expectEqual([UInt8](try Data(contentsOf: a)), [UInt8](try Data(contentsOf: b)), "model.safetensors")
/// ```
@discardableResult
public func expectEqual<E: BinaryInteger>(_ actual: [E], _ expected: [E], _ comment: Comment? = nil,
                                          sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    record(ArrayComparison.report(actual, expected), comment, sourceLocation)
}

/// Two lists of named arrays (state dicts) have the same names in the same order and
/// equal arrays under each: one issue for the names, or one per array that differs.
///
/// ```swift
/// expectEqual(resumed.stateDict(), uninterrupted.stateDict(), "after resuming")
/// ```
@discardableResult
public func expectEqual<S: NDScalar>(_ actual: [(String, NDArray<S>)], _ expected: [(String, NDArray<S>)],
                                     tolerance: Tolerance = .exact, _ comment: Comment? = nil,
                                     sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let names = (actual.map(\.0), expected.map(\.0))
    guard names.0 == names.1 else {
        return record("names differ: \(names.0) actual, \(names.1) expected", comment, sourceLocation)
    }
    var agree = true
    for ((name, a), (_, e)) in zip(actual, expected) {
        let context = comment.map { "\($0.rawValue), \(name)" } ?? name
        agree = expectEqual(a, e, tolerance: tolerance, Comment(rawValue: context), sourceLocation: sourceLocation) && agree
    }
    return agree
}

/// Two arrays differ as values somewhere, in shape or in an element: a step moved the
/// weights, another seed drew other numbers. If they do not, the issue says how many
/// elements agree instead of printing them.
///
/// ```swift
/// expectNotEqual(layer.weight, before, "the step must move the weights")
/// ```
@discardableResult
public func expectNotEqual<S: NDScalar>(_ actual: NDArray<S>, _ other: NDArray<S>, _ comment: Comment? = nil,
                                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    let differ = ArrayComparison.report(actual, other, tolerance: .absolute(0)) != nil
    return record(differ ? nil : "the arrays are equal: all \(actual.count) elements of \(shapeText(actual.shape))",
                  comment, sourceLocation)
}

/// Two arrays of integers differ somewhere.
@discardableResult
public func expectNotEqual<E: BinaryInteger>(_ actual: [E], _ other: [E], _ comment: Comment? = nil,
                                             sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    record(actual != other ? nil : "the arrays are equal: all \(actual.count) elements", comment, sourceLocation)
}

/// Records `report`, after `comment`, as one issue; true when there is nothing to report.
private func record(_ report: String?, _ comment: Comment?, _ sourceLocation: SourceLocation) -> Bool {
    guard let report else { return true }
    Issue.record(Comment(rawValue: comment.map { "\($0.rawValue): \(report)" } ?? report), sourceLocation: sourceLocation)
    return false
}
