import ArgumentParser
import ArrayKit
import Foundation
import Training

/// `compare-backends`: trains the manual and the autograd MLP from the same initial weights
/// on the same batches, prints their epochs side by side and checks that the training
/// losses agree (within 1e-4 relative at every epoch); exits non-zero if they do not.
///
/// ```sh
/// swift run -c release compare-backends --epochs 3
/// ```
public struct CompareBackends: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compare-backends",
        abstract: "Train both backends from the same weights and batches and compare them epoch by epoch.",
        discussion: """
            Writes comparison.svg (both training-loss and both validation-accuracy curves), comparison.txt \
            (the table) and a full run directory per backend (manual/, autograd/) into the output directory.
            """,
        version: Backprop.version)

    /// The largest relative difference of per-epoch training losses that counts as agreement.
    public static let tolerance = 1e-4

    @OptionGroup public var options: ExperimentOptions
    @OptionGroup public var rate: LearningRateOption

    public init() {}

    public func run() throws {
        var command = self
        try command.options.adoptInitialArchitecture(command: "compare-backends")
        try command.compareBackends()
    }

    private func compareBackends() throws {
        Interrupts.install()
        let experiment = try Experiment(options)
        let manual = ManualClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths,
                                      classes: experiment.classes, learningRate: rate.learningRate,
                                      seed: options.seed)
        try experiment.loadInitialWeights(into: manual)
        let autograd = AutoGradClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths,
                                          classes: experiment.classes, learningRate: rate.learningRate,
                                          epochs: options.epochs, stepsPerEpoch: experiment.stepsPerEpoch,
                                          seed: options.seed)
        // The same starting point by construction, not by trusting both initializers.
        try autograd.load(stateDict: manual.stateDict())

        let root = try RunDirectory(path: options.output, backend: "compare", existingRun: options.existingRun)
        let comparison = try interruptible(command: "compare-backends") {
            try root.keepingOnlyIfSuccessful { root in
                experiment.header(title: "compare-backends: manual (ArrayKit) vs autograd (AutoGrad), same weights and batches",
                                  model: manual, layers: "ReLU", method: "softmax cross-entropy, SGD",
                                  learningRate: compactText(rate.learningRate), run: root)
                    .forEach(experiment.say)
                experiment.say("training both in turns, one step each, so that Ctrl-C stops them at the same step "
                               + "(the progress shown is manual's)")
                return try compare(manual, autograd, experiment, in: root)
            }
        }
        experiment.say("")
        experiment.say(comparison.table())
        experiment.say(comparison.verdict(tolerance: Self.tolerance))
        experiment.say("wrote comparison.svg, comparison.txt, manual/ and autograd/ to \(root.url.path)")
        if options.json { print(try comparison.jsonLine(outputDirectory: root.url, tolerance: Self.tolerance)) }
        if !comparison.agrees(tolerance: Self.tolerance) { throw ExitCode.failure }
    }

    /// Trains both models in turns, one step each, each into its own run directory under
    /// `root`, and writes the comparison of the epochs both finished — also when a signal
    /// stopped them (at the same step), in which case it throws ``ComparisonInterrupted`` after writing.
    private func compare(_ manual: ManualClassifier, _ autograd: AutoGradClassifier, _ experiment: Experiment,
                         in root: RunDirectory) throws -> BackendComparison {
        let config = options.config.merging(rate.config) { _, new in new }
        let runs = [try experiment.start(manual, config: config, progress: ProgressReporter()),
                    try experiment.start(autograd, config: config, progress: nil)]
        let directories = try runs.map { try RunDirectory(path: root.file($0.model.backend).path, backend: $0.model.backend) }
        try TrainingRun.trainInTurns(runs, shouldStop: Interrupts.isRequested) { run, checkpoint in
            try experiment.save(checkpoint, of: run, arguments: [], in: directories[runs.firstIndex { $0 === run }!])
        }
        var interrupted = false
        func history(_ side: Int) throws -> RunHistory {
            do { return try experiment.finish(runs[side], in: directories[side]) } catch let stop as RunInterrupted {
                interrupted = true
                return stop.history
            }
        }
        let comparison = BackendComparison(manual: try history(0), autograd: try history(1))
        try Figure.comparing([("manual", comparison.manual), ("autograd", comparison.autograd)])
            .write(to: root.file("comparison.svg"))
        let note = interrupted ? "interrupted by \(Interrupts.signalName) after \(comparison.pairs.count) of \(options.epochs) epochs\n" : ""
        try root.write(comparison.table() + "\n" + comparison.verdict(tolerance: Self.tolerance) + "\n" + note,
                       to: "comparison.txt")
        if interrupted { throw ComparisonInterrupted(root: root, epochs: comparison.pairs.count, arguments: options.arguments + rate.arguments) }
        return comparison
    }
}

/// `compare-backends` stopped by a signal: both backends at the same step, each with its
/// checkpoint and partial reports, and the comparison of the epochs they finished.
struct ComparisonInterrupted: InterruptionReport {
    let root: RunDirectory
    let epochs: Int
    let arguments: [String]

    func lines(command: String) -> [String] {
        ["interrupted by \(Interrupts.signalName): both backends stopped at the same step after \(epochs) finished epoch(s); "
            + "wrote comparison.txt and comparison.svg for those epochs, and each backend's checkpoint, history and figures "
            + "(manual/, autograd/), to \(root.url.path)",
         "rerun with: \(([command] + arguments).map(shellQuoted).joined(separator: " "))"]
    }
}

/// Two runs of the same configuration, one per backend, epoch by epoch.
///
/// ```swift
/// let comparison = BackendComparison(manual: manualHistory, autograd: autogradHistory)
/// comparison.maxRelativeTrainLossDifference   // 3e-7 when both backends agree
/// ```
public struct BackendComparison {
    public let manual: RunHistory
    public let autograd: RunHistory

    public init(manual: RunHistory, autograd: RunHistory) {
        self.manual = manual
        self.autograd = autograd
    }

    /// The epochs both runs have, paired.
    var pairs: [(EpochRecord, EpochRecord)] { Array(zip(manual.epochs, autograd.epochs)) }

    /// `|a − b| / max(|a|, |b|)` (0 when both are 0; NaN if either is not finite).
    static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        guard a.isFinite && b.isFinite else { return .nan }
        let scale = max(abs(a), abs(b))
        return scale == 0 ? 0 : abs(a - b) / scale
    }

    /// The largest absolute difference of the per-epoch training losses.
    public var maxAbsoluteTrainLossDifference: Double {
        pairs.map { $0.0.trainLoss.isFinite && $0.1.trainLoss.isFinite ? abs($0.0.trainLoss - $0.1.trainLoss) : .nan }
            .reduce(0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
    }

    /// The largest relative difference of the per-epoch training losses.
    public var maxRelativeTrainLossDifference: Double {
        pairs.map { Self.relativeDifference($0.0.trainLoss, $0.1.trainLoss) }
            .reduce(0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
    }

    /// Whether both ran the same epochs and every training loss agrees within `tolerance`.
    public func agrees(tolerance: Double) -> Bool {
        manual.epochs.count == autograd.epochs.count && !manual.epochs.isEmpty
            && maxRelativeTrainLossDifference <= tolerance
    }

    /// The side-by-side table: per epoch both training losses, their difference, both
    /// validation losses and accuracies, and both epochs' seconds.
    public func table() -> String {
        func f(_ v: Double, _ digits: Int = 6) -> String { v.isFinite ? String(format: "%.\(digits)f", v) : compactNumber(v) }
        func e(_ v: Double) -> String { v.isFinite ? String(format: "%.1e", v) : compactNumber(v) }
        let header = ["epoch", "train loss M", "train loss A", "|Δ loss|", "rel Δ", "val loss M", "val loss A",
                      "val acc M", "val acc A", "s M", "s A"]
        var rows = [header]
        for (m, a) in pairs {
            rows.append(["\(m.epoch)", f(m.trainLoss), f(a.trainLoss),
                         e(m.trainLoss.isFinite && a.trainLoss.isFinite ? abs(m.trainLoss - a.trainLoss) : .nan),
                         e(Self.relativeDifference(m.trainLoss, a.trainLoss)), f(m.valLoss), f(a.valLoss),
                         f(m.valAccuracy, 4), f(a.valAccuracy, 4), f(m.seconds, 2), f(a.seconds, 2)])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        var lines = rows.map { row in
            row.indices.map { String(repeating: " ", count: widths[$0] - row[$0].count) + row[$0] }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        var text = "M = manual (ArrayKit), A = autograd (AutoGrad)\n" + lines.joined(separator: "\n") + "\n"
        if let mt = manual.test?.accuracy, let at = autograd.test?.accuracy {
            text += "test accuracy (best model): manual \(String(format: "%.4f", mt)), autograd \(String(format: "%.4f", at))\n"
        }
        return text
    }

    /// One line saying whether the training losses agree.
    public func verdict(tolerance: Double) -> String {
        "max |Δ train loss| = \(compactNumber(maxAbsoluteTrainLossDifference, significantDigits: 3)), "
            + "max relative Δ = \(compactNumber(maxRelativeTrainLossDifference, significantDigits: 3)): "
            + (agrees(tolerance: tolerance) ? "the backends agree within \(compactNumber(tolerance)) relative at every epoch"
                : "the backends DISAGREE (tolerance \(compactNumber(tolerance)) relative)")
    }

    /// `{"agree":…,"autograd":{run summary},"manual":{run summary},"max_abs_train_loss_difference":…,…}`.
    public func jsonLine(outputDirectory: URL, tolerance: Double) throws -> String {
        func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
        let manualLine = try RunSummary(manual, outputDirectory: outputDirectory.appendingPathComponent("manual")).jsonLine()
        let autogradLine = try RunSummary(autograd, outputDirectory: outputDirectory.appendingPathComponent("autograd")).jsonLine()
        return "{\"agree\":\(agrees(tolerance: tolerance)),\"autograd\":\(autogradLine),\"manual\":\(manualLine),"
            + "\"max_abs_train_loss_difference\":\(number(maxAbsoluteTrainLossDifference)),"
            + "\"max_rel_train_loss_difference\":\(number(maxRelativeTrainLossDifference)),"
            + "\"tolerance\":\(number(tolerance))}"
    }
}
