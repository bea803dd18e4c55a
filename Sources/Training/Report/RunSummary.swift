import Foundation

/// The one-line JSON object a training executable prints last on stdout with `--json`.
///
/// Every key is always present; a value that is missing or not finite is `null`, so the
/// line is valid JSON even for a run that diverged:
///
/// ```json
/// {"backend":"manual","best_epoch":9,"best_val_accuracy":0.8812,"dataset":"fashion-mnist",
///  "diverged":false,"divergence_reason":null,"epochs":[{"epoch":1,"learning_rate":0.1,…}],
///  "output_directory":"runs/manual-20250101-120000","test_accuracy":0.8731,"test_loss":0.36}
/// ```
///
/// ```swift
/// print(try RunSummary(history, outputDirectory: run.url).jsonLine())
/// ```
public struct RunSummary: Encodable, Sendable {
    /// `"manual"` or `"autograd"`.
    public var backend: String
    /// The dataset's name, such as `"fashion-mnist"`.
    public var dataset: String
    /// The best model's test accuracy; `nil` when no model was tested.
    public var testAccuracy: Double?
    /// The best model's mean test loss; `nil` when no model was tested.
    public var testLoss: Double?
    /// The validation accuracy of the best epoch; `nil` when no epoch finished.
    public var bestValidationAccuracy: Double?
    /// The epoch (from 1) with the best validation accuracy; `nil` when no epoch finished.
    public var bestEpoch: Int?
    /// Whether a loss stopped being finite.
    public var diverged: Bool
    /// What diverged and where, when the run diverged.
    public var divergenceReason: String?
    /// Every finished epoch.
    public var epochs: [EpochRecord]
    /// The run directory's path, when the run wrote one.
    public var outputDirectory: String?

    /// The summary of `history`, naming the run directory when given.
    public init(_ history: RunHistory, outputDirectory: URL? = nil) {
        backend = history.backend
        dataset = history.dataset.name
        testAccuracy = history.test?.accuracy
        testLoss = history.test?.loss
        bestValidationAccuracy = history.bestValidationAccuracy
        bestEpoch = history.bestEpoch
        diverged = history.diverged
        divergenceReason = history.divergenceReason
        epochs = history.epochs
        self.outputDirectory = outputDirectory?.path
    }

    private enum CodingKeys: String, CodingKey {
        case backend, dataset, testAccuracy = "test_accuracy", testLoss = "test_loss",
             bestValidationAccuracy = "best_val_accuracy", bestEpoch = "best_epoch", diverged,
             divergenceReason = "divergence_reason", epochs, outputDirectory = "output_directory"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(backend, forKey: .backend)
        try c.encode(dataset, forKey: .dataset)
        try c.encodeFinite(testAccuracy, forKey: .testAccuracy)
        try c.encodeFinite(testLoss, forKey: .testLoss)
        try c.encodeFinite(bestValidationAccuracy, forKey: .bestValidationAccuracy)
        if let bestEpoch { try c.encode(bestEpoch, forKey: .bestEpoch) } else { try c.encodeNil(forKey: .bestEpoch) }
        try c.encode(diverged, forKey: .diverged)
        if let divergenceReason { try c.encode(divergenceReason, forKey: .divergenceReason) }
        else { try c.encodeNil(forKey: .divergenceReason) }
        try c.encode(epochs, forKey: .epochs)
        if let outputDirectory { try c.encode(outputDirectory, forKey: .outputDirectory) }
        else { try c.encodeNil(forKey: .outputDirectory) }
    }

    /// The summary as one line of JSON (no newline inside or at the end), keys sorted.
    public func jsonLine() throws -> String {
        String(decoding: try ReportJSON.lineEncoder().encode(self), as: UTF8.self)
    }
}

/// A per-epoch quantity of a run, for plotting.
public enum EpochMetric: String, Sendable, CaseIterable {
    /// The mean training loss.
    case trainLoss
    /// The training accuracy.
    case trainAccuracy
    /// The mean validation loss.
    case valLoss
    /// The validation accuracy.
    case valAccuracy
    /// The learning rate of the epoch (its first step's, under a schedule).
    case learningRate
    /// The wall-clock seconds of the epoch, training and validation.
    case seconds

    /// The metric's value in `record`.
    public func value(in record: EpochRecord) -> Double {
        switch self {
        case .trainLoss: record.trainLoss
        case .trainAccuracy: record.trainAccuracy
        case .valLoss: record.valLoss
        case .valAccuracy: record.valAccuracy
        case .learningRate: record.learningRate
        case .seconds: record.seconds
        }
    }
}

extension RunHistory {
    /// One metric over the epochs as a chart series (x = epoch). With `marksDivergence` a
    /// diverged run's series is drawn as diverged (for charts comparing several runs).
    ///
    /// ```swift
    /// chart.add(history.series(.trainLoss, name: "lr = 0.1"))
    /// ```
    public func series(_ metric: EpochMetric, name: String, markers: Bool = true, dashed: Bool = false,
                       color: String? = nil, marksDivergence: Bool = true) -> LineSeries {
        LineSeries(name, x: epochs.map { Double($0.epoch) }, y: epochs.map(metric.value(in:)),
                   markers: markers, diverged: marksDivergence && diverged, dashed: dashed, color: color)
    }

    /// The default chart title; a diverged run says so once, in the title.
    private func chartTitle(_ quantity: String) -> String {
        "\(quantity) (\(backend), \(dataset.name))" + (diverged ? " — diverged" : "")
    }

    /// Training and validation loss per epoch (`loss.svg`). A log y axis keeps a diverging
    /// epoch from flattening the rest.
    public func lossChart(title: String? = nil) -> LineChart {
        let values = epochs.flatMap { [$0.trainLoss, $0.valLoss] }.filter(\.isFinite)
        let wide = (values.max() ?? 1) / Swift.max(values.min() ?? 1, .leastNormalMagnitude) > 100
        return LineChart(title: title ?? chartTitle("Loss"), xLabel: "epoch",
                         yLabel: "mean cross-entropy loss", yScale: wide ? .log10 : .linear,
                         series: [series(.trainLoss, name: "train", color: SVG.palette[0], marksDivergence: false),
                                  series(.valLoss, name: "validation", dashed: true, color: SVG.palette[1], marksDivergence: false)])
    }

    /// The measured sharpness λ_max at initialization (epoch 0) and after each epoch, as
    /// (epoch, λ_max) points; empty when the run did not measure it.
    public var sharpnessPoints: (x: [Double], y: [Double]) {
        var points = (x: [Double](), y: [Double]())
        if let initial = initialSharpness {
            points.x.append(0)
            points.y.append(initial.lambdaMax)
        }
        for record in epochs {
            guard let estimate = record.sharpness else { continue }
            points.x.append(Double(record.epoch))
            points.y.append(estimate.lambdaMax)
        }
        return points
    }

    /// Every sharpness estimate of the run, the initial one first.
    public var sharpnessEstimates: [SharpnessEstimate] {
        (initialSharpness.map { [$0] } ?? []) + epochs.compactMap(\.sharpness)
    }

    /// The stability bound 2/η of each epoch's learning rate, drawn from epoch 0 (the first
    /// epoch's rate) to the last, as steps when a schedule moves the rate.
    public var stabilityBoundPoints: (x: [Double], y: [Double]) {
        guard let first = epochs.first else { return ([], []) }
        var points = (x: [0.0], y: [2 / first.learningRate])
        for record in epochs {
            points.x += [Double(record.epoch - 1), Double(record.epoch)]
            points.y += [2 / record.learningRate, 2 / record.learningRate]
        }
        return points
    }

    /// `sharpness.svg`: λ_max against the epoch (0 = initialization) with the bound 2/η of
    /// the learning rate, above which gradient descent on the local quadratic model
    /// diverges; `nil` when the run did not measure sharpness. A log y axis when the two are
    /// far apart.
    public func sharpnessChart(title: String? = nil) -> LineChart? {
        let measured = sharpnessPoints, bound = stabilityBoundPoints
        guard !measured.x.isEmpty else { return nil }
        let values = (measured.y + bound.y).filter { $0.isFinite && $0 > 0 }
        let wide = (values.max() ?? 1) / Swift.max(values.min() ?? 1, .leastNormalMagnitude) > 30
        let samples = config["sharpness"].map { " on \($0) training samples" } ?? ""
        let batch = config["batch_size"].map { ", batch \($0)" } ?? ""
        var chart = LineChart(title: title ?? chartTitle("Sharpness\(samples)\(batch)"), xLabel: "epoch (0 = initialization)",
                              yLabel: "λ_max of the loss Hessian", yScale: wide ? .log10 : .linear, width: 820)
        chart.add(LineSeries("λ_max (power iteration)", x: measured.x, y: measured.y, markers: true, color: SVG.palette[0]))
        if !bound.x.isEmpty {
            chart.add(LineSeries("2/η (stability bound)", x: bound.x, y: bound.y, dashed: true, color: SVG.palette[3]))
        }
        return chart
    }

    /// Training and validation accuracy per epoch (`accuracy.svg`).
    public func accuracyChart(title: String? = nil) -> LineChart {
        LineChart(title: title ?? chartTitle("Accuracy"), xLabel: "epoch", yLabel: "accuracy",
                  series: [series(.trainAccuracy, name: "train", color: SVG.palette[0], marksDivergence: false),
                           series(.valAccuracy, name: "validation", dashed: true, color: SVG.palette[1], marksDivergence: false)])
    }
}

extension LineChart {
    /// One metric of several runs on one chart, one series per run; diverged runs are drawn
    /// dashed and say "(diverged)" in the legend. For `lr-sweep`'s loss curves and for
    /// `compare-backends`.
    ///
    /// ```swift
    /// let chart = LineChart.comparing(.trainLoss, of: runs.map { ("lr = \(compactNumber($0.rate))", $0.history) },
    ///                                 title: "Training loss by learning rate", yScale: .log10)
    /// ```
    public static func comparing(_ metric: EpochMetric, of runs: [(name: String, history: RunHistory)],
                                 title: String, yLabel: String? = nil, yScale: AxisScale = .linear,
                                 markers: Bool = true) -> LineChart {
        LineChart(title: title, xLabel: "epoch", yLabel: yLabel ?? metric.axisLabel, yScale: yScale,
                  series: runs.map { $0.history.series(metric, name: $0.name, markers: markers) })
    }
}

extension Figure {
    /// Training loss and validation accuracy of several runs side by side: the figure
    /// `compare-backends` writes. Runs after the first are dashed, so curves that agree
    /// (as the two backends should) stay visible on top of each other.
    ///
    /// ```swift
    /// try Figure.comparing([("manual", manual), ("autograd", autograd)]).write(to: run.file("comparison.svg"))
    /// ```
    public static func comparing(_ runs: [(name: String, history: RunHistory)]) -> Figure {
        let panels = [LineChart.comparing(.trainLoss, of: runs, title: "Training loss"),
                      LineChart.comparing(.valAccuracy, of: runs, title: "Validation accuracy")]
            .map { chart in
                var chart = chart
                for i in chart.series.indices.dropFirst() { chart.series[i].isDashed = true }
                return chart
            }
        return Figure(panels, columns: 2)
    }
}

extension EpochMetric {
    /// A label for a chart's axis.
    public var axisLabel: String {
        switch self {
        case .trainLoss: "training loss"
        case .trainAccuracy: "training accuracy"
        case .valLoss: "validation loss"
        case .valAccuracy: "validation accuracy"
        case .learningRate: "learning rate"
        case .seconds: "seconds per epoch"
        }
    }
}
