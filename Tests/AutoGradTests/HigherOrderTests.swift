import ArrayAssertions
import Testing
import ArrayKit
@testable import AutoGrad

/// Hessian-vector products against central differences of gradients, in `Double`.
enum SecondOrderCheck {
    static let step = 1e-5
    /// Below this size a product is compared absolutely (rounding noise of the differences).
    static let floor = 1e-3

    /// The largest relative error of H v — by ``HessianVectorProducts`` — against
    /// `(∇f(x + h v) − ∇f(x − h v)) / 2h`, the gradients by plain `backward()`, for the
    /// objective f = Σ output ∘ R with a fixed random R and a random direction v over every leaf.
    static func maxError(of leaves: [Tensor<Double>], seed: UInt64 = 99, _ f: () -> Tensor<Double>) -> Double {
        let output = f()
        var rng = SplitMix64(seed: seed)
        let weights = NDArray<Double>.randomNormal(output.shape, using: &rng)
        let direction = leaves.map { NDArray<Double>.randomNormal($0.shape, using: &rng) }
        let objective = (output * Tensor(weights)).sum()
        let analytic = HessianVectorProducts(of: objective, withRespectTo: leaves)(direction)

        let original = leaves.map(\.data)
        func gradient(at offset: Double) -> [NDArray<Double>] {
            for (leaf, (x, v)) in zip(leaves, zip(original, direction)) {
                leaf.data = x + v * offset
                leaf.zeroGrad()
            }
            f().backward(seed: weights)
            return leaves.map { $0.grad ?? .zeros($0.shape) }
        }
        let (plus, minus) = (gradient(at: step), gradient(at: -step))
        for (leaf, x) in zip(leaves, original) {
            leaf.data = x
            leaf.zeroGrad()
        }
        var worst = 0.0
        for ((a, p), m) in zip(zip(analytic, plus), minus) {
            #expect(a.shape == p.shape, "H v of shape \(a.shape) for a gradient of shape \(p.shape)")
            for (value, (up, down)) in zip(a.scalars, zip(p.scalars, m.scalars)) {
                let numeric = (up - down) / (2 * step)
                worst = Swift.max(worst, Swift.abs(value - numeric) / Swift.max(Swift.abs(value), Swift.abs(numeric), floor))
            }
        }
        return worst
    }
}

/// The modules whose forward is not one op: batch norm with running statistics (eval) and
/// dropout, whose mask generator is reset on every call so each evaluation sees one mask.
let moduleCases: [OpCase] = [
    OpCase("BatchNorm1d eval", [[6, 4]]) { inputs in
        let norm = nn.BatchNorm1d<Double>(4)
        norm.runningMean.data = NDArray([0.3, -0.2, 0.1, 0.5])
        norm.runningVar.data = NDArray([0.7, 1.4, 0.2, 2.0])
        norm.weight!.data = NDArray([1.5, -0.5, 0.8, 1.1])
        norm.bias!.data = NDArray([0.1, 0.2, -0.3, 0.4])
        norm.eval()
        return norm(inputs[0]).tanh()
    },
    OpCase("BatchNorm1d train", [[6, 4], [4], [4]]) { inputs in
        // Squared so that the second derivative in x does not vanish by symmetry.
        let y = batchNorm(inputs[0], weight: inputs[1], bias: inputs[2], epsilon: 1e-5).output
        return y * y
    },
    OpCase("Dropout train", [[5, 6]]) { inputs in
        let dropout = nn.Dropout<Double>(p: 0.3, generator: SplitMix64(seed: 11))
        return dropout(inputs[0]).tanh() * inputs[0]
    },
    OpCase("placed and picked", [[3, 4]]) { inputs in
        let x = inputs[0]
        let picked = (x * x).picked(at: [2, 0, 3], along: 1)
        return picked.placed(at: [1, 1, 0], along: 0, in: [2, 3]).exp()
    },
    OpCase("scatterAddingRows", [[3, 2]]) { inputs in
        (inputs[0] * inputs[0]).scatterAddingRows(at: [2, 0, 2], rowCount: 4)
    },
    OpCase("reduced(toShape:)", [[3, 4]]) { inputs in
        inputs[0].exp().reduced(toShape: [1, 4]) * inputs[0]
    },
]

@Suite struct HigherOrderTests {
    func checkSecondOrder(_ op: OpCase) {
        let leaves = GradientCheck.leaves(op.inputs())
        let error = SecondOrderCheck.maxError(of: leaves) { op.f(leaves) }
        #expect(error <= 1e-6, "\(op.name): H v differs from central differences of gradients by \(error)")
    }

    @Test(arguments: arithmeticCases) func arithmetic(_ op: OpCase) { checkSecondOrder(op) }
    @Test(arguments: matrixCases) func matrix(_ op: OpCase) { checkSecondOrder(op) }
    @Test(arguments: functionCases) func function(_ op: OpCase) { checkSecondOrder(op) }
    @Test(arguments: reductionCases) func reduction(_ op: OpCase) { checkSecondOrder(op) }
    @Test(arguments: shapeCases) func shapeAndLoss(_ op: OpCase) { checkSecondOrder(op) }
    @Test(arguments: moduleCases) func module(_ op: OpCase) { checkSecondOrder(op) }

    @Test(arguments: [("ReLU, batch norm", ArrayKit.Activation.relu, true, 0.0),
                      ("ELU, dropout", ArrayKit.Activation.elu(alpha: 0.7), false, 0.25)])
    func mlpLoss(_ name: String, _ activation: ArrayKit.Activation, _ batchNorm: Bool, _ dropout: Double) {
        var rng = SplitMix64(seed: 5)
        let model = nn.MLP<Double>(inputs: 6, hidden: [7, 5], classes: 4, batchNorm: batchNorm,
                                activation: activation, dropout: dropout, using: &rng)
        let x = Tensor(sample([8, 6], seed: 6))
        let labels = [0, 3, 1, 2, 2, 0, 1, 3]
        let dropouts = model.layers.compactMap { $0 as? nn.Dropout<Double> }
        let error = SecondOrderCheck.maxError(of: model.parameters()) {
            for (index, layer) in dropouts.enumerated() { layer.generator = SplitMix64(seed: UInt64(20 + index)) }
            return crossEntropy(logits: model(x), labels: labels)
        }
        #expect(error <= 1e-6, "\(name): H v of the MLP loss differs from central differences by \(error)")
        model.eval()
        let evalError = SecondOrderCheck.maxError(of: model.parameters()) {
            crossEntropy(logits: model(x), labels: labels)
        }
        #expect(evalError <= 1e-6, "\(name), eval mode: H v differs from central differences by \(evalError)")
    }

    @Test func theExampleOfDocsAutoGradGivesItsComments() {
        let x = Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let y = (x * x * x).sum()
        let dy = grad(of: y, withRespectTo: [x], createGraph: true)[0]
        expectEqual(dy.data, NDArray([3, 12, 27]))
        let d2y = grad(of: dy.sum(), withRespectTo: [x])[0]
        expectEqual(d2y.data, NDArray([6, 12, 18]))
    }

    @Test func gradientsOfGradientsToThirdOrder() {
        // f = Σ x⁴: f′ = 4x³, f″ = 12x², f‴ = 24x.
        let x = Tensor<Double>([1, -2, 0.5], shape: [3], requiresGrad: true)
        let first = grad(of: (x * x * x * x).sum(), withRespectTo: [x], createGraph: true)[0]
        expectEqual(first.data, NDArray([4, -32, 0.5]))
        let second = grad(of: first.sum(), withRespectTo: [x], createGraph: true)[0]
        expectEqual(second.data, NDArray([12, 48, 3]))
        let third = grad(of: second.sum(), withRespectTo: [x])[0]
        expectEqual(third.data, NDArray([24, -48, 12]))
        // The same through pow, negative base included.
        let p = Tensor<Double>([1, -2, 0.5], shape: [3], requiresGrad: true)
        let p1 = grad(of: p.pow(4).sum(), withRespectTo: [p], createGraph: true)[0]
        let p2 = grad(of: p1.sum(), withRespectTo: [p], createGraph: true)[0]
        let p3 = grad(of: p2.sum(), withRespectTo: [p])[0]
        #expect(p3.data.isClose(to: NDArray([24, -48, 12]), rtol: 1e-13))
        // tanh‴ = −2 (1 − y²)(1 − 3y²) with y = tanh x.
        let t = Tensor<Double>([0.3, -1.2], shape: [2], requiresGrad: true)
        let d1 = grad(of: t.tanh().sum(), withRespectTo: [t], createGraph: true)[0]
        let d2 = grad(of: d1.sum(), withRespectTo: [t], createGraph: true)[0]
        let d3 = grad(of: d2.sum(), withRespectTo: [t])[0]
        let expected = t.data.tanh().map { y in -2 * (1 - y * y) * (1 - 3 * y * y) }
        #expect(d3.data.isClose(to: expected, rtol: 1e-13))
    }

    @Test func gradLeavesGradUntouchedAndMatchesBackward() {
        let w = Tensor(sample([3, 4], seed: 2), requiresGrad: true)
        let b = Tensor(sample([4], seed: 3), requiresGrad: true)
        let x = Tensor(sample([5, 3], seed: 4))
        func loss() -> Tensor<Double> { crossEntropy(logits: (matmul(x, w) + b).tanh(), labels: [0, 1, 2, 3, 0]) }
        let plain = grad(of: loss(), withRespectTo: [w, b])
        let recorded = grad(of: loss(), withRespectTo: [w, b], createGraph: true)
        #expect(w.grad == nil, "grad(of:) must not accumulate into .grad")
        #expect(b.grad == nil, "grad(of:) must not accumulate into .grad")
        #expect(plain.allSatisfy { $0.isLeaf })
        #expect(recorded.allSatisfy { !$0.isLeaf })
        loss().backward()
        for (p, (g, r)) in zip([w, b], zip(plain, recorded)) {
            expectEqual(g.data, p.grad!)
            #expect(r.data.isClose(to: p.grad!, rtol: 1e-13))
        }
    }

    @Test func gradWithRespectToAnIntermediateAndAnUnusedInput() {
        let x = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let unused = Tensor<Double>([5], shape: [1], requiresGrad: true)
        let h = x * x
        let y = (h * 3).sum()
        let (gh, gx, gu) = { (g: [Tensor<Double>]) in (g[0], g[1], g[2]) }(grad(of: y, withRespectTo: [h, x, unused]))
        expectEqual(gh.data, NDArray([3, 3]))
        expectEqual(gx.data, NDArray([6, 12]))
        expectEqual(gu.data, NDArray([0]))
    }

    @Test func aSeedThatRequiresAGradientIsDifferentiatedToo() {
        // ∂/∂w ⟨∇_x ⟨x², w⟩, v⟩ = ∂/∂w Σ 2x w v = 2 x v.
        let x = Tensor<Double>([1, -3], shape: [2], requiresGrad: true)
        let w = Tensor<Double>([0.5, 2], shape: [2], requiresGrad: true)
        let g = grad(of: x * x, withRespectTo: [x], seed: w, createGraph: true)[0]
        expectEqual(g.data, NDArray([1, -12]))
        let v = Tensor<Double>([4, 1], shape: [2])
        let (gx, gw) = { ($0[0], $0[1]) }(grad(of: (g * v).sum(), withRespectTo: [x, w]))
        expectEqual(gx.data, NDArray([4, 4]))      // 2 w v
        expectEqual(gw.data, NDArray([8, -6]))     // 2 x v
    }

    @Test func backwardWithCreateGraphRecordsTheLeafGradients() throws {
        // The example of backward(seed:retainGraph:createGraph:): a gradient penalty.
        let w = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        (w * w * w).sum().backward(createGraph: true)
        expectEqual(w.grad, NDArray([3, 12]))
        let recorded = try #require(w.differentiableGrad)
        expectEqual(recorded.data, NDArray([3, 12]))
        let penalty = recorded.pow(2).sum()
        w.zeroGrad()
        #expect(w.differentiableGrad == nil)
        penalty.backward()
        expectEqual(w.grad, NDArray([36, 288]))
        #expect(w.differentiableGrad == nil, "a plain backward() records nothing")
    }

    @Test func recordedGradientsAccumulateLikePlainOnes() {
        let w = Tensor<Double>([2], shape: [1], requiresGrad: true)
        (w * w).sum().backward(createGraph: true)           // 2w = 4
        (w * w * w).sum().backward(createGraph: true)       // + 3w² = 12
        expectEqual(w.grad, NDArray([16]))
        let second = grad(of: w.differentiableGrad!.sum(), withRespectTo: [w])[0]
        expectEqual(second.data, NDArray([14]))             // 2 + 6w
        (w * 5).sum().backward()                            // a plain pass adds 5 and drops the record
        expectEqual(w.grad, NDArray([21]))
        #expect(w.differentiableGrad == nil)
        w.zeroGrad()
    }

    @Test func aHessianVectorProductFreesItsGraphWhenDropped() {
        var rng = SplitMix64(seed: 3)
        let model = nn.MLP<Double>(inputs: 6, hidden: [8], classes: 3, batchNorm: true, using: &rng)
        var boxes: [WeakBox] = []
        do {
            let logits = model(Tensor(sample([4, 6], seed: 4)))
            let loss = crossEntropy(logits: logits, labels: [0, 1, 2, 1])
            boxes = [WeakBox(logits), WeakBox(logits.node!), WeakBox(loss)]
            let products = HessianVectorProducts(of: loss, withRespectTo: model.parameters())
            let once = products(model.parameters().map { .ones($0.shape) })
            let twice = products(model.parameters().map { .ones($0.shape) })
            for (a, b) in zip(once, twice) { expectEqual(a, b) }
            boxes += products.gradient.map(WeakBox.init)
        }
        #expect(boxes.allSatisfy { $0.object == nil }, "a recorded gradient keeps its graph alive in a cycle")
        #expect(model.parameters().allSatisfy { $0.grad == nil })
    }

    @Test func aLinearFunctionHasAZeroHessian() {
        let x = Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        let products = HessianVectorProducts(of: (x * 2).sum(), withRespectTo: [x])
        expectEqual(products([NDArray([1, 1, 1])])[0], NDArray([0, 0, 0]))
    }

    @Test func anOpWithoutADifferentiablePullbackStopsARecordedPass() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
            let y = Tensor.result(of: "triple", data: x.data * 3, inputs: [x]) { g in [g * 3] }
            _ = grad(of: y.sum(), withRespectTo: [x], createGraph: true)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("the op \"triple\" has no differentiable pullback"), "stderr: \(text)")
    }

    @Test func anOpWithoutADifferentiablePullbackStillDifferentiatesOnce() {
        let x = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let y = Tensor.result(of: "triple", data: x.data * 3, inputs: [x]) { g in [g * 3] }
        #expect(y.node?.hasDifferentiablePullback == false)
        #expect((x * 3).node?.hasDifferentiablePullback == true)
        expectEqual(grad(of: y.sum(), withRespectTo: [x])[0].data, NDArray([3, 3]))
    }

    @Test func aRecordedPassThroughAFreedGraphStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
            // exp's recorded rule reads its input x², whose node the first pass freed.
            let g = grad(of: (x * x).exp().sum(), withRespectTo: [x], createGraph: true, retainGraph: false)[0]
            _ = grad(of: g.sum(), withRespectTo: [x])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("was freed by an earlier backward pass"), "stderr: \(text)")
    }
}
