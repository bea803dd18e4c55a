/// A multi-layer perceptron trained by hand-written backpropagation (assignment §3):
/// Linear → activation → … → Linear. `hidden` may be empty, which leaves one Linear:
/// multinomial logistic regression.
///
/// `forward` returns **logits**, not probabilities: pair it with ``SoftmaxCrossEntropy``,
/// which is numerically safer than a Softmax layer followed by ``CrossEntropy`` (no log of
/// an underflowed probability) and is what the equivalent PyTorch model does. Apply
/// ``Softmax`` to the logits when probabilities are wanted.
///
/// Layers are numbered as in the equivalent `torch.nn.Sequential` — Linear 0,
/// activation 1, Linear 2, … — so parameters are named `0.weight`, `0.bias`,
/// `2.weight`, … and a state dict moves between the two unchanged.
///
/// ```swift
/// let model = MLP<Float>(inputs: 784, hidden: [128], classes: 10, seed: 42)
/// let loss = SoftmaxCrossEntropy<Float>()
/// let value = loss.forward(model.forward(images), labels: labels)
/// _ = model.backward(loss.backward())
/// model.sgdStep(learningRate: 0.1)
/// model.clearCache()
/// ```
public final class MLP<Scalar: NDScalar>: Layer {
    /// The input width (784 for a flattened 28 × 28 image).
    public let inputs: Int
    /// The hidden widths, input side first; empty for multinomial logistic regression.
    public let hidden: [Int]
    /// The output width: one logit per class.
    public let classes: Int
    /// The nonlinearity after each hidden ``Linear``.
    public let activation: Activation
    /// The modules in order, indexed as in `torch.nn.Sequential`.
    public let layers: [any Layer<Scalar>]
    // The same modules by their concrete types, which the training step runs through:
    // calls through `any Layer` would reach each layer's generic, unspecialized code.
    let linears: [Linear<Scalar>]
    let activations: [HiddenActivation<Scalar>]

    /// A network whose weights are drawn from `generator` (Kaiming-normal, see ``Linear``).
    public init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
                using generator: inout SplitMix64) {
        precondition(inputs >= 1 && classes >= 1 && hidden.allSatisfy { $0 >= 1 },
                     "MLP: every width must be at least 1, got inputs \(inputs), hidden \(hidden), classes \(classes)")
        self.inputs = inputs
        self.hidden = hidden
        self.classes = classes
        self.activation = activation
        var layers: [any Layer<Scalar>] = []
        var linears: [Linear<Scalar>] = []
        var activations: [HiddenActivation<Scalar>] = []
        let widths = [inputs] + hidden + [classes]
        for i in 0..<(widths.count - 1) {
            let linear = Linear<Scalar>(inFeatures: widths[i], outFeatures: widths[i + 1],
                                        isInputLayer: i == 0, using: &generator)
            layers.append(linear)
            linears.append(linear)
            if i < widths.count - 2 {
                let module: HiddenActivation<Scalar>
                switch activation {
                case .relu: module = .relu(ReLU<Scalar>())
                case .elu(let alpha): module = .elu(ELU<Scalar>(alpha: Scalar(alpha)))
                }
                layers.append(module.layer)
                activations.append(module)
            }
        }
        self.layers = layers
        self.linears = linears
        self.activations = activations
    }

    /// A network initialised from a generator seeded with `seed`.
    public convenience init(inputs: Int, hidden: [Int], classes: Int, activation: Activation = .relu,
                            seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.init(inputs: inputs, hidden: hidden, classes: classes, activation: activation,
                  using: &generator)
    }

    // The step's entry points are pre-specialized: callers in other modules (the trainer)
    // see only the generic symbols, whose element loops would run through witness tables.
    // Their specialized bodies reach Linear and the activations through `linears` and
    // `activations`, whose concrete types let this module specialize those calls too.
    // Measured (`train-manual --epochs 1`, one BLAS thread, process CPU time, AMD EPYC Zen 4,
    // 2026-12-03): without any @_specialize in the package an epoch costs 3× the CPU time.
    // Linear keeps its own for callers that use it directly: without them `step-phases`
    // (Benchmarks), which calls the layers one by one, took 0.71 s an epoch for the first
    // layer's SGD update instead of 0.01 s. Cross-module optimization would specialize in the
    // caller instead, but only through unsafe compiler flags, which a package that others
    // depend on cannot use.

    /// The logits, shape (samples, classes).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: NDArray<Scalar>) -> NDArray<Scalar> {
        precondition2D(input, width: inputs, "MLP.forward")
        var x = input
        for (index, linear) in linears.enumerated() {
            x = linear.forward(x)
            if index < activations.count { x = activations[index].forward(x) }
        }
        return x
    }

    /// Backpropagates ∂L/∂logits through every module, last to first; returns ∂L/∂input.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        let gradient = backwardToFirstLayer(gradOutput)
        return linears[0].backward(gradient)
    }

    /// Backpropagates ∂L/∂logits to the gradients of every parameter, but not to the
    /// input: training never reads ∂L/∂input, and it would cost a gemm as large as the
    /// first layer's forward product.
    ///
    /// ```swift
    /// model.backwardToParameters(loss.backward())
    /// model.sgdStep(learningRate: 0.1)
    /// ```
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backwardToParameters(_ gradOutput: NDArray<Scalar>) {
        linears[0].backwardParameters(backwardToFirstLayer(gradOutput))
    }

    /// ∂L/∂(output of the first Linear).
    private func backwardToFirstLayer(_ gradOutput: NDArray<Scalar>) -> NDArray<Scalar> {
        var gradient = gradOutput
        for index in stride(from: linears.count - 1, to: 0, by: -1) {
            gradient = linears[index].backward(gradient)
            gradient = activations[index - 1].backward(gradient)
        }
        return gradient
    }

    public func clearCache() {
        for layer in layers { layer.clearCache() }
    }

    /// One step of plain stochastic gradient descent, W ← W − η ∂L/∂W for every
    /// parameter, written into the parameters' own storage.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sgdStep(learningRate: Scalar) {
        for linear in linears { linear.sgdStep(learningRate: learningRate) }
    }

    public var parameters: [(name: String, value: NDArray<Scalar>)] {
        layers.enumerated().flatMap { index, layer in
            layer.parameters.map { (name: "\(index).\($0.name)", value: $0.value) }
        }
    }

    public var gradients: [(name: String, value: NDArray<Scalar>)] {
        layers.enumerated().flatMap { index, layer in
            layer.gradients.map { (name: "\(index).\($0.name)", value: $0.value) }
        }
    }

    /// The parameters under their `torch.nn.Sequential` names, in order:
    /// `0.weight`, `0.bias`, `2.weight`, `2.bias`, …
    public func namedParameters() -> [(String, NDArray<Scalar>)] {
        parameters.map { ($0.name, $0.value) }
    }

    public func setParameter(named name: String, to value: NDArray<Scalar>) {
        guard let dot = name.firstIndex(of: "."), let index = Int(name[..<dot]), layers.indices.contains(index) else {
            preconditionFailure("MLP.setParameter: no parameter named \"\(name)\" (\(parameters.map(\.name)))")
        }
        layers[index].setParameter(named: String(name[name.index(after: dot)...]), to: value)
    }

    /// Replaces the parameters from `namedParameters` (e.g. a state dict read from a
    /// safetensors file) with the semantics of PyTorch's `load_state_dict(strict:)`, checked
    /// by ``StateDict/check(loaded:expected:strict:)`` as AutoGrad's modules check theirs:
    /// a wrong shape always throws, a missing or unexpected name throws when `strict`.
    /// Nothing changes when it throws.
    ///
    /// ```swift
    /// try model.load(namedParameters: other.namedParameters())
    /// ```
    @discardableResult
    public func load(namedParameters: [(String, NDArray<Scalar>)], strict: Bool = true)
        throws(StateDictError) -> StateDictReport
    {
        let given = Dictionary(namedParameters, uniquingKeysWith: { _, last in last })
        let expected = parameters
        let report = try StateDict.check(loaded: given, expected: expected.map { ($0.name, $0.value.shape) },
                                         strict: strict)
        for (name, _) in expected {
            if let value = given[name] { setParameter(named: name, to: value) }
        }
        return report
    }
}
