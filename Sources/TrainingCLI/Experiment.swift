import ArrayKit
import Foundation
import Training

/// A problem with the user's input found while preparing a run (not a flag's syntax, which
/// ArgumentParser reports); the text says what was wrong and what to do.
public struct ExperimentError: Error, CustomStringConvertible {
    public let description: String
}

/// One experiment's data and settings, ready to train a classifier and write its run
/// directory. Everything that can fail because of the input (an `--output` that holds a
/// run, dataset, batch size, `--init-from`) fails in `init` or `loadInitialWeights` — before
/// any directory exists or any file is written.
///
/// ```swift
/// let experiment = try Experiment(options)
/// let model = ManualClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths,
///                              classes: experiment.classes, learningRate: 0.1, seed: options.seed)
/// try experiment.loadInitialWeights(into: model)
/// let run = try RunDirectory(path: options.output, backend: "manual")
/// let history = try experiment.train(model, in: run, config: options.config)
/// ```
struct Experiment {
    let options: ExperimentOptions
    let dataset: Dataset
    let split: DataSplit
    /// Where lines for people go (standard output in the executables).
    let say: (String) -> Void
    /// The samples the runs measure sharpness on (`--sharpness N`), if they do.
    private(set) var sharpnessProbe: SharpnessProbe?

    init(_ options: ExperimentOptions, say: @escaping (String) -> Void = { print($0) }) throws {
        self.options = options
        self.say = say
        // Checked first, so a used directory is refused before the data is loaded (and again,
        // authoritatively, when the run directory is made).
        if let output = options.output { try RunDirectory.checkAvailable(path: output, existingRun: options.existingRun) }
        let spec = try DatasetSpec.named(options.dataset)
        let locator = DatasetLocator(dataDirectory: options.dataDir.map { URL(fileURLWithPath: $0) })
        dataset = try Dataset.load(spec, locator: locator, download: options.download, log: say)
        split = try DataSplit(dataset, validationCount: options.validationSize, shuffle: !options.noShuffle,
                              seed: options.seed)
        guard split.train.count >= options.batchSize else {
            throw ExperimentError(description: "--batch-size \(options.batchSize) is larger than the \(split.train.count) training samples, so an epoch would have no full batch — use a smaller --batch-size")
        }
    }

    /// Makes the runs measure sharpness on the first `samples` training samples; throws when
    /// the training set has fewer.
    mutating func measureSharpness(onFirst samples: Int?) throws {
        guard let samples else { return }
        guard samples <= split.train.count else {
            throw ExperimentError(description: "--sharpness \(samples) is more than the \(split.train.count) training samples "
                + "(--validation-size \(options.validationSize) are held out) — give at most \(split.train.count), e.g. --sharpness 1000")
        }
        sharpnessProbe = SharpnessProbe.firstSamples(samples, of: split)
    }

    /// The header line that says how sharpness is measured, when it is.
    var sharpnessLine: String? {
        sharpnessProbe.map { probe in
            "sharpness: λ_max of the mean loss over the first \(probe.count) training samples (eval mode), at initialization "
                + "and after every epoch; power iteration on Hessian-vector products from a fixed direction (seed "
                + "\(SharpnessProbe.seed)), until the estimate moves by ≤ \(compactNumber(probe.tolerance)) relative "
                + "or \(probe.maxIterations) products"
        }
    }

    var inputs: Int { split.train.featureCount }
    var classes: Int { dataset.spec.classCount }
    var stepsPerEpoch: Int { split.train.count / options.batchSize }

    func trainer(progress: ProgressReporter?) -> Trainer {
        var trainer = Trainer(split: split, batchSize: options.batchSize, shuffle: !options.noShuffle, seed: options.seed,
                              epochs: options.epochs, classNames: dataset.spec.classNames, progress: progress)
        trainer.sharpnessProbe = sharpnessProbe
        return trainer
    }

    func history(backend: String, config: [String: ConfigValue]) -> RunHistory {
        let summary = DatasetSummary(
            name: dataset.spec.name, directory: dataset.location.directory.path,
            normalizationMean: Double(split.normalization.mean), normalizationStd: Double(split.normalization.std),
            trainCount: split.train.count, validationCount: split.validation.count, testCount: split.test.count,
            classNames: dataset.spec.classNames)
        return RunHistory(backend: backend, config: config, blas: BLAS.summary, dataset: summary)
    }

    /// What `model.safetensors` records besides the weights: the model's shape, this run's
    /// normalization, the dataset and its class names.
    func modelDescription(of model: any Classifier) -> ModelDescription {
        ModelDescription(architecture: model.architecture, normalization: split.normalization, dataset: dataset.spec.name,
                         classNames: dataset.spec.classNames)
    }

    /// Loads `--init-from` into `model`, strictly: every parameter present with its shape and
    /// nothing else (integer buffers such as BatchNorm's `num_batches_tracked` may be left out).
    func loadInitialWeights(into model: some Classifier) throws {
        guard let path = options.initFrom else { return }
        do {
            try model.load(state: ClassifierState(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ExperimentError(description: "--init-from \(path): \(error)")
        }
    }

    /// The lines printed before training: what runs, on what, and where the outputs go.
    /// `layers` describes what follows each hidden `Linear` (e.g. `"ReLU"`), `method` the loss and optimizer.
    func header(title: String, model: some Classifier, layers: String, method: String, learningRate: String,
                run: RunDirectory) -> [String] {
        let parameters = model.stateDict().reduce(0) { $0 + $1.1.count }
        let n = split.normalization
        return [
            title,
            BLAS.summary,
            "data: \(dataset.spec.displayName) from \(dataset.location.directory.path) (\(dataset.location.origin)): "
                + "\(split.train.count) train / \(split.validation.count) validation / \(split.test.count) test, "
                + "pixels normalized with mean \(String(format: "%.4f", n.mean)), std \(String(format: "%.4f", n.std))",
            "model: \(([inputs] + options.hiddenWidths + [classes]).map(String.init).joined(separator: " → ")) "
                + (options.hiddenWidths.isEmpty ? "" : "(\(layers)), ") + "\(method), \(parameters) parameters\(options.initFrom.map { ", initial weights from \($0)" } ?? "")",
            "training: lr \(learningRate), batch \(options.batchSize), \(options.epochs) epochs, "
                + "seed \(options.seed)\(options.noShuffle ? ", no shuffling" : "")",
            "output: \(run.url.path)",
        ] + (sharpnessLine.map { [$0] } ?? [])
    }

    /// Trains `model`, writes the run's reports and its best model into `run`, prints the
    /// test results, and returns the history. The caller discards `run` if this throws.
    ///
    /// After every epoch it writes `checkpoint.safetensors` (recording `arguments`, the
    /// command line that rebuilds this run) and refreshes the reports; with `checkpoint` it
    /// continues that run. When `shouldStop` turns true it finishes the step, writes a
    /// checkpoint, the partial reports and the best model so far, and throws ``RunInterrupted``.
    func train(_ model: some Classifier, in run: RunDirectory, config: [String: ConfigValue],
               progress: ProgressReporter?, resumingFrom checkpoint: TrainingCheckpoint? = nil,
               arguments: [String] = [], shouldStop: () -> Bool = { false }) throws -> RunHistory {
        let training = try start(model, config: config, progress: progress, resumingFrom: checkpoint, in: run)
        try TrainingRun.trainInTurns([training], shouldStop: shouldStop) { _, snapshot in
            try save(snapshot, of: training, arguments: arguments, in: run)
        }
        return try finish(training, in: run)
    }

    /// A run of `model` with this experiment's data and settings, continuing `checkpoint` if
    /// given, with the steps `run`'s `metrics.jsonl` logged up to it.
    func start(_ model: some Classifier, config: [String: ConfigValue], progress: ProgressReporter?,
               resumingFrom checkpoint: TrainingCheckpoint? = nil, in run: RunDirectory? = nil) throws -> TrainingRun {
        let trainer = trainer(progress: progress)
        var steps: [StepRecord] = []
        if let checkpoint {
            try checkpoint.restore(into: model, for: trainer)
            say("resuming after epoch \(checkpoint.completedEpochs)"
                + (checkpoint.batchesIntoEpoch > 0 ? ", batch \(checkpoint.batchesIntoEpoch) of epoch \(checkpoint.completedEpochs + 1)" : ""))
            if let run {
                let logged = run.loggedSteps(through: checkpoint.stepsTaken)
                steps = logged.steps
                if let problem = logged.problem { say("\(problem): \(MetricsLog.fileName) starts again at this step") }
            }
        }
        return TrainingRun(trainer: trainer, model: model, history: history(backend: model.backend, config: config),
                           resumingFrom: checkpoint, steps: steps)
    }

    /// Writes the logs of `training`, then `checkpoint`, recording `arguments`, and the
    /// reports of its history into `run`. The logs come first, so that they never lack a step
    /// the checkpoint has taken; a resumed run drops the steps they have beyond it.
    func save(_ checkpoint: TrainingCheckpoint, of training: TrainingRun, arguments: [String], in run: RunDirectory) throws {
        var checkpoint = checkpoint
        checkpoint.arguments = arguments
        try run.writeLogs(checkpoint.history, steps: training.steps, stepsPerEpoch: stepsPerEpoch)
        try checkpoint.write(to: run.file(TrainingCheckpoint.fileName))
        try run.writeReport(checkpoint.history)
    }

    /// Writes the reports and the best model of `training`, which has finished or stopped,
    /// into `run`; prints the test results and returns the history, or throws
    /// ``RunInterrupted`` if it was stopped.
    func finish(_ training: TrainingRun, in run: RunDirectory) throws -> RunHistory {
        let outcome = training.finish()
        try run.writeLogs(outcome.history, steps: training.steps, stepsPerEpoch: stepsPerEpoch)
        try run.writeReport(outcome.history)
        try outcome.bestState?.write(to: run.file("model.safetensors"), description: modelDescription(of: training.model))
        if outcome.interrupted {
            throw RunInterrupted(run: run, history: outcome.history)
        }
        report(outcome.history, run: run)
        return outcome.history
    }

    private func report(_ history: RunHistory, run: RunDirectory) {
        if history.diverged {
            say("DIVERGED: \(history.divergenceReason ?? "a loss was not finite") — try a smaller --lr")
        }
        guard let test = history.test, let best = history.bestRecord else {
            say("no epoch finished, so there is no model to test or save")
            return
        }
        say("best epoch \(best.epoch): validation accuracy \(String(format: "%.4f", best.valAccuracy))")
        say("test (best model): loss \(String(format: "%.4f", test.loss)), accuracy \(String(format: "%.4f", test.accuracy))")
        say(test.report.table())
        let files = ["history.json", MetricsLog.fileName, "events.out.tfevents.*", "loss.svg", "accuracy.svg", "confusion_matrix.svg",
                     "test_report.txt", "model.safetensors", TrainingCheckpoint.fileName] + (history.sharpnessChart() == nil ? [] : ["sharpness.svg"])
        say("wrote \(files.joined(separator: ", ")) to \(run.url.path)")
    }
}

extension RunDirectory {
    /// Runs `body` with this directory, removing the directory if `body` throws, so a failed
    /// run leaves no partial files.
    func keepingOnlyIfSuccessful<T>(_ body: (RunDirectory) throws -> T) throws -> T {
        do { return try body(self) } catch let interrupted as any InterruptionReport {
            throw interrupted   // its checkpoints and reports are the point: keep them
        } catch {
            discard()
            throw error
        }
    }
}

/// A run stopped by SIGINT or SIGTERM after writing its checkpoint, partial reports and best
/// model so far; `history` holds the epochs it finished.
struct RunInterrupted: InterruptionReport {
    let run: RunDirectory
    let history: RunHistory

    func lines(command: String) -> [String] {
        ["interrupted by \(Interrupts.signalName): wrote checkpoint.safetensors, history.json and figures after "
            + "\(history.epochs.count) finished epoch(s)"
            + (history.bestEpoch.map { ", model.safetensors of the best epoch (\($0))" } ?? "") + " to \(run.url.path)",
         "resume with: \(command) --resume \(shellQuoted(run.url.path))"]
    }
}

/// `text` quoted for a POSIX shell when it needs to be.
func shellQuoted(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:,@".contains($0) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
