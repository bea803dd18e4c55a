import ArrayKit
import AutoGrad
import Testing

/// External truth: PyTorch's numbers for a 2-hidden-layer MLP (ReLU, and ELU with α 0.8)
/// with given weights and batch, made by `scripts/make_reference_fixtures.py`. The
/// float64 fixtures check the Double backends tightly, the float32 ones the Float
/// backends against PyTorch's own float32 arithmetic.
@Suite struct PyTorchMLPTests {
    static let fixtures = ["mlp_relu", "mlp_elu"]

    /// Both backends with the fixture's architecture and initial weights, and its batch.
    struct Setup<S: NDScalar> {
        let file: SafetensorsFile
        let manual: MLP<S>
        let autograd: nn.MLP<S>
        let x: NDArray<S>
        let labels: [Int]

        init(_ name: String) throws {
            file = try Fixture.read(name + (S.self == Float.self ? "_f32" : "") + ".safetensors")
            let c = try file.mlpConfiguration()
            manual = MLP<S>(inputs: c.inputs, hidden: c.hidden, classes: c.classes, activation: c.activation, seed: 0)
            var rng = SplitMix64(seed: 0)
            autograd = nn.MLP<S>(inputs: c.inputs, hidden: c.hidden, classes: c.classes,
                                       activation: c.activation, using: &rng)
            let initial: [(String, NDArray<S>)] = try file.arrays(under: "initial")
            try manual.load(namedParameters: initial)
            try autograd.load(stateDict: initial)
            x = try file.array(named: "x")
            labels = try file.labels()
        }

        /// `reference` under `prefix` against the given parameters.
        func compare(_ parameters: [(String, NDArray<S>)], with prefix: String, _ context: String) throws -> Double {
            // save_file stores tensors sorted by name: match by name, not by position.
            let reference = Dictionary(uniqueKeysWithValues: try file.arrays(under: prefix, as: S.self))
            #expect(Set(reference.keys) == Set(parameters.map(\.0)), "\(context): names")
            let pairs = try parameters.map { name, value in
                (name: name, value: value, reference: try #require(reference[name], "\(context): no \(prefix).\(name)"))
            }
            return expectClose(pairs, within: tolerance(S.self), context)
        }
    }

    func forwardAndBackward<S: NDScalar>(_: S.Type, _ name: String) throws {
        let setup = try Setup<S>(name)
        let expectedLoss: NDArray<S> = try setup.file.array(named: "loss")
        for (backend, pass) in [("ArrayKit", setup.manual.pass(setup.x, labels: setup.labels)),
                                ("AutoGrad", setup.autograd.pass(setup.x, labels: setup.labels))] {
            let context = "\(name), \(S.self), \(backend) vs PyTorch"
            let loss = relativeDifference(pass.loss, expectedLoss.scalar)
            #expect(loss <= tolerance(S.self), "\(context): loss \(pass.loss) vs \(expectedLoss.scalar)")
            let logits = expectClose([(name: "logits", value: pass.logits, reference: try setup.file.array(named: "logits"))],
                                     within: tolerance(S.self), context)
            let gradients = try setup.compare(pass.gradients.map { ($0.name, $0.value) }, with: "grad", context + " gradients")
            report(context + ": logits, loss, gradients", max(loss, logits, gradients))
        }
    }

    @Test(arguments: fixtures)
    func logitsLossAndGradientsMatchPyTorch(name: String) throws {
        try forwardAndBackward(Double.self, name)
        try forwardAndBackward(Float.self, name)
    }

    func plainSGD<S: NDScalar>(_: S.Type, _ name: String) throws {
        let setup = try Setup<S>(name)
        let steps = try #require(Int(setup.file.meta("steps")))
        let rate = try setup.file.metaDouble("sgd.lr")
        let optimizer = SGD(setup.autograd.parameters(), learningRate: rate)
        for _ in 0..<steps {
            _ = setup.manual.pass(setup.x, labels: setup.labels)
            setup.manual.sgdStep(learningRate: S(rate))
            _ = setup.autograd.pass(setup.x, labels: setup.labels)
            optimizer.step()
        }
        report("\(name), \(S.self), ArrayKit sgdStep ×\(steps) vs torch.optim.SGD",
               try setup.compare(setup.manual.namedParameters(), with: "sgd", "\(name) \(S.self) ArrayKit SGD"))
        report("\(name), \(S.self), AutoGrad SGD ×\(steps) vs torch.optim.SGD",
               try setup.compare(setup.autograd.parameterArrays.map { ($0.name, $0.value) }, with: "sgd",
                                 "\(name) \(S.self) AutoGrad SGD"))
    }

    @Test(arguments: fixtures)
    func plainSGDStepsMatchPyTorchInBothBackends(name: String) throws {
        try plainSGD(Double.self, name)
        try plainSGD(Float.self, name)
    }

    /// AutoGrad's optimizers (ArrayKit has only plain SGD) against `torch.optim`.
    func optimizer<S: NDScalar>(_: S.Type, _ name: String, _ key: String) throws {
        let setup = try Setup<S>(name)
        let file = setup.file, parameters = setup.autograd.parameters()
        let rate = try file.metaDouble("\(key).lr")
        let decay = file.metadata["\(key).weight_decay"].flatMap(Double.init) ?? 0
        let optimizer: any Optimizer<S> = switch key {
        case "adam": Adam(parameters, learningRate: rate, weightDecay: decay)
        case "adamw": AdamW(parameters, learningRate: rate, weightDecay: decay)
        default:
            SGD(parameters, learningRate: rate, momentum: try file.metaDouble("\(key).momentum"),
                dampening: file.metadata["\(key).dampening"].flatMap(Double.init) ?? 0,
                nesterov: file.metadata["\(key).nesterov"] == "1", weightDecay: decay)
        }
        for _ in 0..<(try #require(Int(file.meta("steps")))) {
            _ = setup.autograd.pass(setup.x, labels: setup.labels)
            optimizer.step()
        }
        report("\(name), \(S.self), AutoGrad \(key) vs torch.optim",
               try setup.compare(setup.autograd.parameterArrays.map { ($0.name, $0.value) }, with: key,
                                 "\(name) \(S.self) \(key)"))
    }

    @Test(arguments: fixtures, ["sgd_nesterov", "sgd_dampened", "adam", "adamw"])
    func optimizerStepsMatchPyTorch(name: String, optimizer key: String) throws {
        try optimizer(Double.self, name, key)
        try optimizer(Float.self, name, key)
    }
}
