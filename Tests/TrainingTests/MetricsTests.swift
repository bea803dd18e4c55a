import Foundation
import Testing
@testable import Training

@Suite struct MetricsTests {
    // Worked by hand: rows are true classes.
    //   true 0: predicted 0, 0, 1, 2  → [2, 1, 1]
    //   true 1: predicted 1, 1, 0     → [1, 2, 0]
    //   true 2: predicted 2, 2, 1     → [0, 1, 2]
    let labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    let predictions = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]

    @Test func countsPairsWithTrueClassesAsRows() {
        let m = ConfusionMatrix(predictions: predictions, labels: labels, classCount: 3)
        #expect(m.rows == [[2, 1, 1], [1, 2, 0], [0, 1, 2]])
        #expect(m[0, 2] == 1)
        #expect(m[2, 0] == 0)
        #expect(m.total == 10)
        #expect(m.correct == 6)
        #expect(m.accuracy == 0.6)
        #expect((0..<3).map(m.support(of:)) == [4, 3, 3])
        #expect((0..<3).map(m.predictedCount(of:)) == [3, 4, 3])
    }

    @Test func precisionRecallAndF1MatchTheHandComputation() {
        let m = ConfusionMatrix(predictions: predictions, labels: labels, classCount: 3)
        let expected: [(p: Double, r: Double, f1: Double)] = [(2.0 / 3, 1.0 / 2, 4.0 / 7),
                                                               (1.0 / 2, 2.0 / 3, 4.0 / 7),
                                                               (2.0 / 3, 2.0 / 3, 2.0 / 3)]
        for (c, e) in expected.enumerated() {
            #expect(abs(m.precision(of: c) - e.p) < 1e-12)
            #expect(abs(m.recall(of: c) - e.r) < 1e-12)
            #expect(abs(m.f1(of: c) - e.f1) < 1e-12)
        }
        let report = m.report(classNames: ["cat", "dog", "bird"])
        #expect(abs(report.macroPrecision - 11.0 / 18) < 1e-12)
        #expect(abs(report.macroRecall - 11.0 / 18) < 1e-12)
        #expect(abs(report.macroF1 - 38.0 / 63) < 1e-12)
        #expect(report.accuracy == 0.6)
        #expect(report.classes.map(\.name) == ["cat", "dog", "bird"])
        #expect(report.classes.map(\.support) == [4, 3, 3])
    }

    @Test func classesNeverPredictedOrAbsentScoreZeroNotNaN() {
        // Class 2 never occurs and is never predicted; class 1 occurs but is never predicted.
        let m = ConfusionMatrix(predictions: [0, 0, 0], labels: [0, 1, 0], classCount: 3)
        #expect(m.precision(of: 1) == 0)
        #expect(m.recall(of: 1) == 0)
        #expect(m.f1(of: 1) == 0)
        #expect(m.precision(of: 2) == 0)
        #expect(m.recall(of: 2) == 0)
        #expect(m.f1(of: 2) == 0)
        #expect(abs(m.precision(of: 0) - 2.0 / 3) < 1e-12)
        #expect(m.recall(of: 0) == 1)
        #expect(ConfusionMatrix(classCount: 4).accuracy == 0)
        let report = m.report()
        #expect([report.macroPrecision, report.macroRecall, report.macroF1].allSatisfy { $0.isFinite })
    }

    @Test func batchesMergeToTheWholeSet() {
        var m = ConfusionMatrix(classCount: 3)
        m.record(predictions: predictions[..<5], labels: labels[..<5])
        var rest = ConfusionMatrix(classCount: 3)
        rest.record(predictions: predictions[5...], labels: labels[5...])
        m.merge(rest)
        #expect(m == ConfusionMatrix(predictions: predictions, labels: labels, classCount: 3))
    }

    @Test func outOfRangeClassIsAProgrammerError() async {
        await #expect(processExitsWith: .failure) {
            var m = ConfusionMatrix(classCount: 3)
            m.record(predicted: 3, label: 0)
        }
    }

    @Test func tableListsEveryClassAndTheAverages() {
        let report = ConfusionMatrix(predictions: predictions, labels: labels, classCount: 3)
            .report(classNames: ["cat", "dog", "bird"])
        let lines = report.table().split(separator: "\n").map(String.init)
        #expect(lines[0].contains("precision"))
        #expect(lines[0].contains("recall"))
        #expect(lines[0].contains("f1"))
        let cat = lines.first { $0.hasPrefix("cat") }
        #expect(cat?.split(separator: " ") == ["cat", "0.6667", "0.5000", "0.5714", "4"])
        #expect(lines.contains { $0.hasPrefix("accuracy") && $0.contains("0.6000") && $0.hasSuffix("10") })
        #expect(lines.contains { $0.hasPrefix("macro avg") && $0.contains("0.6111") && $0.contains("0.6032") })
        let confusion = report.confusionTable().split(separator: "\n")
        #expect(confusion.count == 4)
        #expect(confusion[1].split(separator: " ") == ["0", "cat", "2", "1", "1"])
    }

    @Test func jsonUsesSnakeCaseAndRoundTrips() throws {
        let report = ConfusionMatrix(predictions: predictions, labels: labels, classCount: 3).report()
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["accuracy", "macro_precision", "macro_recall", "macro_f1", "classes", "confusion_matrix"])
        let matrix = try #require(object["confusion_matrix"] as? [String: Any])
        #expect(matrix["class_count"] as? Int == 3)
        #expect(matrix["counts"] as? [[Int]] == [[2, 1, 1], [1, 2, 0], [0, 1, 2]])
        #expect(try JSONDecoder().decode(ClassificationReport.self, from: data) == report)
    }

    @Test func malformedMatrixJSONIsRejected() {
        let bad = Data(#"{"class_count": 2, "counts": [[1, 2], [3]]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConfusionMatrix.self, from: bad) }
    }

    @Test func heatmapIsValidSVGWithClassNamesAndCounts() throws {
        let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        var rng = SystemRandomNumberGenerator()
        var m = ConfusionMatrix(classCount: 10)
        for label in 0..<10 { for _ in 0..<100 {
            m.record(predicted: Int.random(in: 0..<10, using: &rng) < 8 ? label : Int.random(in: 0..<10, using: &rng), label: label)
        } }
        let svg = ConfusionMatrixChart(m, classNames: names, title: "Test confusion matrix").svg()
        _ = try parseWithPython(svg, name: "confusion.svg")
        let texts = textContents(in: svg)
        for name in names { #expect(texts.filter { $0 == name }.count == 2, "\(name) labels a row and a column") }
        #expect(texts.contains("\(m[3, 3])"))
        #expect(texts.contains("Test confusion matrix"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 1 + 100 + 1)   // background, cells, frame
        #expect(ConfusionMatrixChart.blue(0) == "#f7fbff")
        #expect(ConfusionMatrixChart.blue(1) == "#08306b")
    }
}
