import ArrayKit
import Foundation

/// A trained model read back from its file, ready to evaluate and classify: the weights in
/// the built-in MLP, with the normalization and class names it was trained with.
///
/// A file a training run wrote describes itself (``ModelDescription``); for one without
/// that metadata (from PyTorch) the architecture and normalization are given.
///
/// ```swift
/// let saved = try SavedModel(contentsOf: URL(fileURLWithPath: "runs/autograd-20260101-120000/model.safetensors"))
/// let features = try ImageFile.features(contentsOf: images, featureCount: saved.architecture.inputs,
///                                       normalization: saved.normalization)
/// let names = saved.classify(features).map { saved.classNames[$0.class] }
/// ```
public struct SavedModel {
    /// The MLP with the file's weights (an ``AutoGradClassifier``, evaluated in eval mode).
    public let classifier: AutoGradClassifier
    /// The network's sizes and options: the file's, or those given where it has none.
    public let architecture: ModelArchitecture
    /// The input normalization: the file's, or the one given where it has none.
    public let normalization: Normalization
    /// The class names in label order (the file's; otherwise `["0", "1", …]`).
    public let classNames: [String]
    /// What the file's metadata recorded (empty for a file from PyTorch).
    public let description: ModelDescription

    /// Reads the model in `url`. `architecture` and `normalization` stand in for metadata the
    /// file lacks; a file that records them uses its own. Throws ``SavedModelError`` when
    /// neither says what is needed, or when the weights do not fit the architecture.
    public init(contentsOf url: URL, architecture given: ModelArchitecture? = nil, normalization givenNormalization: Normalization? = nil,
                classNames givenNames: [String]? = nil) throws {
        let file: SafetensorsFile
        do {
            file = try Safetensors.read(contentsOf: url)
            description = try ModelDescription(metadata: file.metadata)
        } catch {
            throw SavedModelError(description: "\(url.path): \(error)")
        }
        var missing: [String] = []
        if description.architecture == nil && given == nil { missing.append("architecture") }
        if description.normalization == nil && givenNormalization == nil { missing.append("normalization") }
        guard missing.isEmpty, let architecture = description.architecture ?? given,
              let normalization = description.normalization ?? givenNormalization else {
            throw SavedModelError(missing: missing, path: url.path)
        }
        guard architecture.hiddenActivation != nil else {
            throw SavedModelError(description: "\(url.path): activation \"\(architecture.activation)\" is unknown to this version; "
                + "use a newer Backprop")
        }
        self.architecture = architecture
        self.normalization = normalization
        classNames = description.classNames ?? givenNames ?? (0..<architecture.classes).map(String.init)
        classifier = AutoGradClassifier(inputs: architecture.inputs, hidden: architecture.hidden, classes: architecture.classes,
                                        activation: architecture.hiddenActivation!, batchNorm: architecture.batchNorm,
                                        dropout: architecture.dropout, learningRate: 1, epochs: 1, stepsPerEpoch: 1, seed: 0)
        do { try classifier.load(state: ClassifierState(contentsOf: url)) } catch {
            throw SavedModelError(description: "\(url.path) does not hold a \(architecture.summary) model: \(error)")
        }
        guard classNames.count == architecture.classes else {
            throw SavedModelError(description: "\(classNames.count) class names for a model of \(architecture.classes) classes")
        }
    }

    /// The architecture of a PyTorch-style MLP state dict, from its shapes: the `Linear`
    /// weights `N.weight` (2-D) in order give the widths, `N.running_mean` says batch norm.
    /// `nil` when the tensors are not such an MLP's.
    public static func inferredArchitecture(shapes: [String: [Int]]) -> (inputs: Int, hidden: [Int], classes: Int, batchNorm: Bool)? {
        let linear = shapes.compactMap { name, shape -> (Int, [Int])? in
            guard name.hasSuffix(".weight"), shape.count == 2, let index = Int(name.dropLast(".weight".count)) else { return nil }
            return (index, shape)
        }.sorted { $0.0 < $1.0 }
        guard let first = linear.first, let last = linear.last else { return nil }
        return (first.1[1], linear.dropLast().map { $0.1[0] }, last.1[0], shapes.keys.contains { $0.hasSuffix(".running_mean") })
    }

    /// The predicted class and its softmax probability for each row of `features` `[N, inputs]`.
    public func classify(_ features: NDArray<Float>) -> [(class: Int, probability: Double)] {
        let logits = classifier.logits(features)
        let classes = architecture.classes
        return logits.scalars.withUnsafeBufferPointer { all in
            (0..<features.shape[0]).map { row in
                let values = all[(row * classes)..<((row + 1) * classes)].map(Double.init)
                let best = values.indices.max { values[$0] < values[$1] }!
                let total = values.reduce(0) { $0 + exp($1 - values[best]) }
                return (best, 1 / total)
            }
        }
    }

    /// Mean loss, accuracy and confusion matrix over `images`, normalized with the model's own
    /// normalization.
    ///
    /// ```swift
    /// let (loss, accuracy, confusion) = saved.evaluate(on: dataset.test)
    /// print(confusion.report(classNames: saved.classNames).table())
    /// ```
    public func evaluate(on images: LabeledImages) -> (loss: Double, accuracy: Double, confusion: ConfusionMatrix) {
        Trainer.evaluate(classifier, on: .evaluation(images, normalization: normalization), classCount: architecture.classes)
    }
}

/// A model file that cannot be used as given; the text says which options supply what is missing.
public struct SavedModelError: Error, CustomStringConvertible {
    public let description: String

    init(description: String) { self.description = description }

    /// For a file without the metadata that says how to rebuild and feed it.
    init(missing: [String], path: String) {
        var options: [String] = []
        if missing.contains("architecture") {
            options.append("its shape (--hidden-dims W… or --no-hidden, and --batch-norm if it has BatchNorm1d layers)")
        }
        if missing.contains("normalization") {
            options.append("the normalization its inputs were trained with (--mean M --std S, pixels scaled to [0, 1]; "
                + "0.2863 and 0.3531 for Fashion-MNIST)")
        }
        description = "\(path) does not record its \(missing.joined(separator: " or ")) (a file saved by PyTorch has no "
            + "backprop.* metadata) — give " + options.joined(separator: " and ") + ", and --dataset to name its classes"
    }
}
