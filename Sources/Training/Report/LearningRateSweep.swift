import ArrayKit
import Foundation

/// One learning rate of a sweep: its run's history and whether the run counts as diverged.
///
/// A run is diverged when the trainer stopped it on a non-finite loss; when an epoch's
/// training loss exceeded 4 × `ln(classes)`, four times the loss of guessing every class with
/// equal probability (the weights blew up, even if the loss then falls back to a guess's: the
/// learning-rate finders of fastai and PyTorch Lightning stop at 4 × the lowest loss so far);
/// or when its training loss ended above both its first epoch's and `ln(classes)` — worse
/// than a uniform guess, and getting worse. Such a rate is reported, drawn, and never chosen
/// as the best.
///
/// A run stopped by a signal before its last epoch is `interrupted`: reported and drawn with
/// the epochs it finished, but never chosen as the best (it trained less than the others).
///
/// ```swift
/// let run = SweepRun(learningRate: 100, history: history, classCount: 10)
/// run.isDiverged          // true
/// run.divergenceReason    // "training loss became NaN at epoch 1, batch 3 (learning rate 100)"
/// ```
public struct SweepRun: Sendable {
    /// The rate this run trained with.
    public var learningRate: Double
    /// The run's history.
    public var history: RunHistory
    /// Why the run counts as diverged, or `nil` if it does not.
    public var divergenceReason: String?
    /// Whether a stop request ended the run before its last epoch.
    public var isInterrupted: Bool

    /// The run of `learningRate`; `classCount` sets the `ln(classes)` bound of divergence.
    public init(learningRate: Double, history: RunHistory, classCount: Int, interrupted: Bool = false) {
        self.learningRate = learningRate
        self.history = history
        isInterrupted = interrupted
        divergenceReason = Self.divergence(of: history, classCount: classCount)
        bestValidationAccuracy = history.bestValidationAccuracy.flatMap { $0.isFinite ? $0 : nil }
        testAccuracy = history.test?.accuracy
    }

    /// Whether the run counts as diverged.
    public var isDiverged: Bool { divergenceReason != nil }
    /// The validation accuracy of the kept epoch, when finite.
    public let bestValidationAccuracy: Double?
    /// The test accuracy of the kept model. (Stored: computing it through `history.test?`
    /// inside a borrow crashes the Swift 6.3 optimizer in callers.)
    public let testAccuracy: Double?

    /// An epoch's training loss above this many times `ln(classes)` counts as a blow-up.
    static let blowUpFactor = 4.0

    /// Why `history` counts as diverged, or `nil` if it does not.
    static func divergence(of history: RunHistory, classCount: Int) -> String? {
        if history.diverged { return history.divergenceReason ?? "a loss was not finite" }
        let uniformGuess = log(Double(Swift.max(classCount, 2)))
        if let blownUp = history.epochs.first(where: { $0.trainLoss > blowUpFactor * uniformGuess }) {
            return "training loss reached \(compactNumber(blownUp.trainLoss, significantDigits: 4)) in epoch \(blownUp.epoch), "
                + "above \(compactNumber(blowUpFactor)) × ln(\(classCount)) = "
                + "\(compactNumber(blowUpFactor * uniformGuess, significantDigits: 4)) (\(compactNumber(blowUpFactor)) times a uniform guess's loss)"
        }
        guard let first = history.epochs.first, let last = history.epochs.last, last.epoch > first.epoch,
              last.trainLoss > uniformGuess && last.trainLoss > first.trainLoss else { return nil }
        return "training loss rose from \(compactNumber(first.trainLoss, significantDigits: 4)) (epoch \(first.epoch)) to "
            + "\(compactNumber(last.trainLoss, significantDigits: 4)) (epoch \(last.epoch)), above ln(\(classCount)) = "
            + "\(compactNumber(uniformGuess, significantDigits: 4)) of a uniform guess"
    }

    /// `lr = 0.001` (`lr = 0.001 (interrupted)` when it is), for legends.
    public var label: String { "lr = \(compactNumber(learningRate))" + (isInterrupted ? " (interrupted)" : "") }
}

/// The runs of a learning-rate sweep, ordered by rate, with the best rate (highest best
/// validation accuracy among the runs that did not diverge) and the sweep's figures and files.
///
/// ```swift
/// let sweep = LearningRateSweep(backend: "manual", dataset: "fashion-mnist", config: config, runs: runs)
/// sweep.best?.learningRate                                   // 0.1
/// try sweep.bestValidationChart().write(to: dir.appendingPathComponent("best_val_vs_lr.svg"))
/// try sweep.lossCurves().write(to: dir.appendingPathComponent("loss_curves.svg"))
/// try sweep.write(to: dir.appendingPathComponent("sweep.json"))
/// ```
public struct LearningRateSweep: Sendable {
    /// `"manual"` or `"autograd"`.
    public var backend: String
    /// The dataset's name.
    public var dataset: String
    /// The shared settings of every run (flag-like, as in `history.json`), without `lr`.
    public var config: [String: ConfigValue]
    /// One run per rate, smallest rate first.
    public var runs: [SweepRun]

    /// A sweep of `runs`, sorted by rate.
    public init(backend: String, dataset: String, config: [String: ConfigValue], runs: [SweepRun]) {
        self.backend = backend
        self.dataset = dataset
        self.config = config
        self.runs = runs.sorted { $0.learningRate < $1.learningRate }
    }

    /// The run with the highest best validation accuracy among those that finished and did not
    /// diverge; on a tie, the smaller rate. `nil` when there is none.
    public var best: SweepRun? {
        runs.filter { !$0.isDiverged && !$0.isInterrupted && $0.bestValidationAccuracy != nil }
            .max { $0.bestValidationAccuracy! < $1.bestValidationAccuracy! }
    }

    /// The rates whose runs diverged, smallest first.
    public var divergedRates: [Double] { runs.filter(\.isDiverged).map(\.learningRate) }
    /// The rates whose runs a stop request ended early, smallest first.
    public var interruptedRates: [Double] { runs.filter(\.isInterrupted).map(\.learningRate) }

    /// Best validation accuracy against the rate on a log axis. Only the runs that finished
    /// are joined by the curve. Diverged (red) and interrupted (grey) runs are markers alone:
    /// a dot at the best accuracy they reached before stopping, or, when they finished no
    /// epoch and so have no accuracy, a cross at the bottom of the axis that the legend
    /// names as such.
    public func bestValidationChart() -> LineChart {
        let kept = runs.filter { !$0.isDiverged && !$0.isInterrupted }
        var chart = LineChart(title: "Best validation accuracy (\(backend), \(dataset))",
                              xLabel: "learning rate", yLabel: "best validation accuracy", xScale: .log10,
                              yRange: 0...1, width: 800)   // room for the legend's long entries
        chart.add(LineSeries("trained", x: kept.map(\.learningRate), y: kept.map { $0.bestValidationAccuracy ?? .nan },
                             markers: true, color: SVG.palette[0]))
        func addStopped(_ stopped: [SweepRun], _ outcome: String, measured: String, color: String) {
            let reached = stopped.filter { $0.bestValidationAccuracy != nil }
            if !reached.isEmpty {
                chart.add(LineSeries("\(outcome): \(measured)", x: reached.map(\.learningRate),
                                     y: reached.map { $0.bestValidationAccuracy! }, line: false, color: color))
            }
            let none = stopped.filter { $0.bestValidationAccuracy == nil }
            if !none.isEmpty {
                chart.add(LineSeries("\(outcome): no accuracy (drawn at the bottom)", x: none.map(\.learningRate),
                                     y: none.map { _ in 0 }, marker: .cross, line: false, color: color))
            }
        }
        addStopped(runs.filter(\.isDiverged), "diverged", measured: "best before diverging", color: "#d62728")
        addStopped(runs.filter { $0.isInterrupted && !$0.isDiverged }, "interrupted", measured: "best so far",
                   color: "#7f7f7f")
        if let best {
            chart.add(LineSeries("best: \(best.label)", x: [best.learningRate], y: [best.bestValidationAccuracy!],
                                 markers: true, color: "#2ca02c"))
        }
        return chart
    }

    /// Training and validation loss per epoch, one curve per rate (log y); diverged runs are
    /// dashed, end in a cross where their loss stopped being finite and say so in the legend.
    public func lossCurves() -> Figure {
        func chart(_ metric: EpochMetric, _ title: String) -> LineChart {
            var chart = LineChart(title: title, xLabel: "epoch", yLabel: metric.axisLabel, yScale: .log10)
            for run in runs {
                var series = run.history.series(metric, name: run.label, marksDivergence: false)
                series.isDiverged = run.isDiverged
                chart.add(series)
            }
            return chart
        }
        return Figure([chart(.trainLoss, "Training loss by learning rate (\(backend), \(dataset))"),
                       chart(.valLoss, "Validation loss by learning rate")], columns: 2)
    }

    /// The sharpness λ_max of every rate's run against the epoch (0 = initialization), each
    /// beside its stability bound 2/η (dashed, same colour), on a log axis; `nil` when no run
    /// measured sharpness. A diverged run's curve ends in a cross at its last measurement.
    public func sharpnessChart() -> LineChart? {
        let measured = runs.filter { !$0.history.sharpnessPoints.x.isEmpty }
        guard !measured.isEmpty else { return nil }
        let samples = config["sharpness"].map { " on \($0) training samples" } ?? ""
        let batch = config["batch_size"].map { ", batch \($0)" } ?? ""
        var chart = LineChart(title: "Sharpness\(samples)\(batch) (\(backend), \(dataset))",
                              xLabel: "epoch (0 = initialization)", yLabel: "λ_max (solid) and 2/η (dashed)",
                              yScale: .log10, width: 860)
        for (index, run) in measured.enumerated() {
            let color = SVG.palette[index % SVG.palette.count]
            let points = run.history.sharpnessPoints, bound = run.history.stabilityBoundPoints
            chart.add(LineSeries("λ_max, \(run.label)", x: points.x, y: points.y, markers: true, diverged: run.isDiverged,
                                 color: color))
            chart.add(LineSeries("2/η = \(compactNumber(2 / run.learningRate, significantDigits: 3))", x: bound.x, y: bound.y,
                                 dashed: true, color: color))
        }
        return chart
    }

    /// `sweep.json`: the settings, the best rate, and per rate its outcome and epochs.
    public func jsonData() throws -> Data { try ReportJSON.prettyEncoder().encode(self) }

    /// Writes `jsonData()` to `url`, complete or not at all.
    public func write(to url: URL) throws { try writeAtomically(jsonData() + Data("\n".utf8), to: url) }

    /// The one line `lr-sweep --json` prints: the best rate and, per rate, its outcome
    /// without the epochs.
    public func summaryLine(outputDirectory: URL?) throws -> String {
        String(decoding: try ReportJSON.lineEncoder().encode(Summary(sweep: self, outputDirectory: outputDirectory?.path)),
               as: UTF8.self)
    }
}

extension LearningRateSweep: Encodable {
    private enum CodingKeys: String, CodingKey {
        case backend, dataset, config, runs, bestLearningRate = "best_learning_rate",
             bestValidationAccuracy = "best_val_accuracy", bestTestAccuracy = "best_test_accuracy",
             divergedLearningRates = "diverged_learning_rates"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(backend, forKey: .backend)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(config, forKey: .config)
        try c.encode(runs.map { RunEntry(run: $0, withEpochs: true) }, forKey: .runs)
        try c.encodeFinite(best?.learningRate, forKey: .bestLearningRate)
        try c.encodeFinite(best?.bestValidationAccuracy, forKey: .bestValidationAccuracy)
        try c.encodeFinite(best?.testAccuracy, forKey: .bestTestAccuracy)
        try c.encode(divergedRates, forKey: .divergedLearningRates)
    }

    /// One rate in `sweep.json` (with its epochs) or in the summary line (without).
    struct RunEntry: Encodable {
        let run: SweepRun
        let withEpochs: Bool

        private enum CodingKeys: String, CodingKey {
            case lr, diverged, interrupted, reason, bestValidationAccuracy = "best_val_accuracy", bestEpoch = "best_epoch",
                 testAccuracy = "test_accuracy", testLoss = "test_loss", epochs, initialSharpness = "initial_sharpness"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(run.learningRate, forKey: .lr)
            try c.encode(run.isDiverged, forKey: .diverged)
            try c.encode(run.isInterrupted, forKey: .interrupted)
            if let reason = run.divergenceReason { try c.encode(reason, forKey: .reason) } else { try c.encodeNil(forKey: .reason) }
            try c.encodeFinite(run.bestValidationAccuracy, forKey: .bestValidationAccuracy)
            if let epoch = run.history.bestEpoch { try c.encode(epoch, forKey: .bestEpoch) } else { try c.encodeNil(forKey: .bestEpoch) }
            try c.encodeFinite(run.testAccuracy, forKey: .testAccuracy)
            try c.encodeFinite(run.history.test?.loss, forKey: .testLoss)
            if withEpochs { try c.encode(run.history.epochs, forKey: .epochs) }
            // Only when measured (each epoch's own is in its record).
            try c.encodeIfPresent(run.history.initialSharpness, forKey: .initialSharpness)
        }
    }

    struct Summary: Encodable {
        let sweep: LearningRateSweep
        let outputDirectory: String?

        private enum CodingKeys: String, CodingKey {
            case backend, dataset, runs, bestLearningRate = "best_learning_rate",
                 bestValidationAccuracy = "best_val_accuracy", bestTestAccuracy = "best_test_accuracy",
                 divergedLearningRates = "diverged_learning_rates", outputDirectory = "output_directory"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            let best = sweep.best
            try c.encode(sweep.backend, forKey: .backend)
            try c.encode(sweep.dataset, forKey: .dataset)
            try c.encode(sweep.runs.map { RunEntry(run: $0, withEpochs: false) }, forKey: .runs)
            try c.encodeFinite(best?.learningRate, forKey: .bestLearningRate)
            try c.encodeFinite(best?.bestValidationAccuracy, forKey: .bestValidationAccuracy)
            try c.encodeFinite(best?.testAccuracy, forKey: .bestTestAccuracy)
            try c.encode(sweep.divergedRates, forKey: .divergedLearningRates)
            if let outputDirectory { try c.encode(outputDirectory, forKey: .outputDirectory) }
            else { try c.encodeNil(forKey: .outputDirectory) }
        }
    }
}
