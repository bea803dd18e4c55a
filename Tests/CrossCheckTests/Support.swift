import ArrayKit
import AutoGrad
import Foundation
import Testing

/// The largest difference relative to the reference's scale, `max|a − b| / max|b|` — the
/// measure every tolerance in this target is stated in. Element-wise ratios would blow up
/// on entries that are (nearly) zero, e.g. the gradient of a bias behind a dead ReLU.
func relativeDifference<S: NDScalar>(_ a: NDArray<S>, _ reference: NDArray<S>) -> Double {
    precondition(a.shape == reference.shape,
                 "relativeDifference: \(shapeText(a.shape)) vs reference \(shapeText(reference.shape))")
    var difference = 0.0, scale = 0.0
    for (x, y) in zip(a.scalars, reference.scalars) {
        let d = Double(abs(x - y))
        if d.isNaN { return .nan }  // fails every `<=` check, where max() would drop it
        difference = max(difference, d)
        scale = max(scale, Double(abs(y)))
    }
    return scale == 0 ? difference : difference / scale
}

/// `|a − b| / |b|` for scalars (a loss).
func relativeDifference<S: NDScalar>(_ a: S, _ reference: S) -> Double {
    reference == 0 ? Double(abs(a)) : Double(abs(a - reference)) / Double(abs(reference))
}

/// Tolerances per precision: Double ≤ 1e-12 relative (rounding only), Float ≤ 1e-5.
func tolerance<S: NDScalar>(_: S.Type) -> Double { S.self == Double.self ? 1e-12 : 1e-5 }

/// Prints a measured worst difference so a test log shows the margin, not only a pass.
func report(_ what: String, _ value: Double) {
    print("cross-check: \(what): max relative difference \(value.formatted(.number.precision(.significantDigits(3))))")
}

/// The largest of `pairs`' differences, each checked against `limit` with its name.
@discardableResult
func expectClose<S: NDScalar>(_ pairs: [(name: String, value: NDArray<S>, reference: NDArray<S>)],
                              within limit: Double, _ context: String,
                              sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    var worst = 0.0
    for (name, value, reference) in pairs {
        #expect(value.shape == reference.shape, "\(context): \(name) shape", sourceLocation: sourceLocation)
        guard value.shape == reference.shape else { continue }
        let difference = relativeDifference(value, reference)
        #expect(difference <= limit, "\(context): \(name) differs by \(difference) (limit \(limit))",
                sourceLocation: sourceLocation)
        worst = max(worst, difference)
    }
    return worst
}

/// One forward and backward pass of each backend on the same batch.
struct Pass<S: NDScalar> {
    var logits: NDArray<S>
    var loss: S
    /// ∂L/∂parameter under the `torch.nn.Sequential` names, in parameter order.
    var gradients: [(name: String, value: NDArray<S>)]
}

extension MLP {
    /// Logits, mean cross-entropy and every parameter gradient, by hand-written backprop.
    func pass(_ x: NDArray<Scalar>, labels: [Int]) -> Pass<Scalar> {
        let loss = SoftmaxCrossEntropy<Scalar>()
        let logits = forward(x)
        let value = loss.forward(logits, labels: labels)
        _ = backward(loss.backward())
        // Copied out: the layers reuse their gradient buffers on the next step.
        let gradients = self.gradients.map { (name: $0.name, value: NDArray($0.value.scalars, shape: $0.value.shape)) }
        clearCache()
        return Pass(logits: NDArray(logits.scalars, shape: logits.shape), loss: value, gradients: gradients)
    }
}

extension nn.Module {
    /// Logits, mean cross-entropy and every parameter gradient, by the tape.
    func pass(_ x: NDArray<Scalar>, labels: [Int]) -> Pass<Scalar> {
        zeroGrad()
        let logits = self(Tensor(x))
        let loss = crossEntropy(logits: logits, labels: labels)
        loss.backward()
        let gradients = namedParameters().map { (name: $0.name, value: $0.tensor.grad ?? .zeros($0.tensor.shape)) }
        return Pass(logits: logits.data, loss: loss.scalar, gradients: gradients)
    }

    /// Parameters by name, as arrays.
    var parameterArrays: [(name: String, value: NDArray<Scalar>)] {
        namedParameters().map { ($0.name, $0.tensor.data) }
    }
}

/// Fixture files made by `scripts/make_reference_fixtures.py` (PyTorch).
enum Fixture {
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(name)")
    }

    static func read(_ name: String) throws -> SafetensorsFile {
        try Safetensors.read(contentsOf: url(name))
    }
}

extension SafetensorsFile {
    /// The tensors whose names start with `prefix` + ".", with the prefix removed, in data order.
    func arrays<S: NDScalar>(under prefix: String, as _: S.Type = S.self) throws -> [(String, NDArray<S>)] {
        try names.filter { $0.hasPrefix(prefix + ".") }.map { name in
            (String(name.dropFirst(prefix.count + 1)), try array(named: name, as: S.self))
        }
    }

    /// Class labels stored as int64.
    func labels(named name: String = "labels") throws -> [Int] {
        try integers(named: name).values.map { Int($0) }
    }

    /// A required `__metadata__` value.
    func meta(_ key: String) throws -> String {
        try #require(metadata[key], "fixture metadata lacks \"\(key)\"")
    }

    func metaDouble(_ key: String) throws -> Double {
        try #require(Double(meta(key)), "fixture metadata \"\(key)\" is not a number")
    }

    /// The MLP configuration the script recorded: widths and activation.
    func mlpConfiguration() throws -> (inputs: Int, hidden: [Int], classes: Int, activation: ArrayKit.Activation) {
        let activation: ArrayKit.Activation = try meta("activation") == "relu"
            ? .relu : .elu(alpha: metadata["alpha"].flatMap(Double.init) ?? 1)
        return (try #require(Int(meta("inputs"))), try meta("hidden").split(separator: ",").map { try #require(Int($0)) },
                try #require(Int(meta("classes"))), activation)
    }
}
