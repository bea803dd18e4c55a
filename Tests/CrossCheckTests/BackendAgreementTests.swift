import ArrayAssertions
import ArrayKit
import AutoGrad
import Testing

/// The cross-check at the heart of `swift test`: ArrayKit's hand-written backpropagation
/// and AutoGrad's tape compute the same thing two independent ways, so for the same
/// weights and batch they must agree on logits, loss and every parameter gradient — for
/// 0–3 hidden layers, ReLU and ELU, both precisions — and still agree after training.
@Suite struct BackendAgreementTests {
    static let activations: [ArrayKit.Activation] = [.relu, .elu(alpha: 1), .elu(alpha: 0.5)]
    static let depths = [0, 1, 2, 3]
    static let widths = [16, 12, 9]

    /// Both backends built with the same widths; the autograd model gets the manual one's
    /// weights loaded (so this check does not depend on the initializers agreeing).
    static func models<S: NDScalar>(_: S.Type, depth: Int, activation: ArrayKit.Activation, seed: UInt64)
        throws -> (MLP<S>, nn.MLP<S>)
    {
        let hidden = Array(widths.prefix(depth))
        let manual = MLP<S>(inputs: 20, hidden: hidden, classes: 7, activation: activation, seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        let autograd = nn.MLP<S>(inputs: 20, hidden: hidden, classes: 7, activation: activation, using: &rng)
        // Non-zero biases, so a bias that is dropped or misplaced shows.
        var biasRNG = SplitMix64(seed: seed &+ 2)
        try manual.load(namedParameters: manual.namedParameters().map { name, value in
            (name, name.hasSuffix("bias") ? .randomNormal(value.shape, std: 0.3, using: &biasRNG) : value)
        })
        try autograd.load(stateDict: manual.namedParameters())
        return (manual, autograd)
    }

    static func batch<S: NDScalar>(_: S.Type, seed: UInt64) -> (NDArray<S>, [Int]) {
        var rng = SplitMix64(seed: seed)
        let x = NDArray<S>.randomNormal([11, 20], std: 1.5, using: &rng)
        return (x, (0..<11).map { _ in rng.nextInt(below: 7) })
    }

    func agree<S: NDScalar>(_ type: S.Type, depth: Int, activation: ArrayKit.Activation) throws -> Double {
        let (manual, autograd) = try Self.models(S.self, depth: depth, activation: activation, seed: 100 + UInt64(depth))
        let (x, labels) = Self.batch(S.self, seed: 7)
        let byHand = manual.pass(x, labels: labels), byTape = autograd.pass(x, labels: labels)
        let context = "\(S.self), \(depth) hidden, \(activation)"
        #expect(byHand.gradients.map(\.name) == byTape.gradients.map(\.name), "\(context): parameter names")
        let limit = tolerance(S.self)
        let lossDifference = relativeDifference(byHand.loss, byTape.loss)
        #expect(lossDifference <= limit, "\(context): loss \(byHand.loss) vs \(byTape.loss)")
        var pairs = [(name: "logits", value: byHand.logits, reference: byTape.logits)]
        for (hand, tape) in zip(byHand.gradients, byTape.gradients) {
            pairs.append((name: "∂L/∂\(hand.name)", value: hand.value, reference: tape.value))
            #expect(tape.value.scalars.contains { $0 != 0 }, "\(context): \(hand.name) got no gradient")
        }
        return max(lossDifference, expectClose(pairs, within: limit, context))
    }

    @Test(arguments: depths, activations)
    func logitsLossAndGradientsAgreeInDouble(depth: Int, activation: ArrayKit.Activation) throws {
        report("Double, \(depth) hidden, \(activation): logits, loss, gradients",
               try agree(Double.self, depth: depth, activation: activation))
    }

    @Test(arguments: depths, activations)
    func logitsLossAndGradientsAgreeInFloat(depth: Int, activation: ArrayKit.Activation) throws {
        report("Float, \(depth) hidden, \(activation): logits, loss, gradients",
               try agree(Float.self, depth: depth, activation: activation))
    }

    /// Manual `sgdStep` against AutoGrad's `SGD`, five steps on five different batches.
    func trainTogether<S: NDScalar>(_: S.Type, depth: Int, activation: ArrayKit.Activation) throws -> Double {
        let (manual, autograd) = try Self.models(S.self, depth: depth, activation: activation, seed: 200 + UInt64(depth))
        let optimizer = SGD(autograd.parameters(), learningRate: 0.2)
        var worst = 0.0
        for step in 0..<5 {
            let (x, labels) = Self.batch(S.self, seed: 300 + UInt64(step))
            _ = manual.pass(x, labels: labels)
            manual.sgdStep(learningRate: 0.2)
            _ = autograd.pass(x, labels: labels)
            optimizer.step()
            let pairs = zip(manual.namedParameters(), autograd.parameterArrays).map {
                (name: $0.0, value: $0.1, reference: $1.value)
            }
            worst = max(worst, expectClose(pairs, within: tolerance(S.self), "\(S.self), \(depth) hidden, \(activation), after step \(step + 1)"))
        }
        // The weights moved: a step that did nothing would agree trivially.
        let (start, _) = try Self.models(S.self, depth: depth, activation: activation, seed: 200 + UInt64(depth))
        #expect(relativeDifference(start.namedParameters()[0].1, manual.namedParameters()[0].1) > 1e-3)
        return worst
    }

    @Test(arguments: depths, activations)
    func fiveSGDStepsLeaveTheSameWeights(depth: Int, activation: ArrayKit.Activation) throws {
        report("Double, \(depth) hidden, \(activation): weights after 5 SGD steps",
               try trainTogether(Double.self, depth: depth, activation: activation))
        report("Float, \(depth) hidden, \(activation): weights after 5 SGD steps",
               try trainTogether(Float.self, depth: depth, activation: activation))
    }

    /// Both constructors draw Kaiming weights in row-major order from SplitMix64, layer by
    /// layer, so the same seed gives the same network bit for bit.
    func sameInitialWeights<S: NDScalar>(_: S.Type, hidden: [Int], inputs: Int, classes: Int) {
        for seed: UInt64 in [0, 42, 2024] {
            let manual = MLP<S>(inputs: inputs, hidden: hidden, classes: classes, seed: seed)
            var rng = SplitMix64(seed: seed)
            let autograd = nn.MLP<S>(inputs: inputs, hidden: hidden, classes: classes, using: &rng)
            expectEqual(manual.namedParameters(), autograd.parameterArrays, "\(S.self), hidden \(hidden), seed \(seed)")
        }
    }

    @Test(arguments: [[], [128], [128, 64], [300, 100, 50]])
    func sameSeedGivesIdenticalInitialWeights(hidden: [Int]) {
        sameInitialWeights(Float.self, hidden: hidden, inputs: 784, classes: 10)
        sameInitialWeights(Double.self, hidden: hidden, inputs: 784, classes: 10)
    }
}
