import Foundation

/// Counts of (true class, predicted class) pairs over an evaluation set.
///
/// Rows are true classes and columns predicted classes, as in scikit-learn's
/// `confusion_matrix`. Every sample counts once, so accuracy is over the whole set, never a
/// mean of per-batch means.
///
/// ```swift
/// var confusion = ConfusionMatrix(classCount: 10)
/// confusion.record(predictions: predicted, labels: batchLabels)   // once per batch
/// print(confusion.report(classNames: dataset.classNames).table())
/// ```
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// The number of classes: the matrix is `classCount × classCount`.
    public let classCount: Int
    /// Row-major counts: `counts[label * classCount + predicted]`.
    public private(set) var counts: [Int]

    /// An empty matrix over `classCount` classes (positive).
    public init(classCount: Int) {
        precondition(classCount > 0, "ConfusionMatrix: classCount must be positive, got \(classCount)")
        self.classCount = classCount
        self.counts = Array(repeating: 0, count: classCount * classCount)
    }

    /// The matrix of `predictions` against `labels`, element by element.
    public init(predictions: some Collection<Int>, labels: some Collection<Int>, classCount: Int) {
        self.init(classCount: classCount)
        record(predictions: predictions, labels: labels)
    }

    /// The number of samples of true class `label` predicted as `predicted`.
    public subscript(label: Int, predicted: Int) -> Int {
        counts[label * classCount + predicted]
    }

    /// Counts one sample of true class `label` predicted as `predicted`; both must be below `classCount`.
    public mutating func record(predicted: Int, label: Int) {
        precondition((0..<classCount).contains(predicted) && (0..<classCount).contains(label),
                     "ConfusionMatrix.record: prediction \(predicted) or label \(label) is outside 0..<\(classCount)")
        counts[label * classCount + predicted] += 1
    }

    /// Counts each prediction against the label at the same position; the counts must match.
    public mutating func record(predictions: some Collection<Int>, labels: some Collection<Int>) {
        precondition(predictions.count == labels.count,
                     "ConfusionMatrix.record: \(predictions.count) predictions but \(labels.count) labels")
        for (p, l) in zip(predictions, labels) { record(predicted: p, label: l) }
    }

    /// Adds the counts of another matrix over the same classes (e.g. from another batch).
    public mutating func merge(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount,
                     "ConfusionMatrix.merge: \(other.classCount) classes into \(classCount)")
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// The matrix as rows of counts, one row per true class.
    public var rows: [[Int]] {
        (0..<classCount).map { Array(counts[$0 * classCount..<($0 + 1) * classCount]) }
    }

    /// Samples counted.
    public var total: Int { counts.reduce(0, +) }
    /// Samples predicted as their true class: the diagonal's sum.
    public var correct: Int { (0..<classCount).reduce(0) { $0 + self[$1, $1] } }
    /// Correct predictions over all samples; 0 for an empty matrix.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Samples whose true class is `c`.
    public func support(of c: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[c, $1] } }
    /// Samples predicted as `c`.
    public func predictedCount(of c: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[$1, c] } }

    /// Of the samples predicted as `c`, the fraction that are `c`; 0 when none were predicted
    /// (scikit-learn's `zero_division=0`), so the value is always finite.
    public func precision(of c: Int) -> Double {
        let predicted = predictedCount(of: c)
        return predicted == 0 ? 0 : Double(self[c, c]) / Double(predicted)
    }

    /// Of the samples of class `c`, the fraction predicted as `c`; 0 when there are none.
    public func recall(of c: Int) -> Double {
        let support = support(of: c)
        return support == 0 ? 0 : Double(self[c, c]) / Double(support)
    }

    /// The harmonic mean of precision and recall; 0 when both are 0.
    public func f1(of c: Int) -> Double {
        let p = precision(of: c), r = recall(of: c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// Per-class and averaged metrics; `classNames` defaults to "0", "1", ….
    public func report(classNames: [String]? = nil) -> ClassificationReport {
        let names = classNames ?? (0..<classCount).map(String.init)
        precondition(names.count == classCount,
                     "ConfusionMatrix.report: \(names.count) class names for \(classCount) classes")
        let classes = (0..<classCount).map {
            ClassMetrics(name: names[$0], precision: precision(of: $0), recall: recall(of: $0),
                         f1: f1(of: $0), support: support(of: $0))
        }
        func mean(_ value: (ClassMetrics) -> Double) -> Double {
            classes.map(value).reduce(0, +) / Double(classCount)
        }
        return ClassificationReport(accuracy: accuracy, macroPrecision: mean(\.precision),
                                    macroRecall: mean(\.recall), macroF1: mean(\.f1),
                                    classes: classes, confusionMatrix: self)
    }

    private enum CodingKeys: String, CodingKey {
        case classCount = "class_count", counts
    }

    /// JSON: `{"class_count": 3, "counts": [[5, 1, 0], …]}` — rows are true classes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(classCount, forKey: .classCount)
        try container.encode(rows, forKey: .counts)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let classCount = try container.decode(Int.self, forKey: .classCount)
        let rows = try container.decode([[Int]].self, forKey: .counts)
        guard classCount > 0, rows.count == classCount, rows.allSatisfy({ $0.count == classCount }),
              rows.joined().allSatisfy({ $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .counts, in: container,
                debugDescription: "a confusion matrix for \(classCount) classes needs \(classCount) rows of \(classCount) non-negative counts")
        }
        self.classCount = classCount
        self.counts = Array(rows.joined())
    }
}

/// Precision, recall and F1 of one class.
public struct ClassMetrics: Sendable, Equatable, Codable {
    /// The class's name.
    public var name: String
    /// Of the samples predicted as this class, the fraction that are; 0 when none were.
    public var precision: Double
    /// Of the samples of this class, the fraction predicted as it; 0 when there are none.
    public var recall: Double
    /// The harmonic mean of precision and recall; 0 when both are 0.
    public var f1: Double
    /// Samples of this class in the evaluated set.
    public var support: Int
}

/// The classification metrics of an evaluation: accuracy, per-class precision/recall/F1 and
/// their unweighted (macro) means, and the confusion matrix they came from. Codable to JSON
/// with snake_case keys.
///
/// ```swift
/// let report = confusion.report(classNames: ["T-shirt/top", "Trouser", …])
/// print(report.table())
/// ```
public struct ClassificationReport: Sendable, Equatable, Codable {
    /// Correct predictions over all samples.
    public var accuracy: Double
    /// The unweighted mean of the classes' precisions.
    public var macroPrecision: Double
    /// The unweighted mean of the classes' recalls.
    public var macroRecall: Double
    /// The unweighted mean of the classes' F1 scores.
    public var macroF1: Double
    /// One entry per class, in label order.
    public var classes: [ClassMetrics]
    /// The counts the metrics were computed from.
    public var confusionMatrix: ConfusionMatrix

    private enum CodingKeys: String, CodingKey {
        case accuracy, macroPrecision = "macro_precision", macroRecall = "macro_recall",
             macroF1 = "macro_f1", classes, confusionMatrix = "confusion_matrix"
    }

    /// A fixed-width table in the layout of scikit-learn's `classification_report`.
    public func table() -> String {
        let nameWidth = Swift.max(12, (classes.map(\.name.count).max() ?? 0) + 2)
        let total = classes.reduce(0) { $0 + $1.support }
        func cell(_ v: Double) -> String { pad(String(format: "%.4f", v), 10) }
        var lines = [padRight("class", nameWidth) + pad("precision", 10) + pad("recall", 10)
                     + pad("f1", 10) + pad("support", 10)]
        for c in classes {
            lines.append(padRight(c.name, nameWidth) + cell(c.precision) + cell(c.recall) + cell(c.f1)
                         + pad("\(c.support)", 10))
        }
        lines.append("")
        lines.append(padRight("accuracy", nameWidth) + pad("", 20) + cell(accuracy) + pad("\(total)", 10))
        lines.append(padRight("macro avg", nameWidth) + cell(macroPrecision) + cell(macroRecall)
                     + cell(macroF1) + pad("\(total)", 10))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The confusion matrix as a fixed-width table, true classes down, predictions across
    /// (columns headed by class index to stay narrow).
    public func confusionTable() -> String {
        let width = Swift.max(6, "\(confusionMatrix.counts.max() ?? 0)".count + 2)
        let nameWidth = Swift.max(12, (classes.map(\.name.count).max() ?? 0) + 6)
        var lines = [padRight("true \\ predicted", nameWidth)
                     + classes.indices.map { pad("\($0)", width) }.joined()]
        for (i, row) in confusionMatrix.rows.enumerated() {
            lines.append(padRight("\(i) \(classes[i].name)", nameWidth) + row.map { pad("\($0)", width) }.joined())
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}

private func padRight(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
