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
            """)

    @OptionGroup public var options: ExperimentOptions

    public init() {}

    public func run() throws {
        let experiment = try Experiment(options)
        let model = ManualClassifier(inputs: experiment.inputs, hidden: options.hiddenWidths,
                                     classes: experiment.classes, learningRate: options.learningRate,
                                     seed: options.seed)
        try experiment.loadInitialWeights(into: model)
        let run = try RunDirectory(path: options.output, backend: "manual")
        let history = try run.keepingOnlyIfSuccessful { run in
            experiment.header(title: "train-manual: hand-written backprop (ArrayKit)", model: model,
                              layers: "ReLU", method: "softmax cross-entropy, SGD", run: run).forEach(experiment.say)
            return try experiment.train(model, in: run, config: options.config, progress: ProgressReporter())
        }
        if options.json { print(try RunSummary(history, outputDirectory: run.url).jsonLine()) }
    }
}

/// `train-autograd`: the same MLP built from AutoGrad's modules and trained through its
/// tape, as the assignment's PyTorch version; it adds batch norm, Adam, momentum, weight
/// decay and learning-rate schedules.
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
            run directory.
            """)

    @OptionGroup public var options: ExperimentOptions
    @OptionGroup public var autograd: AutoGradOptions

    public init() {}

    public func run() throws {
        let experiment = try Experiment(options)
        let model = AutoGradClassifier(
            inputs: experiment.inputs, hidden: options.hiddenWidths, classes: experiment.classes,
            batchNorm: autograd.batchNorm, optimizer: autograd.optimizer, learningRate: options.learningRate,
            momentum: autograd.momentum, weightDecay: autograd.weightDecay, schedule: autograd.schedule,
            epochs: options.epochs, stepsPerEpoch: experiment.stepsPerEpoch, seed: options.seed)
        try experiment.loadInitialWeights(into: model)
        let config = options.config.merging(autograd.config) { _, new in new }
        var method = "cross-entropy, \(autograd.optimizer == .sgd ? "SGD" : "Adam")"
        if autograd.momentum != 0 { method += " momentum \(compactText(autograd.momentum))" }
        if autograd.weightDecay != 0 { method += " weight decay \(compactText(autograd.weightDecay))" }
        if autograd.schedule != .constant { method += ", \(autograd.schedule.rawValue) schedule" }
        let run = try RunDirectory(path: options.output, backend: "autograd")
        let history = try run.keepingOnlyIfSuccessful { run in
            experiment.header(title: "train-autograd: automatic differentiation (AutoGrad)", model: model,
                              layers: autograd.batchNorm ? "BatchNorm1d, ReLU" : "ReLU", method: method, run: run).forEach(experiment.say)
            return try experiment.train(model, in: run, config: config, progress: ProgressReporter())
        }
        if options.json { print(try RunSummary(history, outputDirectory: run.url).jsonLine()) }
    }
}
