import Foundation

/// The learning-rate range test of Smith (2017, "Cyclical Learning Rates for Training
/// Neural Networks", §3.3): one pass over the training batches with the rate raised
/// exponentially from `lower` to `upper`, recording the loss after every batch. The loss
/// falls once the rate is large enough to make progress and shoots up once it is too large;
/// a good constant rate sits somewhat below the minimum of the (smoothed) curve.
///
/// ```swift
/// let model = ManualClassifier(inputs: 784, hidden: [128], classes: 10, learningRate: 1e-6, seed: 42)
/// let test = RangeTest.run(model, on: trainer.train, from: 1e-6, to: 100)
/// test.suggestedLearningRate   // a tenth of the rate at the smoothed loss's minimum
/// ```
public struct RangeTest: Sendable {
    /// The rate of each batch, rising geometrically.
    public var learningRates: [Double]
    /// The training loss of each batch (before that batch's update).
    public var losses: [Double]
    /// `losses` smoothed by an exponential moving average (β = 0.98) with bias correction.
    public var smoothedLosses: [Double]
    /// Why the test stopped before the last batch, if it did.
    public var stopReason: String?

    /// The smoothing factor of the moving average, as in fastai's `lr_find`.
    public static let smoothing = 0.98
    /// The test stops once the smoothed loss exceeds this multiple of its minimum.
    public static let explosionFactor = 4.0

    /// Runs the test: before batch `k` of `K` it sets the model's rate to `lower · (upper/lower)^(k/(K−1))`
    /// and trains one step; it stops early on a non-finite loss or once the smoothed loss is
    /// `explosionFactor` times its minimum.
    public static func run(_ model: any Classifier, on loader: DataLoader, from lower: Double, to upper: Double)
        -> RangeTest {
        precondition(lower > 0 && upper > lower, "RangeTest: the rates must satisfy 0 < lower < upper, got \(lower) and \(upper)")
        let count = loader.batchCount
        precondition(count >= 2, "RangeTest: an epoch of \(count) batch cannot sweep a range; use a smaller batch size")
        var result = RangeTest(learningRates: [], losses: [], smoothedLosses: [], stopReason: nil)
        var average = 0.0, minimum = Double.infinity
        model.beginEpoch(1)
        for (index, batch) in loader.batches(epoch: 0).enumerated() {
            let rate = lower * pow(upper / lower, Double(index) / Double(count - 1))
            model.learningRate = rate
            let loss = model.trainStep(batch.features, labels: batch.labels).loss
            result.learningRates.append(rate)
            result.losses.append(loss)
            guard loss.isFinite else {
                result.smoothedLosses.append(.nan)
                result.stopReason = "loss became \(compactNumber(loss)) at learning rate \(compactNumber(rate, significantDigits: 3))"
                break
            }
            average = smoothing * average + (1 - smoothing) * loss
            let smoothed = average / (1 - pow(smoothing, Double(index + 1)))
            result.smoothedLosses.append(smoothed)
            minimum = Swift.min(minimum, smoothed)
            if smoothed > explosionFactor * minimum {
                result.stopReason = "smoothed loss \(compactNumber(smoothed, significantDigits: 3)) exceeded \(compactNumber(explosionFactor)) × its minimum at learning rate \(compactNumber(rate, significantDigits: 3))"
                break
            }
        }
        return result
    }

    /// The rate at which the smoothed loss was lowest.
    public var minimumLossLearningRate: Double? {
        zip(learningRates, smoothedLosses).filter { $0.1.isFinite }.min { $0.1 < $1.1 }?.0
    }

    /// A tenth of ``minimumLossLearningRate``: at the minimum the rate is already at the edge
    /// of instability, so the usual rule (fastai, Smith) backs off by an order of magnitude.
    public var suggestedLearningRate: Double? { minimumLossLearningRate.map { $0 / 10 } }

    /// Loss against learning rate (log x, log y): each batch's loss and the smoothed curve,
    /// with two points of the smoothed curve marked and named in the legend: its minimum,
    /// and a tenth of that rate (``suggestedLearningRate``, the usual rule).
    public func chart(title: String) -> LineChart {
        var chart = LineChart(title: title, xLabel: "learning rate (rising every batch)", yLabel: "training loss",
                              xScale: .log10, yScale: .log10, width: 840)   // room for the legend's long entries
        chart.add(LineSeries("batch loss", x: learningRates, y: losses, color: "#bbbbbb"))
        chart.add(LineSeries("smoothed (EMA 0.98)", x: learningRates, y: smoothedLosses, color: SVG.palette[0]))
        func mark(_ name: String, at rate: Double?, color: String) {
            guard let rate, let index = learningRates.lastIndex(where: { $0 <= rate }) else { return }
            chart.add(LineSeries("\(name): lr ≈ \(compactNumber(rate, significantDigits: 2))", x: [learningRates[index]],
                                 y: [smoothedLosses[index]], line: false, color: color))
        }
        mark("smoothed minimum", at: minimumLossLearningRate, color: SVG.palette[1])
        mark("a tenth of the smoothed minimum", at: suggestedLearningRate, color: "#2ca02c")
        return chart
    }
}

extension RangeTest: Encodable {
    private enum CodingKeys: String, CodingKey {
        case learningRates = "learning_rates", losses, smoothedLosses = "smoothed_losses", stopReason = "stop_reason",
             minimumLossLearningRate = "minimum_loss_learning_rate", suggestedLearningRate = "suggested_learning_rate"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(learningRates, forKey: .learningRates)
        // JSON has no NaN: the last loss of an exploded test is written as null.
        try c.encode(losses.map { $0.isFinite ? $0 : nil }, forKey: .losses)
        try c.encode(smoothedLosses.map { $0.isFinite ? $0 : nil }, forKey: .smoothedLosses)
        if let stopReason { try c.encode(stopReason, forKey: .stopReason) } else { try c.encodeNil(forKey: .stopReason) }
        try c.encodeFinite(minimumLossLearningRate, forKey: .minimumLossLearningRate)
        try c.encodeFinite(suggestedLearningRate, forKey: .suggestedLearningRate)
    }

    /// Indented JSON with sorted keys (`range_test.json`).
    public func jsonData() throws -> Data { try ReportJSON.prettyEncoder().encode(self) }
}

extension RangeTest {
    /// The one line `lr-sweep --range-test --json` prints last.
    public func summaryLine(outputDirectory: URL?) throws -> String {
        struct Line: Encodable {
            let test: RangeTest
            let outputDirectory: String?
            enum CodingKeys: String, CodingKey {
                case batches, minimumLossLearningRate = "minimum_loss_learning_rate",
                     suggestedLearningRate = "suggested_learning_rate", stopReason = "stop_reason",
                     outputDirectory = "output_directory"
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(test.losses.count, forKey: .batches)
                try c.encodeFinite(test.minimumLossLearningRate, forKey: .minimumLossLearningRate)
                try c.encodeFinite(test.suggestedLearningRate, forKey: .suggestedLearningRate)
                if let stop = test.stopReason { try c.encode(stop, forKey: .stopReason) } else { try c.encodeNil(forKey: .stopReason) }
                if let outputDirectory { try c.encode(outputDirectory, forKey: .outputDirectory) }
                else { try c.encodeNil(forKey: .outputDirectory) }
            }
        }
        return String(decoding: try ReportJSON.lineEncoder().encode(Line(test: self, outputDirectory: outputDirectory?.path)),
                      as: UTF8.self)
    }
}
