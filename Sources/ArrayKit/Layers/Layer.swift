/// A module of a network trained by hand-written backpropagation, in the role the modules
/// of the assignment's `modules.py` play: `forward` caches what `backward` needs,
/// `backward` turns ∂L/∂Y into ∂L/∂X (and fills the parameter gradients), `clearCache`
/// drops the cache.
///
/// Gradients are overwritten by every `backward`, never accumulated: one forward, one
/// backward, one update, as in the NumPy assignment. Layers are classes because they
/// hold that cache; they are not meant to be shared between tasks.
///
/// ```swift
/// var rng = SplitMix64(seed: 1)
/// let layer = Linear<Float>(inFeatures: 4, outFeatures: 3, using: &rng)
/// let y = layer.forward(x)                    // (S, 3)
/// let dx = layer.backward(.ones(y.shape))     // (S, 4); layer.gradients now hold dW, db
/// ```
public protocol Layer<Scalar>: AnyObject {
    /// The element type of the arrays the layer maps, `Float` or `Double`.
    associatedtype Scalar: NDScalar

    /// The output for a batch `input` of shape (samples, features); caches what `backward` needs.
    func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar>

    /// ∂L/∂input from ∂L/∂output (`gradOutput`, the shape of the last output); also sets
    /// the gradients of the parameters. Needs the cache of a preceding `forward`.
    func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar>

    /// Drops the cached input so the memory can be reused; buffers kept for the next
    /// step stay.
    func clearCache()

    /// The parameters, named as PyTorch names them (`"weight"`, `"bias"`), in a fixed order.
    var parameters: [(name: String, value: NDArray<Scalar>)] { get }

    /// ∂L/∂parameter from the last `backward`, in the order and under the names of `parameters`.
    var gradients: [(name: String, value: NDArray<Scalar>)] { get }

    /// Replaces one parameter; `value` must have the parameter's shape.
    func setParameter(named name: String, to value: NDArray<Scalar>)
}

extension Layer {
    /// A layer without parameters has none to list.
    public var parameters: [(name: String, value: NDArray<Scalar>)] { [] }
    public var gradients: [(name: String, value: NDArray<Scalar>)] { [] }

    public func setParameter(named name: String, to value: NDArray<Scalar>) {
        preconditionFailure("setParameter: \(type(of: self)) has no parameter named \"\(name)\"")
    }
}

/// A loss over a batch with integer class labels: `forward` gives the mean loss,
/// `backward` the gradient that starts backpropagation, ∂L/∂input.
///
/// ```swift
/// let loss = SoftmaxCrossEntropy<Float>()
/// let value = loss.forward(logits, labels: [2, 0, 1])
/// let dLogits = loss.backward()
/// ```
public protocol Loss<Scalar>: AnyObject {
    /// The element type of the logits, `Float` or `Double`.
    associatedtype Scalar: NDScalar

    /// The mean loss of the batch `input` (samples, classes) against `labels`, one class
    /// index in `0..<classes` per sample.
    func forward(_ input: NDArray<Scalar>, labels: [Int]) -> Scalar

    /// ∂L/∂input for the last `forward`.
    func backward() -> NDArray<Scalar>

    /// Drops the cached input and labels.
    func clearCache()
}

extension NDArray {
    /// The array held in `buffer` when it already has `shape`, moved out so that writing
    /// into it does not copy (nobody else holds it once the caller dropped last step's
    /// result); otherwise a new zero array. This is how a warm training step reuses
    /// its storage instead of allocating.
    @inlinable
    static func reusing(_ buffer: inout NDArray?, shape: [Int]) -> NDArray {
        if let previous = buffer.take(), previous.shape == shape { return previous }
        return .zeros(shape)
    }

    /// `reusing(_:shape:)` for a matrix, without building a shape array (an allocation)
    /// on the warm path.
    @inlinable
    static func reusing(_ buffer: inout NDArray?, rows: Int, columns: Int) -> NDArray {
        if let previous = buffer.take(), previous.isMatrix(rows, columns) { return previous }
        return .zeros([rows, columns])
    }
}

/// Checks that `x` is a batch matrix `(samples, width)`; `op` names the caller.
@inlinable
func precondition2D<S: NDScalar>(_ x: NDArray<S>, width: Int? = nil, _ op: String) {
    precondition(x.rank == 2, "\(op): needs a (samples, features) matrix, got \(shapeText(x.shape))")
    if let width {
        precondition(x.shape[1] == width,
                     "\(op): input \(shapeText(x.shape)) has \(x.shape[1]) features, the layer takes \(width)")
    }
}

/// Checks that labels fit a (samples, classes) batch.
@inlinable
func preconditionLabels(_ labels: [Int], fit shape: [Int], _ op: String) {
    precondition(shape.count == 2 && shape[0] >= 1 && shape[1] >= 1,
                 "\(op): needs a non-empty (samples, classes) matrix, got \(shapeText(shape))")
    precondition(labels.count == shape[0],
                 "\(op): \(labels.count) labels for \(shape[0]) samples of \(shapeText(shape))")
    for label in labels {
        precondition(label >= 0 && label < shape[1],
                     "\(op): label \(label) is outside 0..<\(shape[1]) for input \(shapeText(shape))")
    }
}
