import ArgumentParser
import ArrayKit
import Foundation
import Training

/// `evaluate-model`: a saved model on its dataset's test set (loss, accuracy, per-class
/// report), or on images of your own (the predicted class of each).
///
/// ```sh
/// swift run -c release evaluate-model runs/autograd-20260101-120000/model.safetensors
/// swift run -c release evaluate-model model.safetensors --images shirts.npy t10k-images-idx3-ubyte.gz
/// evaluate-model from_torch.safetensors --hidden-dims 128 --mean 0.2863 --std 0.3531 --dataset fashion-mnist
/// ```
public struct EvaluateModel: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate-model",
        abstract: "Evaluate a saved model on the test set, or classify images with it.",
        discussion: """
            A model.safetensors written by train-manual, train-autograd or compare-backends records its \
            architecture, normalization, dataset and class names, so the file alone is enough. A state dict \
            saved by PyTorch records none of them: give --hidden-dims (or --no-hidden), --batch-norm if it has \
            BatchNorm1d layers, --mean and --std, and --dataset.
            """,
        version: Backprop.version)

    @Argument(help: ArgumentHelp("The model's safetensors file.", valueName: "model"))
    public var model: String

    @Option(parsing: .upToNextOption,
            help: ArgumentHelp("Classify these instead of the test set: .npy arrays [N, 28, 28] or [N, 784] (uint8 0–255, "
                               + "or float in [0, 1]) or IDX image files.", valueName: "file"))
    public var images: [String] = []

    @Option(help: "The dataset whose test set to evaluate on, and whose class names to use (default: the file's).")
    public var dataset: String?

    @Option(help: "The only directory searched for the dataset (itself, then <dir>/<name>).")
    public var dataDir: String?

    @Flag(help: "Fetch the dataset into ~/.cache/backprop if it is found nowhere (checksums verified).")
    public var download = false

    @Option(name: .customLong("hidden-dims"), parsing: .upToNextOption,
            help: ArgumentHelp("For a file without metadata: the hidden widths, input side first.", valueName: "width"))
    public var hiddenDims: [Int] = []

    @Flag(name: .customLong("no-hidden"), help: "For a file without metadata: no hidden layer.")
    public var noHidden = false

    @Flag(help: "For a file without metadata: a BatchNorm1d after every hidden Linear.")
    public var batchNorm = false

    @Option(help: "For a file without metadata: the mean of the training pixels (scaled to [0, 1]) it was normalized with.")
    public var mean: Float?

    @Option(help: "For a file without metadata: their standard deviation.")
    public var std: Float?

    public init() {}

    public mutating func validate() throws {
        if (mean == nil) != (std == nil) {
            throw ValidationError("--mean and --std come together: give both, e.g. --mean 0.2863 --std 0.3531")
        }
        if let std, !(std.isFinite && std > 0) || !(mean!.isFinite) {
            throw ValidationError("--mean \(mean!) --std \(std): give finite numbers, std positive, e.g. --mean 0.2863 --std 0.3531")
        }
        if let bad = hiddenDims.first(where: { $0 < 1 }) {
            throw ValidationError("--hidden-dims: \(bad) is not a layer width; widths are positive integers, e.g. --hidden-dims 128")
        }
    }

    public func run() throws {
        let url = URL(fileURLWithPath: model)
        let saved = try load(url)
        print("model: \(model): \(saved.architecture.summary)" + (saved.description.dataset.map { ", trained on \($0)" } ?? "")
            + ", inputs normalized with mean \(String(format: "%.4f", saved.normalization.mean)), std \(String(format: "%.4f", saved.normalization.std))")
        if images.isEmpty {
            try evaluateTestSet(saved)
        } else {
            for path in images { try classify(path, with: saved) }
        }
    }

    /// The model in `url`, its missing metadata supplied by the options; options that
    /// contradict the metadata are an error.
    private func load(_ url: URL) throws -> SavedModel {
        let file: SafetensorsFile, description: ModelDescription
        do {
            file = try Safetensors.read(contentsOf: url)
            description = try ModelDescription(metadata: file.metadata)
        } catch {
            throw ExperimentError(description: "\(model): \(error)")
        }
        let hiddenGiven = noHidden || !hiddenDims.isEmpty
        var architecture: ModelArchitecture?
        if let recorded = description.architecture {
            if (hiddenGiven && (noHidden ? [] : hiddenDims) != recorded.hidden) || (batchNorm && !recorded.batchNorm) {
                throw ExperimentError(description: "\(model) records a \(recorded.summary) model; --hidden-dims, --no-hidden and "
                    + "--batch-norm are for files without that record — leave them out")
            }
        } else if hiddenGiven, let shapes = SavedModel.inferredArchitecture(shapes: file.shapes) {
            architecture = ModelArchitecture(inputs: shapes.inputs, hidden: noHidden ? [] : hiddenDims,
                                             classes: shapes.classes, batchNorm: batchNorm)
        }
        var normalization: Normalization?
        if let mean, let std {
            if let recorded = description.normalization, recorded != Normalization(mean: mean, std: std) {
                throw ExperimentError(description: "\(model) records the normalization it was trained with (mean \(recorded.mean), "
                    + "std \(recorded.std)); leave --mean and --std out")
            }
            normalization = Normalization(mean: mean, std: std)
        }
        let names = try dataset.map { try DatasetSpec.named($0).classNames }
        return try SavedModel(contentsOf: url, architecture: architecture, normalization: normalization, classNames: names)
    }

    /// Loss, accuracy and the per-class report on the test set of `--dataset`, or the file's dataset.
    private func evaluateTestSet(_ saved: SavedModel) throws {
        guard let name = dataset ?? saved.description.dataset else {
            throw ExperimentError(description: "\(model) does not record its dataset — give --dataset (e.g. --dataset fashion-mnist) "
                + "to evaluate on its test set, or --images FILE… to classify images")
        }
        let spec = try DatasetSpec.named(name)
        guard spec.classCount == saved.architecture.classes else {
            throw ExperimentError(description: "\(spec.displayName) has \(spec.classCount) classes but the model \(saved.architecture.classes)")
        }
        let locator = DatasetLocator(dataDirectory: dataDir.map { URL(fileURLWithPath: $0) })
        let data = try Dataset.load(spec, locator: locator, download: download, log: { print($0) })
        guard data.test.featureCount == saved.architecture.inputs else {
            throw ExperimentError(description: "\(spec.displayName)'s images have \(data.test.featureCount) pixels but the model takes "
                + "\(saved.architecture.inputs) inputs")
        }
        let result = saved.evaluate(on: data.test)
        print("test: \(data.test.count) images of \(spec.displayName): loss \(String(format: "%.4f", result.loss)), "
            + "accuracy \(String(format: "%.4f", result.accuracy))")
        print(result.confusion.report(classNames: saved.classNames).table())
    }

    /// One line per image of the file at `path`: its index, predicted class and probability.
    private func classify(_ path: String, with saved: SavedModel) throws {
        let features = try ImageFile.features(contentsOf: URL(fileURLWithPath: path), featureCount: saved.architecture.inputs,
                                              normalization: saved.normalization)
        for (index, prediction) in saved.classify(features).enumerated() {
            print("\(path)[\(index)]: \(saved.classNames[prediction.class]) (\(String(format: "%.3f", prediction.probability)))")
        }
    }
}
