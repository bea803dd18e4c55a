import ArrayKit
import AutoGrad
import Testing

/// Second derivatives of every AutoGrad op against PyTorch's double backward
/// (`torch.autograd.grad(..., create_graph=True)` differentiated again), on
/// `double_backward.safetensors` made by `scripts/make_reference_fixtures.py double-backward`
/// (the torch version is in its metadata). For each case f, seed w and direction v the fixture
/// holds ∂⟨f, w⟩/∂x, the Hessian-vector product ∂⟨∇⟨f, w⟩, v⟩/∂x and its derivative in w.
/// Dropout is a product with a constant mask, checked here as `mul`.
@Suite struct PyTorchDoubleBackwardTests {
    typealias T = Tensor<Double>

    /// The Swift side of each case: the inputs (as leaves requiring gradients) and the
    /// constants to the output. Integer arguments are those of the script.
    static let cases: [String: @Sendable (_ inputs: [T], _ constants: [String: NDArray<Double>]) -> T] = [
        "add": { x, _ in x[0] + x[1] },
        "add_broadcast": { x, _ in x[0] + x[1] },
        "sub_broadcast": { x, _ in x[0] - x[1] },
        "mul": { x, _ in x[0] * x[1] },
        "mul_broadcast": { x, _ in x[0] * x[1] },
        "mul_self": { x, _ in x[0] * x[0] },
        "div": { x, _ in x[0] / x[1] },
        "div_broadcast": { x, _ in x[0] / x[1] },
        "neg": { x, _ in -x[0] },
        "scalar_ops": { x, _ in (x[0] + 2) * (3 - x[0]) + (x[0] * 2.5 - 1.5) / 4 + 3 / x[0] },
        "matmul": { x, _ in matmul(x[0], x[1]) },
        "matmul_ta": { x, _ in matmul(x[0], x[1], transposeA: true) },
        "matmul_tb": { x, _ in matmul(x[0], x[1], transposeB: true) },
        "matmul_tab": { x, _ in matmul(x[0], x[1], transposeA: true, transposeB: true) },
        "linear": { x, _ in linear(x[0], weight: x[1], bias: x[2]) },
        "linear_no_bias": { x, _ in linear(x[0], weight: x[1]) },
        "exp": { x, _ in x[0].exp() },
        "log": { x, _ in x[0].log() },
        "pow_3": { x, _ in x[0].pow(3) },
        "pow_half": { x, _ in x[0].pow(0.5) },
        "sqrt": { x, _ in x[0].sqrt() },
        "relu": { x, _ in x[0].relu() },
        "elu": { x, _ in x[0].elu(alpha: 1) },
        "elu_alpha_0.5": { x, _ in x[0].elu(alpha: 0.5) },
        "tanh": { x, _ in x[0].tanh() },
        "sigmoid": { x, _ in (x[0] * 4).sigmoid() },
        "sum": { x, _ in (x[0] * x[0]).sum() },
        "sum_axis_0": { x, _ in (x[0] * x[0]).sum(axis: 0) },
        "sum_axis_1_keepdims": { x, _ in (x[0] * x[0]).sum(axis: 1, keepDims: true) },
        "mean": { x, _ in (x[0] * x[0]).mean() },
        "mean_axis_0_keepdims": { x, _ in (x[0] * x[0]).mean(axis: 0, keepDims: true) },
        "max_axis_1": { x, _ in (x[0] * x[0]).max(axis: 1) },
        "max_all": { x, _ in (x[0] * x[0]).max() },
        "reshape": { x, _ in x[0].reshaped([2, 6]) * x[0].reshaped([2, -1]) },
        "transpose": { x, _ in x[0].transposed() * x[0].transposed() },
        "transpose_axes": { x, _ in x[0].transposed([1, 2, 0]).exp() },
        "broadcast": { x, _ in x[0].broadcast(to: [2, 3, 4]).tanh() },
        "gather_rows": { x, _ in x[0].gatherRows([2, 0, 2, 3, 2]).exp() },
        "log_softmax_axis_1": { x, _ in x[0].logSoftmax(axis: 1) },
        "log_softmax_axis_0": { x, _ in x[0].logSoftmax(axis: 0) },
        "cross_entropy": { x, _ in crossEntropy(logits: x[0], labels: [0, 3, 1, 1, 2, 3]) },
        "mse": { x, _ in nn.MSELoss()(x[0], x[1]) },
        "batch_norm_train": { x, _ in batchNorm(x[0], weight: x[1], bias: x[2], epsilon: 1e-5).output },
        "batch_norm_train_no_affine": { x, _ in batchNorm(x[0], weight: nil, bias: nil, epsilon: 1e-5).output },
        "batch_norm_eval": { x, _ in
            let norm = evalBatchNorm(weight: x[1], bias: x[2])
            return norm(x[0])
        },
        "mlp_relu": { p, c in
            crossEntropy(logits: linear(linear(T(c["x"]!), weight: p[0], bias: p[1]).relu(), weight: p[2], bias: p[3]),
                         labels: [0, 3, 1, 2, 2, 0, 1, 3])
        },
        "mlp_elu_batch_norm": { p, c in
            let h = batchNorm(linear(T(c["x"]!), weight: p[0]), weight: p[1], bias: p[2], epsilon: 1e-5).output
            return crossEntropy(logits: linear(h.elu(alpha: 0.7), weight: p[3], bias: p[4]), labels: [0, 3, 1, 2, 2, 0, 1, 3])
        },
    ]

    /// `BatchNorm1d` in eval mode with the script's running statistics, without its own
    /// affine parameters, then scaled and shifted by the leaves — PyTorch's eval formula
    /// `(x − μ)/√(σ² + ε) · γ + β` with γ and β differentiable.
    static func evalBatchNorm(weight: T, bias: T) -> (T) -> T {
        let norm = nn.BatchNorm1d<Double>(4, affine: false)
        norm.runningMean.data = NDArray([0.3, -0.2, 0.1, 0.5])
        norm.runningVar.data = NDArray([0.7, 1.4, 0.2, 2.0])
        norm.eval()
        return { x in norm(x) * weight + bias }
    }

    @Test func everyCaseOfTheFixtureHasASwiftCounterpart() throws {
        let file = try Fixture.read("double_backward.safetensors")
        let names = try file.meta("cases").split(separator: ",").map(String.init)
        #expect(Set(names) == Set(Self.cases.keys), "fixture cases and Swift cases differ")
        #expect(names.count >= 45)
    }

    @Test func secondDerivativesMatchPyTorchDoubleBackward() throws {
        let file = try Fixture.read("double_backward.safetensors")
        let names = try file.meta("cases").split(separator: ",").map(String.init)
        var worst = 0.0
        for name in names {
            let f = try #require(Self.cases[name], "no Swift case \(name)")
            let count = file.names.filter { $0.hasPrefix(name + ".x") }.count
            let inputs = try (0..<count).map { T(try file.array(named: "\(name).x\($0)"), requiresGrad: true) }
            let directions: [NDArray<Double>] = try (0..<count).map { try file.array(named: "\(name).v\($0)") }
            let constants = Dictionary(uniqueKeysWithValues: try file.arrays(under: name + ".const", as: Double.self))
            let seed = T(try file.array(named: name + ".seed"), requiresGrad: true)
            let output = f(inputs, constants)
            let first = grad(of: output, withRespectTo: inputs, seed: seed, createGraph: true)
            var product: T?
            for (g, v) in zip(first, directions) {
                let term = (g * T(v)).sum()
                product = product.map { $0 + term } ?? term
            }
            let second = grad(of: try #require(product), withRespectTo: inputs + [seed])
            var pairs: [(name: String, value: NDArray<Double>, reference: NDArray<Double>)] = []
            for i in 0..<count {
                pairs.append(("∂⟨f, w⟩/∂x\(i)", first[i].data, try file.array(named: "\(name).grad\(i)")))
                pairs.append(("H v, x\(i)", second[i].data, try file.array(named: "\(name).hvp\(i)")))
            }
            pairs.append(("∂/∂w", second[count].data, try file.array(named: name + ".hvp_seed")))
            worst = max(worst, expectClose(pairs, within: 1e-12, "\(name) vs PyTorch double backward"))
        }
        report("double backward, \(names.count) cases, Double, vs PyTorch \(try file.meta("torch"))", worst)
    }
}
