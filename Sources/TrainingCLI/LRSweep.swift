import ArgumentParser
import ArrayKit
import Dispatch
import Foundation
import Training

/// Which implementation `lr-sweep` trains.
public enum SweepBackend: String, CaseIterable, Sendable, ExpressibleByArgument {
    case manual, autograd
}

/// `lr-sweep`: trains the default configuration once per learning rate (Question 4.b iii–iv),
/// reports the runs that diverged, keeps them out of "best", and writes
/// `best_val_vs_lr.svg`, `loss_curves.svg` and `sweep.json`. With `--range-test` it runs
/// Smith's learning-rate range test instead; with `--plot-schedules DIR` it only draws
/// `train-autograd`'s schedules.
///
/// ```sh
/// swift run -c release lr-sweep --json                        # 1e-6, 1e-5, …, 100
/// swift run -c release lr-sweep --lrs 0.01 0.1 1 --jobs 2 --backend autograd
/// swift run -c release lr-sweep --range-test --output runs/range
/// swift run -c release lr-sweep --plot-schedules Docs/figures/schedules
/// ```
public struct LRSweep: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lr-sweep",
        abstract: "Train the MLP once per learning rate and compare the runs (Question 4.b).",
        discussion: """
            Writes best_val_vs_lr.svg (best validation accuracy against the rate, log axis), loss_curves.svg \
            (training and validation loss per epoch, one curve per rate; diverged runs dashed and marked) and \
            sweep.json (per rate: lr, diverged, interrupted, reason, best_val_accuracy, test_accuracy, epochs) into the \
            output directory; --lrs gives the rates. With --sharpness N (and --backend autograd) each run also measures \
            the sharpness of its loss, and sharpness.svg shows it per epoch beside each rate's 2/lr. With --jobs N > 1, OpenBLAS runs one \
            thread per product, so N runs share the cores instead of fighting over them.
            """,
        version: Backprop.version)

    /// 1e-6, 1e-5, …, 100: the assignment's nine rates at equal logarithmic steps (written as
    /// decimal literals so that each is the exact double of its name).
    public static let defaultLearningRates = (-6...2).map { Double("1e\($0)")! }

    @OptionGroup public var options: ExperimentOptions

    @Option(name: .customLong("lrs"), parsing: .upToNextOption,
            help: ArgumentHelp("The learning rates to train (default: 1e-6 1e-5 … 100).", valueName: "rate"))
    public var learningRates: [Double] = LRSweep.defaultLearningRates

    @Option(help: "manual (ArrayKit) or autograd (AutoGrad, plain SGD at a constant rate).")
    public var backend: SweepBackend = .manual

    @Option(help: "Rates trained at the same time, each on its own thread.")
    public var jobs: Int = 1

    @Option(help: ArgumentHelp("With --backend autograd: measure each rate's sharpness λ_max (the largest eigenvalue of the "
        + "training loss's Hessian) at initialization and after every epoch on the first N training samples, as "
        + "train-autograd --sharpness does; writes sharpness.svg (λ_max per epoch beside each 2/lr).", valueName: "N"))
    public var sharpness: Int?

    @Flag(help: "Instead of the sweep, one epoch with the rate rising exponentially per batch from the smallest to the largest of --lrs (Smith 2017); writes range_test.svg and range_test.json.")
    public var rangeTest = false

    @Option(help: ArgumentHelp("Only draw train-autograd's learning-rate schedules (peak rate 0.1, --epochs long) into <dir>/lr_schedules.svg; trains nothing.",
                               valueName: "dir"))
    public var plotSchedules: String?

    /// The peak of `--plot-schedules`' curves, as `train-autograd --lr` would set it; the
    /// sweep itself takes its rates from `--lrs`, so help does not list it.
    @Option(name: .customLong("lr"), help: ArgumentHelp("The peak rate of --plot-schedules.", visibility: .hidden))
    public var schedulePeak: Double = 0.1

    public init() {}

    public mutating func validate() throws {
        guard !learningRates.isEmpty else {
            throw ValidationError("--lrs: no rate given; e.g. --lrs 0.01 0.1 1")
        }
        if let bad = learningRates.first(where: { !($0.isFinite && $0 > 0) }) {
            throw ValidationError("--lrs: \(bad) is not a usable learning rate; give positive finite numbers, e.g. --lrs 0.01 0.1 1")
        }
        guard jobs >= 1 else {
            throw ValidationError("--jobs: \(jobs) is not a number of parallel runs; give a positive integer, e.g. --jobs 2")
        }
        if rangeTest && Set(learningRates).count < 2 {
            throw ValidationError("--range-test sweeps from the smallest to the largest of --lrs, so it needs two different rates, e.g. --lrs 1e-6 100")
        }
        guard schedulePeak.isFinite && schedulePeak > 0 else {
            throw ValidationError("--lr: \(schedulePeak) is not a usable peak rate for --plot-schedules; give a positive finite number, e.g. --lr 0.1")
        }
        if let plotSchedules, plotSchedules.isEmpty {
            throw ValidationError("--plot-schedules: the path is empty; give a directory, e.g. --plot-schedules Docs/figures")
        }
        try AutoGradOptions.validate(sharpness: sharpness)
        if let sharpness {
            if backend != .autograd {
                throw ValidationError("--sharpness needs --backend autograd: the manual backend's hand-written backward "
                    + "passes cannot be differentiated again (both backends train the same numbers), e.g. "
                    + "lr-sweep --backend autograd --sharpness \(sharpness)")
            }
            if rangeTest || plotSchedules != nil {
                throw ValidationError("--sharpness measures the runs of a sweep; --range-test and --plot-schedules train no such runs")
            }
        }
    }

    public func run() throws {
        var command = self
        if plotSchedules == nil { try command.options.adoptInitialArchitecture(command: "lr-sweep") }
        try command.sweepOrPlot()
    }

    private func sweepOrPlot() throws {
        if let directory = plotSchedules {
            let run = try RunDirectory(path: directory, backend: "schedules", existingRun: .keep)   // one figure, beside anything
            let stepsPerEpoch = Swift.max(1, (Self.catalogueTrainingCount - options.validationSize) / options.batchSize)
            try Self.scheduleChart(learningRate: schedulePeak, epochs: options.epochs, stepsPerEpoch: stepsPerEpoch)
                .write(to: run.file("lr_schedules.svg"))
            print("wrote lr_schedules.svg to \(run.url.path)")
            return
        }
        var experiment = try Experiment(options)
        try experiment.measureSharpness(onFirst: sharpness)
        // Fail on a bad --init-from before any directory exists.
        try experiment.loadInitialWeights(into: makeModel(learningRate: learningRates[0], experiment))
        let root = try RunDirectory(path: options.output, backend: "lr-sweep", existingRun: options.existingRun)
        if rangeTest {   // one epoch, nothing worth saving half of: Ctrl-C keeps its default
            try root.keepingOnlyIfSuccessful { try runRangeTest(experiment, in: $0) }
            return
        }
        Interrupts.install()
        let sweep = try interruptible(command: "lr-sweep") { try root.keepingOnlyIfSuccessful { try runSweep(experiment, in: $0) } }
        if options.json { print(try sweep.summaryLine(outputDirectory: root.url)) }
        if sweep.best == nil { throw ExitCode.failure }
    }

    // MARK: - The sweep

    private func runSweep(_ experiment: Experiment, in root: RunDirectory) throws -> LearningRateSweep {
        let rates = learningRates
        let parallel = Swift.min(jobs, rates.count)
        let previousThreads = BLAS.threads
        // Several runs each asking OpenBLAS for every core would oversubscribe the machine.
        if parallel > 1 { BLAS.threads = 1 }
        defer { BLAS.threads = previousThreads }
        experiment.say("lr-sweep: \(backend.rawValue) backend, \(rates.count) learning rates, \(parallel) at a time")
        experiment.say(BLAS.summary)
        experiment.say("rates: \(rates.map { compactNumber($0) }.joined(separator: ", "))")
        experiment.say("model: \(([experiment.inputs] + options.hiddenWidths + [experiment.classes]).map(String.init).joined(separator: " → ")), "
                       + "batch \(options.batchSize), \(options.epochs) epochs, seed \(options.seed)")
        experiment.say("output: \(root.url.path)")
        if let line = experiment.sharpnessLine { experiment.say(line) }
        fflush(nil)   // parallel jobs print nothing until a rate ends: show the header at once in a piped log too

        let slots = SweepSlots(count: rates.count)
        let report: @Sendable (SweepRun) -> String = { run in
            run.isInterrupted && !run.isDiverged
                ? "lr \(compactNumber(run.learningRate)): interrupted after \(run.history.epochs.count) epoch(s)"
                : run.isDiverged
                ? "lr \(compactNumber(run.learningRate)): DIVERGED — \(run.divergenceReason!)"
                : "lr \(compactNumber(run.learningRate)): best validation accuracy "
                    + String(format: "%.4f", run.bestValidationAccuracy ?? .nan)
                    + " (epoch \(run.history.bestEpoch ?? 0)), test accuracy " + String(format: "%.4f", run.testAccuracy ?? .nan)
        }
        let sharpnessReport: @Sendable (SweepRun) -> String? = { run in
            guard let initial = run.history.initialSharpness else { return nil }
            let last = run.history.epochs.last { $0.sharpness != nil }
            return "lr \(compactNumber(run.learningRate)): sharpness λ_max at initialization "
                + "\(compactNumber(initial.lambdaMax, significantDigits: 4)) (2/λ \(compactNumber(initial.stabilityThreshold, significantDigits: 3)))"
                + (last.map { ", after epoch \($0.epoch) \(compactNumber($0.sharpness!.lambdaMax, significantDigits: 4))" } ?? "")
                + "; 2/lr = \(compactNumber(2 / run.learningRate, significantDigits: 4))"
                + (run.history.sharpnessEstimates.allSatisfy(\.converged) ? "" : " (some estimates did not converge)")
        }
        if parallel == 1 {
            for (index, rate) in rates.enumerated() where !Interrupts.isRequested() {
                experiment.say("\n— lr \(compactNumber(rate)) —")
                let run = try train(learningRate: rate, experiment, progress: ProgressReporter())
                slots.store(run, at: index)
                experiment.say(report(run))
                if let line = sharpnessReport(run) { experiment.say(line) }
            }
        } else {
            // Each job claims the next rate, so a run that diverges early frees its thread at once.
            let job = UncheckedSendable((command: self, experiment: experiment))
            DispatchQueue.concurrentPerform(iterations: parallel) { _ in
                while !Interrupts.isRequested(), let index = slots.claimNext() {
                    do {
                        let run = try job.value.command.train(learningRate: rates[index], job.value.experiment, progress: nil)
                        slots.store(run, at: index)
                        slots.serialized {
                            job.value.experiment.say(report(run))
                            if let line = sharpnessReport(run) { job.value.experiment.say(line) }
                        }
                    } catch {
                        slots.fail(error)
                    }
                }
            }
        }
        let runs = try slots.runs()
        // Rates a stop request cut short or kept from starting.
        let unfinished = rates.filter { rate in !runs.contains { $0.learningRate == rate && !$0.isInterrupted } }
        var config = sweepConfig
        config["backend"] = .string(backend.rawValue)
        let sweep = LearningRateSweep(backend: backend.rawValue, dataset: experiment.dataset.spec.name, config: config, runs: runs)
        try sweep.bestValidationChart().write(to: root.file("best_val_vs_lr.svg"))
        try sweep.lossCurves().write(to: root.file("loss_curves.svg"))
        let sharpnessChart = sweep.sharpnessChart()
        try sharpnessChart?.write(to: root.file("sharpness.svg"))
        try sweep.write(to: root.file("sweep.json"))

        experiment.say("\n" + Self.table(sweep))
        if let best = sweep.best {
            experiment.say("best learning rate: \(compactNumber(best.learningRate)) (best validation accuracy "
                           + String(format: "%.4f", best.bestValidationAccuracy!) + ", test accuracy "
                           + String(format: "%.4f", best.testAccuracy ?? .nan) + ")")
        } else if unfinished.isEmpty {
            experiment.say("every learning rate diverged, so there is no best rate — try smaller rates (--lrs)")
        }
        if !sweep.divergedRates.isEmpty {
            experiment.say("diverged (excluded from best): \(sweep.divergedRates.map { compactNumber($0) }.joined(separator: ", "))")
        }
        experiment.say("wrote best_val_vs_lr.svg, loss_curves.svg, " + (sharpnessChart == nil ? "" : "sharpness.svg, ")
                       + "sweep.json to \(root.url.path)")
        if !unfinished.isEmpty {
            throw SweepInterrupted(root: root, finished: rates.count - unfinished.count, stopped: sweep.interruptedRates,
                                   unfinished: unfinished,
                                   arguments: options.arguments + ["--backend", backend.rawValue, "--jobs", "\(jobs)"]
                                       + (sharpness.map { ["--sharpness", "\($0)"] } ?? []))
        }
        return sweep
    }

    /// Trains one rate with the shared ``Trainer``, returning its outcome.
    func train(learningRate: Double, _ experiment: Experiment, progress: ProgressReporter?) throws -> SweepRun {
        let model = makeModel(learningRate: learningRate, experiment)
        try experiment.loadInitialWeights(into: model)
        var config = sweepConfig
        config["lr"] = .number(learningRate)
        let outcome = experiment.trainer(progress: progress)
            .fit(model, history: experiment.history(backend: model.backend, config: config),
                 shouldStop: Interrupts.isRequested, saveCheckpoint: { _ in })
        return SweepRun(learningRate: learningRate, history: outcome.history, classCount: experiment.classes,
                        interrupted: outcome.interrupted)
    }

    /// The shared settings of every rate's run (`sharpness` when measured).
    private var sweepConfig: [String: ConfigValue] {
        var config = options.config
        if let sharpness { config["sharpness"] = .integer(sharpness) }
        return config
    }

    /// A fresh model of the chosen backend at `learningRate`.
    private func makeModel(learningRate: Double, _ experiment: Experiment) -> any Classifier {
        switch backend {
        case .manual:
            ManualClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths, classes: experiment.classes,
                             learningRate: learningRate, seed: options.seed)
        case .autograd:
            AutoGradClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths, classes: experiment.classes,
                               learningRate: learningRate, epochs: options.epochs,
                               stepsPerEpoch: experiment.stepsPerEpoch, seed: options.seed)
        }
    }

    /// The per-rate table printed at the end.
    static func table(_ sweep: LearningRateSweep) -> String {
        func padded(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: Swift.max(0, width - text.count)) + text
        }
        func fixed(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "—" }
        let bestRate = sweep.best?.learningRate
        var lines = ["learning rate  best val acc  epoch  test acc", String(repeating: "-", count: 46)]
        for run in sweep.runs {
            var line = compactNumber(run.learningRate).padding(toLength: 13, withPad: " ", startingAt: 0)
            if let reason = run.divergenceReason {
                line += "  diverged: " + reason
            } else {
                line += padded(fixed(run.bestValidationAccuracy), 14) + padded("\(run.history.bestEpoch ?? 0)", 7)
                    + padded(fixed(run.testAccuracy), 10)
                if run.learningRate == bestRate { line += "  ← best" }
                if run.isInterrupted { line += "  interrupted after \(run.history.epochs.count) epoch(s)" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Range test and schedules

    private func runRangeTest(_ experiment: Experiment, in root: RunDirectory) throws {
        let (lower, upper) = (learningRates.min()!, learningRates.max()!)
        let model = makeModel(learningRate: lower, experiment)
        try experiment.loadInitialWeights(into: model)
        let loader = experiment.trainer(progress: nil).train
        experiment.say("lr-sweep --range-test: \(backend.rawValue) backend, rate from \(compactNumber(lower)) to "
                       + "\(compactNumber(upper)) over \(loader.batchCount) batches")
        let test = RangeTest.run(model, on: loader, from: lower, to: upper)
        try test.chart(title: "Learning-rate range test (\(backend.rawValue), \(experiment.dataset.spec.name))")
            .write(to: root.file("range_test.svg"))
        try root.write(test.jsonData() + Data("\n".utf8), to: "range_test.json")
        if let stop = test.stopReason { experiment.say("stopped after \(test.losses.count) batches: \(stop)") }
        experiment.say("smoothed loss lowest at lr \(test.minimumLossLearningRate.map { compactNumber($0, significantDigits: 3) } ?? "—"); "
                       + "suggested lr (a tenth of that) \(test.suggestedLearningRate.map { compactNumber($0, significantDigits: 2) } ?? "—")")
        experiment.say("wrote range_test.svg, range_test.json to \(root.url.path)")
        if options.json { print(try test.summaryLine(outputDirectory: root.url)) }
    }

    /// Every catalogue dataset (Fashion-MNIST, MNIST, KMNIST) has 60,000 training images;
    /// `--plot-schedules` loads no data, so it counts one-cycle's batches from this.
    static let catalogueTrainingCount = 60_000

    /// The learning rate over training for each `ScheduleChoice` given by a formula (not
    /// plateau, which follows the validation loss): per-epoch schedules as steps (epoch `e`
    /// spans [e − 1, e]), one-cycle batch by batch.
    public static func scheduleChart(learningRate: Double, epochs: Int, stepsPerEpoch: Int) -> LineChart {
        var chart = LineChart(title: "train-autograd's schedules (peak lr \(compactNumber(learningRate)), \(epochs) epochs)",
                              xLabel: "epoch (training progress)", yLabel: "learning rate")
        for choice in ScheduleChoice.allCases {
            guard let (schedule, perBatch) = choice.make(learningRate: learningRate, epochs: epochs,
                                                         stepsPerEpoch: stepsPerEpoch) else { continue }
            var x: [Double] = [], y: [Double] = []
            if perBatch {
                let total = epochs * stepsPerEpoch
                for step in Array(stride(from: 0, to: total, by: Swift.max(1, total / 400))) + [total - 1] {
                    x.append(Double(step) / Double(stepsPerEpoch))
                    y.append(schedule.learningRate(at: step))
                }
            } else {
                for epoch in 0..<epochs {
                    let rate = schedule.learningRate(at: epoch)
                    x += [Double(epoch), Double(epoch + 1)]
                    y += [rate, rate]
                }
            }
            chart.add(LineSeries(choice.rawValue, x: x, y: y, dashed: choice == .constant))
        }
        return chart
    }
}

/// The sweep's results as the jobs finish them, in rate order, and the first error.
/// `@unchecked` because every access goes through `lock`.
final class SweepSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [SweepRun?]
    private var next = 0
    private var error: (any Error)?

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// The next unclaimed index, or `nil` when all are taken or a job failed.
    func claimNext() -> Int? {
        serialized {
            guard error == nil && next < results.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func store(_ run: SweepRun, at index: Int) { serialized { results[index] = run } }
    func fail(_ error: any Error) { serialized { self.error = self.error ?? error } }

    /// Runs `body` under the lock (also to keep the jobs' printed lines whole).
    func serialized<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Every run that was trained (all, unless a stop request came first), in order, or the
    /// first error a job threw.
    func runs() throws -> [SweepRun] {
        try serialized {
            if let error { throw error }
            return results.compactMap { $0 }
        }
    }
}

/// `lr-sweep` stopped by a signal: the running rates stopped at their next step, the rest
/// never started; the summary and figures cover what ran, the stopped rates marked.
struct SweepInterrupted: InterruptionReport {
    let root: RunDirectory
    let finished: Int
    let stopped: [Double]
    let unfinished: [Double]
    let arguments: [String]

    func lines(command: String) -> [String] {
        func list(_ rates: [Double]) -> String { rates.map { compactNumber($0) }.joined(separator: ", ") }
        return ["interrupted by \(Interrupts.signalName): \(finished) rate(s) finished"
                    + (stopped.isEmpty ? "" : "; stopped mid-run (marked \"interrupted\"): \(list(stopped))")
                    + "; wrote sweep.json, best_val_vs_lr.svg and loss_curves.svg for them to \(root.url.path)",
                "rerun the unfinished rate(s) with: "
                    + ([command] + arguments + ["--lrs"] + unfinished.map { compactText($0) }).map(shellQuoted).joined(separator: " ")]
    }
}

/// Hands values that are only read (the command, the experiment's data) to the sweep's
/// threads; each thread builds its own model and trainer, so nothing mutable is shared.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
