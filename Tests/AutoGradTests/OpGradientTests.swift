import ArrayAssertions
import Testing
import ArrayKit
@testable import AutoGrad

/// A finite-difference case: input arrays and the function of their leaves.
struct OpCase: CustomTestStringConvertible, Sendable {
    let name: String
    let inputs: @Sendable () -> [NDArray<Double>]
    let f: @Sendable ([Tensor<Double>]) -> Tensor<Double>
    var testDescription: String { name }

    init(_ name: String, _ shapes: [[Int]], positive: Bool = false,
         _ f: @escaping @Sendable ([Tensor<Double>]) -> Tensor<Double>) {
        self.name = name
        self.inputs = { shapes.enumerated().map { sample($1, seed: UInt64(7 + $0), positive: positive) } }
        self.f = f
    }
}

let arithmeticCases: [OpCase] = [
    OpCase("add", [[3, 4], [3, 4]]) { $0[0] + $0[1] },
    OpCase("add row broadcast", [[3, 4], [4]]) { $0[0] + $0[1] },
    OpCase("add outer broadcast", [[3, 1], [1, 4]]) { $0[0] + $0[1] },
    OpCase("add rank-3 broadcast", [[2, 3, 4], [3, 1]]) { $0[0] + $0[1] },
    OpCase("sub", [[3, 4], [3, 4]]) { $0[0] - $0[1] },
    OpCase("sub broadcast left", [[4], [3, 4]]) { $0[0] - $0[1] },
    OpCase("mul", [[3, 4], [3, 4]]) { $0[0] * $0[1] },
    OpCase("mul column broadcast", [[3, 4], [3, 1]]) { $0[0] * $0[1] },
    OpCase("mul by rank 0", [[3, 4], []]) { $0[0] * $0[1] },
    OpCase("mul self", [[3, 4]]) { $0[0] * $0[0] },
    OpCase("div", [[3, 4], [3, 4]], positive: true) { $0[0] / $0[1] },
    OpCase("div broadcast", [[3, 4], [4]], positive: true) { $0[0] / $0[1] },
    OpCase("div broadcast numerator", [[4], [3, 4]], positive: true) { $0[0] / $0[1] },
    OpCase("neg", [[3, 4]]) { -$0[0] },
    OpCase("scalar add", [[3, 4]]) { ($0[0] + 2) + (3 + $0[0]) },
    OpCase("scalar sub", [[3, 4]]) { ($0[0] - 2) * (3 - $0[0]) },
    OpCase("scalar mul", [[3, 4]]) { ($0[0] * 2.5) + (-1.5 * $0[0]) * $0[0] },
    OpCase("scalar div", [[3, 4]], positive: true) { ($0[0] / 4) + (3 / $0[0]) },
]

let matrixCases: [OpCase] = [
    OpCase("matmul", [[3, 4], [4, 5]]) { matmul($0[0], $0[1]) },
    OpCase("matmul Aᵀ", [[4, 3], [4, 5]]) { matmul($0[0], $0[1], transposeA: true) },
    OpCase("matmul Bᵀ", [[3, 4], [5, 4]]) { matmul($0[0], $0[1], transposeB: true) },
    OpCase("matmul AᵀBᵀ", [[4, 3], [5, 4]]) { matmul($0[0], $0[1], transposeA: true, transposeB: true) },
    OpCase("linear", [[3, 4], [5, 4], [5]]) { linear($0[0], weight: $0[1], bias: $0[2]) },
    OpCase("linear without bias", [[3, 4], [5, 4]]) { linear($0[0], weight: $0[1]) },
]

let functionCases: [OpCase] = [
    OpCase("exp", [[3, 4]]) { $0[0].exp() },
    OpCase("log", [[3, 4]], positive: true) { $0[0].log() },
    OpCase("pow 3", [[3, 4]], positive: true) { $0[0].pow(3) },
    OpCase("pow 3, either sign", [[3, 4]]) { $0[0].pow(3) },
    OpCase("pow 4, either sign", [[3, 4]]) { $0[0].pow(4) },
    OpCase("pow 0.5", [[3, 4]], positive: true) { $0[0].pow(0.5) },
    OpCase("sqrt", [[3, 4]], positive: true) { $0[0].sqrt() },
    OpCase("relu", [[4, 5]]) { $0[0].relu() },
    OpCase("elu", [[4, 5]]) { $0[0].elu() },
    OpCase("elu alpha 0.5", [[4, 5]]) { $0[0].elu(alpha: 0.5) },
    OpCase("tanh", [[4, 5]]) { $0[0].tanh() },
    OpCase("sigmoid", [[4, 5]]) { ($0[0] * 4).sigmoid() },
]

let reductionCases: [OpCase] = [
    OpCase("sum", [[3, 4]]) { $0[0].sum() },
    OpCase("sum axis 0", [[3, 4]]) { $0[0].sum(axis: 0) },
    OpCase("sum axis 1 keepDims", [[3, 4]]) { $0[0].sum(axis: 1, keepDims: true) },
    OpCase("sum axis -2 rank 3", [[2, 3, 4]]) { $0[0].sum(axis: -2) },
    OpCase("mean", [[3, 4]]) { $0[0].mean() },
    OpCase("mean axis 0 keepDims", [[3, 4]]) { $0[0].mean(axis: 0, keepDims: true) },
    OpCase("mean axis 1 rank 3", [[2, 3, 4]]) { $0[0].mean(axis: 1) },
    OpCase("max axis 1", [[3, 5]]) { $0[0].max(axis: 1) },
    OpCase("max axis 0 keepDims", [[3, 5]]) { $0[0].max(axis: 0, keepDims: true) },
    OpCase("max axis 1 rank 3", [[2, 3, 4]]) { $0[0].max(axis: 1) },
    OpCase("max all", [[3, 5]]) { $0[0].max() },
]

let shapeCases: [OpCase] = [
    OpCase("reshape", [[3, 4]]) { $0[0].reshaped([2, -1]) * $0[0].reshaped([2, 6]) },
    OpCase("transpose", [[3, 4]]) { $0[0].transposed() },
    OpCase("transpose axes", [[2, 3, 4]]) { $0[0].transposed([1, 2, 0]) },
    OpCase("broadcast", [[3, 1]]) { $0[0].broadcast(to: [2, 3, 4]) },
    OpCase("gatherRows with repeats", [[4, 3]]) { $0[0].gatherRows([2, 0, 2, 3, 2]) },
    OpCase("logSoftmax axis 1", [[4, 5]]) { $0[0].logSoftmax(axis: 1) },
    OpCase("logSoftmax axis 0", [[4, 5]]) { $0[0].logSoftmax(axis: 0) },
    OpCase("crossEntropy", [[6, 4]]) { crossEntropy(logits: $0[0], labels: [0, 3, 1, 1, 2, 3]) },
    OpCase("mse", [[3, 4], [3, 4]]) { nn.MSELoss()($0[0], $0[1]) },
    OpCase("batchNorm", [[6, 4], [4], [4]]) { batchNorm($0[0], weight: $0[1], bias: $0[2], epsilon: 1e-5).output },
    OpCase("batchNorm without affine", [[5, 3]]) { batchNorm($0[0], weight: nil, bias: nil, epsilon: 1e-5).output },
    OpCase("composite chain", [[3, 4], [4]]) { (($0[0] + $0[1]).tanh() * $0[0]).sum(axis: 1).exp().mean() },
]

@Suite struct OpGradientTests {
    func check(_ op: OpCase) {
        let leaves = GradientCheck.leaves(op.inputs())
        let error = GradientCheck.maxError(of: leaves) { op.f(leaves) }
        #expect(error <= 1e-6, "\(op.name): max relative error \(error)")
        #expect(leaves.allSatisfy { $0.grad != nil }, "\(op.name): a leaf received no gradient")
    }

    @Test(arguments: arithmeticCases) func arithmetic(_ op: OpCase) { check(op) }
    @Test(arguments: matrixCases) func matrix(_ op: OpCase) { check(op) }
    @Test(arguments: functionCases) func function(_ op: OpCase) { check(op) }
    @Test(arguments: reductionCases) func reduction(_ op: OpCase) { check(op) }
    @Test(arguments: shapeCases) func shapeAndLoss(_ op: OpCase) { check(op) }

    /// pow as torch.pow (and numpy.power): a negative base with a whole exponent has its
    /// power, a fractional one gives NaN, x⁰ = 1 with gradient 0 even at x = 0.
    @Test func powOfNegativeBasesAndZerothPowers() {
        let x = Tensor<Float>([-2, 3, 0], shape: [3], requiresGrad: true)
        let fourth = x.pow(4)
        fourth.sum().backward()
        expectEqual(fourth.data, NDArray([16, 81, 0]))
        expectEqual(x.grad, NDArray([-32, 108, 0]))
        expectEqual(x.data.pow(3), NDArray([-8, 27, 0]))
        x.zeroGrad()
        let zeroth = x.pow(0)
        zeroth.sum().backward()
        expectEqual(zeroth.data, NDArray([1, 1, 1]))
        expectEqual(x.grad, NDArray([0, 0, 0]))
        let root = x.data.pow(0.5)
        #expect(root[0].isNaN)
        #expect(root[1] == Float(3).squareRoot())
    }

    @Test func aWrongBackwardRuleIsCaught() {
        // The checker itself must fail on a wrong rule: here a "square" whose pullback forgets the 2.
        let x = Tensor(sample([3, 4], seed: 1), requiresGrad: true)
        let error = GradientCheck.maxError(of: [x]) {
            Tensor.result(of: "badSquare", data: x.data * x.data, inputs: [x]) { g in [g * x.data] }
        }
        #expect(error > 0.1)
    }
}
