/// How a loaded state dict matches the parameters a model expects, with the semantics of
/// PyTorch's `load_state_dict(strict:)`: missing and unexpected keys are errors only when
/// strict, a wrong shape is always an error.
///
/// ```swift
/// let report = try StateDict.check(loaded: file.shapes,
///                                  expected: [("0.weight", [128, 784]), ("0.bias", [128])],
///                                  strict: false)
/// print(report.missing, report.unexpected)
/// ```
public struct StateDictReport: Equatable, Sendable, CustomStringConvertible {
    /// A key whose loaded shape differs from the model's.
    public struct ShapeMismatch: Equatable, Sendable {
        /// The entry's name.
        public let name: String
        /// The shape in the loaded state dict.
        public let loaded: [Int]
        /// The shape the model has.
        public let expected: [Int]
    }

    /// Keys the model expects that the state dict lacks, in the model's order.
    public var missing: [String]
    /// Keys in the state dict the model does not have, sorted.
    public var unexpected: [String]
    /// Keys present in both with different shapes, in the model's order.
    public var wrongShapes: [ShapeMismatch]
    /// Loaded values the model would take that hold NaN or infinity, in the model's order
    /// (only checked when arrays, not just shapes, are given).
    public var nonFinite: [NonFiniteValues] = []

    /// Whether every expected key was found with its shape and finite values, and nothing else was there.
    public var isExactMatch: Bool { missing.isEmpty && unexpected.isEmpty && wrongShapes.isEmpty && nonFinite.isEmpty }

    /// The problems, one per line, worded as PyTorch words them.
    public var description: String {
        var lines: [String] = []
        if !missing.isEmpty {
            lines.append("Missing key(s) in state_dict: " + missing.map { "\"\($0)\"" }.joined(separator: ", ") + ".")
        }
        if !unexpected.isEmpty {
            lines.append("Unexpected key(s) in state_dict: " + unexpected.map { "\"\($0)\"" }.joined(separator: ", ") + ".")
        }
        for m in wrongShapes {
            lines.append("size mismatch for \(m.name): copying a param with shape \(shapeText(m.loaded)) from checkpoint, the shape in current model is \(shapeText(m.expected)).")
        }
        for bad in nonFinite { lines.append("non-finite values (NaN or infinity): \(bad).") }
        return lines.isEmpty ? "state dict matches" : lines.joined(separator: "\n")
    }
}

/// A state dict that cannot be loaded; its report lists every problem.
public struct StateDictError: Error, Equatable, CustomStringConvertible {
    /// Every missing, unexpected, wrong-shaped and non-finite entry.
    public let report: StateDictReport
    public var description: String {
        "error(s) loading state dict:\n" + report.description.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
            + (report.nonFinite.isEmpty
                ? "\n— check that the file was saved from a model with the same layers, sizes and options (e.g. batch norm)"
                : "\n— the weights come from a run that diverged or the file is corrupt; load an earlier checkpoint or retrain")
    }
}

/// The check both backends' `load(stateDict:strict:)` run before copying a single value.
public enum StateDict {
    /// Compares loaded keys and shapes with the model's `expected` parameters.
    ///
    /// Throws ``StateDictError`` when a shape differs, or (if `strict`) when a key is
    /// missing or unexpected; otherwise returns the report, so a non-strict load can copy
    /// what matches and tell the user what it skipped.
    ///
    /// ```swift
    /// try StateDict.check(loaded: ["0.weight": [10, 4]], expected: [("0.weight", [10, 4])], strict: true)
    /// ```
    @discardableResult
    public static func check(
        loaded: [String: [Int]], expected: [(name: String, shape: [Int])], strict: Bool,
        nonFinite: [NonFiniteValues] = []
    ) throws(StateDictError) -> StateDictReport {
        let expectedNames = Set(expected.map(\.name))
        precondition(expectedNames.count == expected.count,
                     "StateDict.check: the model lists duplicate parameter names \(expected.map(\.name))")
        var report = StateDictReport(missing: [], unexpected: [], wrongShapes: [])
        for (name, shape) in expected {
            guard let found = loaded[name] else { report.missing.append(name); continue }
            if found != shape { report.wrongShapes.append(.init(name: name, loaded: found, expected: shape)) }
        }
        report.unexpected = loaded.keys.filter { !expectedNames.contains($0) }.sorted()
        report.nonFinite = nonFinite
        if !report.wrongShapes.isEmpty || !nonFinite.isEmpty || (strict && !(report.missing.isEmpty && report.unexpected.isEmpty)) {
            throw StateDictError(report: report)
        }
        return report
    }

    /// ``check(loaded:expected:strict:)`` for loaded arrays rather than shapes; it also
    /// refuses (whatever `strict` says) any value the model would take that holds NaN or
    /// infinity, since such weights poison every later step.
    @discardableResult
    public static func check<Scalar: NDScalar>(
        loaded: [String: NDArray<Scalar>], expected: [(name: String, shape: [Int])], strict: Bool
    ) throws(StateDictError) -> StateDictReport {
        try check(loaded: loaded.mapValues(\.shape), expected: expected, strict: strict,
                  nonFinite: expected.compactMap { loaded[$0.name]?.nonFiniteValues(named: $0.name) })
    }
}
