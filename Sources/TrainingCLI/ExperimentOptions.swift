import ArgumentParser
import ArrayKit
import Foundation
import Training

/// The options every training executable shares, with the assignment's defaults.
///
/// ```sh
/// train-manual --hidden-dims 256 128 --lr 0.05 --epochs 20 --output runs/wide
/// train-manual --no-hidden          # no hidden layer: multinomial logistic regression
/// ```
public struct ExperimentOptions: ParsableArguments {
    @Option(name: .customLong("hidden-dims"), parsing: .upToNextOption,
            help: ArgumentHelp("Widths of the hidden layers, input side first (e.g. --hidden-dims 256 128); "
                               + "default 128, or the widths the --init-from file records.",
                               valueName: "width"))
    public var hiddenDims: [Int] = []

    @Flag(name: .customLong("no-hidden"),
          help: "No hidden layer (multinomial logistic regression); `--hidden-dims` with no width means the same.")
    public var noHidden = false

    @Option(help: "Samples per training batch; the last partial batch of an epoch is dropped.")
    public var batchSize: Int = 128

    @Option(help: "Passes over the training set.")
    public var epochs: Int = 10

    @Option(help: "Seed of the weights, the validation split and every epoch's order.")
    public var seed: UInt64 = 42

    @Option(help: "fashion-mnist, mnist, kmnist, or a directory holding the four IDX files.")
    public var dataset: String = "fashion-mnist"

    @Option(help: "The only directory searched for the dataset (itself, then <dir>/<name>).")
    public var dataDir: String?

    @Flag(help: "Fetch the dataset into ~/.cache/backprop if it is found nowhere (checksums verified).")
    public var download = false

    @Option(help: "Training samples held out for validation (best-model selection).")
    public var validationSize: Int = 5_000

    @Option(help: "Run directory for history.json, figures and model.safetensors (default: runs/<backend>-<timestamp>); an existing one may be empty or hold other files, but not a run.")
    public var output: String?

    @Flag(help: "Replace the run already in --output: its files are removed before training starts (other files stay).")
    public var overwrite = false

    @Option(help: "Initial weights: a safetensors file with this model's PyTorch names and shapes (strict).")
    public var initFrom: String?

    @Flag(help: "No shuffling: validation is the last samples of the training file, batches come in file order.")
    public var noShuffle = false

    @Flag(help: "Print the run's summary as one JSON object on the last line of standard output.")
    public var json = false

    public init() {}

    /// The hidden widths when `--hidden-dims` is not given: the assignment's one layer of 128.
    public static let defaultHiddenWidths = [128]

    /// The hidden widths after `--no-hidden`: empty for none.
    public var hiddenWidths: [Int] { noHidden ? [] : hiddenDims.isEmpty ? Self.defaultHiddenWidths : hiddenDims }

    /// Whether `--hidden-dims` or `--no-hidden` was given (not left to the default).
    var hiddenWidthsGiven: Bool { noHidden || !hiddenDims.isEmpty }

    /// What `--output` may do to a run already there.
    var existingRun: RunDirectory.ExistingRun { overwrite ? .replace : .refuse }

    public mutating func validate() throws {
        if let bad = hiddenDims.first(where: { $0 < 1 }) {
            throw ValidationError("--hidden-dims: \(bad) is not a layer width; widths are positive integers, e.g. --hidden-dims 256 128 (use --no-hidden for no hidden layer)")
        }
        guard batchSize >= 1 else {
            throw ValidationError("--batch-size: \(batchSize) is not a batch size; give a positive integer, e.g. --batch-size 128")
        }
        guard epochs >= 1 else {
            throw ValidationError("--epochs: \(epochs) is not a number of epochs; give a positive integer, e.g. --epochs 10")
        }
        guard validationSize >= 1 else {
            throw ValidationError("--validation-size: \(validationSize) leaves nothing to select the best model on; give a positive integer, e.g. --validation-size 5000")
        }
        if let output, output.isEmpty {
            throw ValidationError("--output: the path is empty; give a directory, e.g. --output runs/my-run")
        }
    }

    /// The settings by flag name, typed, for `history.json`.
    public var config: [String: ConfigValue] {
        var config: [String: ConfigValue] = [
            "hidden_dims": .list(hiddenWidths.map(ConfigValue.integer)), "batch_size": .integer(batchSize),
            "epochs": .integer(epochs), "seed": ConfigValue(seed), "dataset": .string(dataset),
            "validation_size": .integer(validationSize), "shuffle": .bool(!noShuffle)]
        if let initFrom { config["init_from"] = .string(initFrom) }
        if let dataDir { config["data_dir"] = .string(dataDir) }
        return config
    }

    /// Makes the command line what ArgumentParser can parse while keeping the spellings
    /// people type: a negative number after an option (`--hidden-dims -5`, `--lr -1`) is
    /// attached as `--option=-5` (otherwise it reads as an unknown option `-5` and the real
    /// mistake is never reported), and `--hidden-dims` with no width becomes `--no-hidden`.
    ///
    /// ```swift
    /// ExperimentOptions.normalizedArguments(["--hidden-dims", "256", "-5", "--lr", "-1"])
    /// // ["--hidden-dims=256", "--hidden-dims=-5", "--lr=-1"]
    /// ```
    public static func normalizedArguments(_ arguments: [String]) -> [String] {
        func isNegativeNumber(_ token: String) -> Bool { token.hasPrefix("-") && Double(token) != nil }
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            if token == "--" {
                result += arguments[index...]
                break
            }
            // List options take every following value, negative numbers included, so that a
            // bad value gets the option's own message instead of "unknown option '-5'".
            if token == "--hidden-dims" || token == "--lrs" {
                var next = index + 1
                while next < arguments.count && (!arguments[next].hasPrefix("-") || isNegativeNumber(arguments[next])) {
                    result.append(token + "=" + arguments[next])
                    next += 1
                }
                if next == index + 1 { result.append(token == "--hidden-dims" ? "--no-hidden" : token) }
                index = next
                continue
            }
            if token.hasPrefix("--") && !token.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                result.append(token + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(token)
            index += 1
        }
        return result
    }
}

/// A number as short as it reads back exactly: `0.1`, `1e-05`, `128`.
func compactText(_ value: Double) -> String { ConfigValue.number(value).description }

extension ParsableCommand {
    /// Parses the process's arguments (see ``ExperimentOptions/normalizedArguments(_:)``),
    /// runs the command, and exits: 0 on success, non-zero with the error on standard error.
    /// Freed arrays' memory stays in the process for the next step (`Memory.keepFreedMemory`).
    public static func mainWithNormalizedArguments() {
        Memory.keepFreedMemory()
        main(ExperimentOptions.normalizedArguments(Array(CommandLine.arguments.dropFirst())))
    }
}

/// `--lr`, the rate of the commands that train one (`train-manual`, `train-autograd`,
/// `compare-backends`); `lr-sweep` takes its rates from `--lrs`.
///
/// ```sh
/// train-manual --lr 0.05
/// ```
public struct LearningRateOption: ParsableArguments {
    @Option(name: .customLong("lr"), help: "Learning rate (positive, finite).")
    public var learningRate: Double = 0.1

    public init() {}

    public mutating func validate() throws {
        guard learningRate.isFinite && learningRate > 0 else {
            throw ValidationError("--lr: \(learningRate) is not a usable learning rate; give a positive finite number, e.g. --lr 0.1")
        }
    }

    /// `["lr": …]`, for `history.json`.
    var config: [String: ConfigValue] { ["lr": .number(learningRate)] }
    /// A command line that parses back to this rate.
    var arguments: [String] { ["--lr", "\(learningRate)"] }
}
