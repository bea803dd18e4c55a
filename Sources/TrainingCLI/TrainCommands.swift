import ArgumentParser
import ArrayKit
import Training

/// `train-manual`: the MLP with hand-written backward passes (ArrayKit), trained by plain
/// mini-batch SGD as the assignment's NumPy version.
///
/// ```sh
/// swift run -c release train-manual --hidden-dims 256 128 --epochs 20
/// ```
public struct TrainManual: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "train-manual",
        abstract: "Train the MLP with hand-written backpropagation (ArrayKit, the NumPy role).",
        discussion: """
            Writes history.json, loss.svg, accuracy.svg, confusion_matrix.svg, test_report.txt and \
            model.safetensors (the best model on validation, PyTorch names) into the run directory.
            """,
        version: Backprop.version)

    @OptionGroup public var options: ExperimentOptions
    @OptionGroup public var rate: LearningRateOption

    @Option(help: ArgumentHelp("Continue the run in this directory from its last checkpoint, with its own options.",
                               valueName: "run-dir"))
    public var resume: String?

    public init() {}

    var config: [String: ConfigValue] { options.config.merging(rate.config) { _, new in new } }

    public func run() throws {
        Interrupts.install()
        let resumption = try resume.map { try Resumption(directory: $0, backend: "manual") }
        var command = self
        if let resumption {
            command = try resumption.command(Self.self, given: config, output: options.output,
                                             overwrite: options.overwrite) { $0.config }
            command.options.json = options.json
        } else {
            try command.options.adoptInitialArchitecture(command: "train-manual")
        }
        try command.train(resuming: resumption)
    }

    private func train(resuming resumption: Resumption?) throws {
        let experiment = try Experiment(options)
        let model = ManualClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths,
                                     classes: experiment.classes, learningRate: rate.learningRate,
                                     seed: options.seed)
        if resumption == nil { try experiment.loadInitialWeights(into: model) }
        try experiment.trainInterruptibly(model, command: "train-manual", title: "train-manual: hand-written backprop (ArrayKit)",
                                          layers: "ReLU", method: "softmax cross-entropy, SGD", config: config,
                                          arguments: options.arguments + rate.arguments, resuming: resumption)
    }
}

/// `train-autograd`: the same MLP built from AutoGrad's modules and trained through its
/// tape, as the assignment's PyTorch version; it adds batch norm, Adam and AdamW, momentum,
/// weight decay and learning-rate schedules.
///
/// ```sh
/// swift run -c release train-autograd --batch-norm --optimizer adam --lr 0.001 --schedule cosine
/// ```
public struct TrainAutoGrad: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "train-autograd",
        abstract: "Train the MLP with automatic differentiation (AutoGrad, the PyTorch role).",
        discussion: """
            Writes history.json, loss.svg, accuracy.svg, confusion_matrix.svg, test_report.txt and \
            model.safetensors (the best model on validation, loadable by torch's load_state_dict) into the \
            run directory; with --sharpness N also sharpness.svg.
            """,
        version: Backprop.version)

    @OptionGroup public var options: ExperimentOptions
    @OptionGroup public var rate: LearningRateOption
    @OptionGroup public var autograd: AutoGradOptions

    @Option(help: ArgumentHelp("Continue the run in this directory from its last checkpoint, with its own options.",
                               valueName: "run-dir"))
    public var resume: String?

    public init() {}

    var config: [String: ConfigValue] {
        options.config.merging(rate.config) { _, new in new }.merging(autograd.config) { _, new in new }
    }

    public func run() throws {
        Interrupts.install()
        let resumption = try resume.map { try Resumption(directory: $0, backend: "autograd") }
        var command = self
        if let resumption {
            command = try resumption.command(Self.self, given: config, output: options.output,
                                             overwrite: options.overwrite) { $0.config }
            command.options.json = options.json
        } else if let architecture = try options.initialArchitecture() {
            try command.options.adopt(architecture, command: "train-autograd", batchNormAndDropout: true)
            try command.autograd.adopt(architecture, file: options.initFrom!)
        }
        try command.train(resuming: resumption)
    }

    private func train(resuming resumption: Resumption?) throws {
        var experiment = try Experiment(options)
        try experiment.measureSharpness(onFirst: autograd.sharpness)
        let model = AutoGradClassifier(
            inputs: experiment.inputs, hidden: options.hiddenWidths, classes: experiment.classes,
            batchNorm: autograd.batchNorm, dropout: autograd.dropout, optimizer: autograd.optimizer, learningRate: rate.learningRate,
            momentum: autograd.momentum, weightDecay: autograd.weightDecay, schedule: autograd.schedule,
            gamma: autograd.gamma, patience: autograd.patience, epochs: options.epochs, stepsPerEpoch: experiment.stepsPerEpoch, seed: options.seed)
        if resumption == nil { try experiment.loadInitialWeights(into: model) }
        var method = "cross-entropy, \(autograd.optimizer.displayName)"
        if autograd.momentum != 0 { method += " momentum \(compactText(autograd.momentum))" }
        if autograd.weightDecay != 0 { method += " weight decay \(compactText(autograd.weightDecay))" }
        if autograd.schedule != .constant { method += ", \(autograd.schedule.rawValue) schedule" }
        if autograd.schedule == .exponential { method += " (gamma \(compactText(autograd.gamma)))" }
        if autograd.schedule == .plateau { method += " (patience \(autograd.patience))" }
        try experiment.trainInterruptibly(model, command: "train-autograd",
                                          title: "train-autograd: automatic differentiation (AutoGrad)",
                                          layers: (autograd.batchNorm ? "BatchNorm1d, ReLU" : "ReLU")
                                              + (autograd.dropout > 0 ? ", Dropout(\(compactText(autograd.dropout)))" : ""),
                                          method: method,
                                          config: config, arguments: options.arguments + rate.arguments + autograd.arguments,
                                          resuming: resumption)
    }
}

extension Experiment {
    /// What both training commands share: the run directory (new, or the resumed run's),
    /// the header, training with per-epoch checkpoints and Ctrl-C, and the `--json` summary.
    func trainInterruptibly(_ model: some Classifier, command: String, title: String, layers: String,
                            method: String, config: [String: ConfigValue], arguments: [String],
                            resuming resumption: Resumption?) throws {
        let run = try resumption?.run ?? RunDirectory(path: options.output, backend: model.backend, existingRun: options.existingRun)
        let history = try interruptible(command: command) {
            try run.keepingOnlyIfSuccessful { run in
                header(title: title, model: model, layers: layers, method: method, learningRate: config["lr"]?.description ?? "", run: run)
                    .forEach(say)
                return try train(model, in: run, config: config, progress: ProgressReporter(),
                                 resumingFrom: resumption?.checkpoint, arguments: arguments,
                                 shouldStop: Interrupts.isRequested)
            }
        }
        if options.json { print(try RunSummary(history, outputDirectory: run.url).jsonLine()) }
    }
}
