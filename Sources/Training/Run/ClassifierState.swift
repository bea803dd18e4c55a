import ArrayKit
import Foundation

/// A snapshot of a classifier, in the shape of PyTorch's `state_dict()`: its parameters and
/// buffers, and integer buffers such as BatchNorm's `num_batches_tracked`, under PyTorch's
/// names. It is what a model file holds (`model.safetensors`, `--init-from`) and what a
/// checkpoint holds twice (the model now and the best one).
///
/// ```swift
/// let state = model.state()                  // parameters ["0.weight", …], integers ["1.num_batches_tracked"]
/// try state.write(to: run.file("model.safetensors"))
/// try other.load(state: ClassifierState(contentsOf: url))
/// ```
public struct ClassifierState {
    /// Parameters and floating-point buffers by name, in state-dict order.
    public var parameters: [(String, NDArray<Float>)]
    /// Integer buffers (`"1.num_batches_tracked"`) with their values and shapes.
    public var integers: [(name: String, values: [Int64], shape: [Int])]

    /// A state from its parts.
    public init(parameters: [(String, NDArray<Float>)], integers: [(name: String, values: [Int64], shape: [Int])]) {
        self.parameters = parameters
        self.integers = integers
    }

    /// Captures `model`'s state now. `NDArray` is copy-on-write, so later training steps do
    /// not change the snapshot.
    public init(of model: any Classifier) { self = model.state() }

    /// The state in a safetensors file: its int64 tensors are the integer buffers, every
    /// other tensor is read as `Float`.
    public init(contentsOf url: URL) throws {
        let file = try Safetensors.read(contentsOf: url)
        self.init(parameters: [], integers: [])
        for entry in file.entries {
            if entry.dtype == .i64 {
                let (values, shape) = try file.integers(named: entry.name)
                integers.append((entry.name, values, shape))
            } else {
                parameters.append((entry.name, try file.array(named: entry.name, as: Float.self)))
            }
        }
    }

    /// Writes the state as a safetensors file PyTorch loads (`format: pt`), atomically, with
    /// `description` (architecture, normalization, dataset, class names) in its metadata.
    ///
    /// ```swift
    /// try state.write(to: url, description: ModelDescription(architecture: model.architecture, normalization: n))
    /// ```
    public func write(to url: URL, description: ModelDescription? = nil) throws {
        let metadata = (description?.metadata ?? [:]).merging(["format": "pt"]) { _, pt in pt }
        try Safetensors.write(parameters.map { (name: $0.0, array: $0.1) }, to: url, metadata: metadata,
                              integerTensors: integers)
    }
}
