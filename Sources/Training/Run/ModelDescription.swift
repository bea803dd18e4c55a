import ArrayKit
import Foundation

/// The shape of the built-in MLP: what it takes to rebuild the model a state dict belongs to.
///
/// ```swift
/// let mlp = ModelArchitecture(inputs: 784, hidden: [128], classes: 10)
/// mlp.summary   // "784 → 128 → 10, ReLU"
/// ```
public struct ModelArchitecture: Codable, Sendable, Equatable {
    /// Features per sample (28 × 28 = 784 for the MNIST family).
    public var inputs: Int
    /// Hidden widths, input side first; empty for logistic regression.
    public var hidden: [Int]
    /// Output width: the number of classes.
    public var classes: Int
    /// `"relu"` or `"elu"`, after every hidden layer.
    public var activation: String
    /// ELU's α; `nil` for ReLU.
    public var alpha: Double?
    /// Whether a `BatchNorm1d` follows every hidden `Linear` (before the activation).
    public var batchNorm: Bool
    /// The dropout probability after every hidden activation (0 for none); off when evaluating.
    public var dropout: Double

    /// An architecture from its sizes and options, the activation as ArrayKit names it.
    public init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu, batchNorm: Bool = false,
                dropout: Double = 0) {
        self.inputs = inputs
        self.hidden = hidden
        self.classes = classes
        switch activation {
        case .relu: (self.activation, alpha) = ("relu", nil)
        case .elu(let alpha): (self.activation, self.alpha) = ("elu", alpha)
        }
        self.batchNorm = batchNorm
        self.dropout = dropout
    }

    /// The activation as ArrayKit names it; `nil` for a name this version does not know.
    public var hiddenActivation: Activation? {
        switch activation {
        case "relu": .relu
        case "elu": .elu(alpha: alpha ?? 1)
        default: nil
        }
    }

    /// `784 → 256 → 128 → 10, BatchNorm1d, ReLU, Dropout(0.2)`.
    public var summary: String {
        let name = activation == "relu" ? "ReLU" : activation == "elu" ? "ELU(\(alpha ?? 1))" : activation
        let layers = hidden.isEmpty ? [] : (batchNorm ? ["BatchNorm1d"] : []) + [name] + (dropout > 0 ? ["Dropout(\(dropout))"] : [])
        return ([inputs] + hidden + [classes]).map(String.init).joined(separator: " → ")
            + (layers.isEmpty ? "" : ", " + layers.joined(separator: ", "))
    }

    private enum CodingKeys: String, CodingKey {
        case inputs, hidden, classes, activation, alpha, batchNorm = "batch_norm", dropout
    }
}

/// A model file that describes itself: the safetensors `__metadata__` a trained model is
/// saved with, beside PyTorch's `format: pt` and the checksums. Every key is optional, so a
/// file from PyTorch (none of them) still loads; its reader then has to be told what the
/// keys would have said.
///
/// | key | value |
/// |---|---|
/// | `backprop.metadata_version` | `"1"`: the version of this scheme |
/// | `backprop.architecture` | JSON ``ModelArchitecture``: `{"inputs":784,"hidden":[128],"classes":10,"activation":"relu","batch_norm":false,"dropout":0}` |
/// | `backprop.normalization` | JSON `{"mean":…,"std":…,"pixel_scale":255}`: features are `(pixel / 255 − mean) / std` in float32 |
/// | `backprop.dataset` | the dataset trained on, e.g. `fashion-mnist` |
/// | `backprop.class_names` | JSON array of the class names, in label order |
/// | `backprop.version` | the version of Backprop that wrote the file |
///
/// ```swift
/// let description = ModelDescription(architecture: model.architecture, normalization: split.normalization,
///                                    dataset: "fashion-mnist", classNames: spec.classNames)
/// try state.write(to: url, description: description)
/// let read = try ModelDescription(metadata: Safetensors.read(contentsOf: url).metadata)
/// ```
public struct ModelDescription: Sendable, Equatable {
    /// The network's sizes and options (`backprop.architecture`).
    public var architecture: ModelArchitecture?
    /// How the pixels of an image become the model's input.
    public var normalization: Normalization?
    /// The name of the dataset it was trained on (`backprop.dataset`).
    public var dataset: String?
    /// The class names in label order (`backprop.class_names`).
    public var classNames: [String]?
    /// The version of Backprop that wrote the file (`nil` for one written elsewhere).
    public var writtenBy: String?

    /// The metadata key of the key scheme's version.
    public static let versionKey = "backprop.metadata_version"
    /// The metadata key of the architecture, as JSON.
    public static let architectureKey = "backprop.architecture"
    /// The metadata key of the normalization, as JSON.
    public static let normalizationKey = "backprop.normalization"
    /// The metadata key of the dataset's name.
    public static let datasetKey = "backprop.dataset"
    /// The metadata key of the class names, as a JSON array.
    public static let classNamesKey = "backprop.class_names"
    /// The metadata key of the version of Backprop that wrote the file.
    public static let writerKey = "backprop.version"
    /// The version of the key scheme this program writes, and the newest it reads.
    public static let currentVersion = 1

    /// A description to write; `writtenBy` is this program's version.
    public init(architecture: ModelArchitecture? = nil, normalization: Normalization? = nil, dataset: String? = nil,
                classNames: [String]? = nil) {
        self.architecture = architecture
        self.normalization = normalization
        self.dataset = dataset
        self.classNames = classNames
        writtenBy = Backprop.version
    }

    /// Whether the metadata held none of the keys (a file from PyTorch, say).
    public var isEmpty: Bool { architecture == nil && normalization == nil && dataset == nil && classNames == nil }

    /// The metadata entries, values as compact JSON with sorted keys.
    public var metadata: [String: String] {
        var metadata = [Self.versionKey: "\(Self.currentVersion)"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json(_ value: some Encodable) -> String { String(decoding: try! encoder.encode(value), as: UTF8.self) }
        if let architecture { metadata[Self.architectureKey] = json(architecture) }
        if let normalization { metadata[Self.normalizationKey] = json(NormalizationEntry(normalization)) }
        if let dataset { metadata[Self.datasetKey] = dataset }
        if let classNames { metadata[Self.classNamesKey] = json(classNames) }
        if let writtenBy { metadata[Self.writerKey] = writtenBy }
        return metadata
    }

    /// The description in a file's metadata; absent keys stay `nil`. Throws a
    /// ``ModelDescriptionError`` naming the key if one is present but unreadable, or if the
    /// file uses a newer version of the scheme.
    public init(metadata: [String: String]) throws(ModelDescriptionError) {
        if let text = metadata[Self.versionKey] {
            guard let version = Int(text), version >= 1 else { throw .unreadable(key: Self.versionKey, value: text) }
            guard version <= Self.currentVersion else { throw .newerVersion(version) }
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws(ModelDescriptionError) -> T? {
            guard let text = metadata[key] else { return nil }
            do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch { throw .unreadable(key: key, value: text) }
        }
        architecture = try decode(ModelArchitecture.self, Self.architectureKey)
        if let entry = try decode(NormalizationEntry.self, Self.normalizationKey) {
            guard entry.pixelScale == 255, entry.mean.isFinite, entry.std.isFinite, entry.std > 0 else {
                throw .unreadable(key: Self.normalizationKey, value: metadata[Self.normalizationKey]!)
            }
            normalization = Normalization(mean: entry.mean, std: entry.std)
        }
        dataset = metadata[Self.datasetKey]
        classNames = try decode([String].self, Self.classNamesKey)
        writtenBy = metadata[Self.writerKey]
        if let architecture, let classNames, classNames.count != architecture.classes {
            throw .unreadable(key: Self.classNamesKey, value: metadata[Self.classNamesKey]!)
        }
    }

    /// `backprop.normalization` as written: the float32 values, exactly, and the pixel scale.
    private struct NormalizationEntry: Codable {
        var mean: Float
        var std: Float
        var pixelScale: Int

        init(_ normalization: Normalization) {
            (mean, std, pixelScale) = (normalization.mean, normalization.std, 255)
        }

        private enum CodingKeys: String, CodingKey { case mean, std, pixelScale = "pixel_scale" }
    }
}

/// Model metadata that cannot be used; the text names the key and what to do.
public enum ModelDescriptionError: Error, CustomStringConvertible, Equatable {
    /// A key is present but its value is not what the scheme says.
    case unreadable(key: String, value: String)
    /// The file was written with a newer version of the key scheme.
    case newerVersion(Int)

    public var description: String {
        switch self {
        case .unreadable(let key, let value):
            "its metadata \(key) = \(value.prefix(200)) is not what Backprop writes there (see Docs/Interop.md, "
                + "\"Self-describing models\") — remove the key, or save the model again"
        case .newerVersion(let version):
            "its metadata follows version \(version) of Backprop's key scheme, newer than this program reads "
                + "(\(ModelDescription.currentVersion)) — use a newer Backprop"
        }
    }
}
