import ArrayAssertions
import Testing
import ArrayKit
@testable import AutoGrad

final class WeakBox {
    weak var object: AnyObject?
    init(_ object: AnyObject) { self.object = object }
}

@Suite struct EngineTests {
    @Test func gradientsAccumulateUntilZeroGrad() {
        let w = Tensor<Double>([1, -2, 3], shape: [3], requiresGrad: true)
        (w * w).sum().backward()
        expectEqual(w.grad, NDArray([2, -4, 6]))
        (w * w).sum().backward()
        expectEqual(w.grad, NDArray([4, -8, 12]))
        w.zeroGrad()
        #expect(w.grad == nil)
        (w * 3).sum().backward()
        expectEqual(w.grad, NDArray([3, 3, 3]))
    }

    /// zeroGrad() keeps the gradients' storage and the next backward pass writes `linear`'s
    /// dW and db into it: the results are those of fresh arrays even when the old storage
    /// holds NaN, and a gradient the caller kept is not changed by the reuse.
    @Test func reusedGradientStorageGivesFreshResults() {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(NDArray<Float>.randomNormal([6, 4], using: &rng))
        let w = Tensor(NDArray<Float>.randomNormal([3, 4], using: &rng), requiresGrad: true)
        let b = Tensor(NDArray<Float>.randomNormal([3], using: &rng), requiresGrad: true)
        func gradients() -> (NDArray<Float>, NDArray<Float>) {
            let w2 = Tensor(w.data, requiresGrad: true), b2 = Tensor(b.data, requiresGrad: true)
            (linear(x, weight: w2, bias: b2) * linear(x, weight: w2, bias: b2)).sum().backward()
            return (w2.grad!, b2.grad!)
        }
        let (expectedW, expectedB) = gradients()
        w.grad = .full([3, 4], .nan)
        b.grad = .full([3], .nan)
        w.zeroGrad()
        b.zeroGrad()
        #expect(w.grad == nil)
        #expect(b.grad == nil)
        (linear(x, weight: w, bias: b) * linear(x, weight: w, bias: b)).sum().backward()
        expectEqual(w.grad, expectedW)
        expectEqual(b.grad, expectedB)

        let kept = w.grad!
        w.zeroGrad()
        (linear(x * 2, weight: w, bias: b)).sum().backward()
        expectEqual(kept, expectedW)
        #expect(w.grad != kept)
    }

    /// `matmul`'s pullback writes a leaf's gradient into the storage zeroGrad() kept, for
    /// every transposition: the same values as fresh arrays, in the same memory.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulReusesGradientStorage(transposeA: Bool, transposeB: Bool) {
        var rng = SplitMix64(seed: 5)
        let a = Tensor(NDArray<Float>.randomNormal(transposeA ? [4, 3] : [3, 4], using: &rng), requiresGrad: true)
        let b = Tensor(NDArray<Float>.randomNormal(transposeB ? [5, 4] : [4, 5], using: &rng), requiresGrad: true)
        func loss(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Tensor<Float> {
            let c = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
            return (c * c).sum()
        }
        let freshA = Tensor(a.data, requiresGrad: true), freshB = Tensor(b.data, requiresGrad: true)
        loss(freshA, freshB).backward()
        a.grad = .full(a.shape, .nan)
        b.grad = .full(b.shape, .nan)
        let address = { (t: Tensor<Float>) in t.grad!.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) } }
        let (oldA, oldB) = (address(a), address(b))
        a.zeroGrad()
        b.zeroGrad()
        loss(a, b).backward()
        expectEqual(a.grad, freshA.grad!)
        expectEqual(b.grad, freshB.grad!)
        #expect(address(a) == oldA)
        #expect(address(b) == oldB)
    }

    @Test func sharedSubexpressionsSumTheirGradients() {
        // y = a² + a with a = eˣ: dy/dx = (2a + 1)·a; a is read by two ops.
        let x = Tensor<Double>([0.5, -1], shape: [2], requiresGrad: true)
        let a = x.exp()
        (a * a + a).sum().backward()
        let expected = a.data.map { (2 * $0 + 1) * $0 }
        #expect(x.grad!.isClose(to: expected, rtol: 1e-14))
    }

    @Test func onlyTensorsThatRequireGradReceiveOne() {
        let x = Tensor<Double>([1, 2], shape: [2])
        let w = Tensor<Double>([3, 4], shape: [2], requiresGrad: true)
        let y = (x * w).sum()
        #expect(y.requiresGrad)
        #expect(!y.isLeaf)
        #expect(y.node?.name == "sum")
        y.backward()
        #expect(x.grad == nil)
        expectEqual(w.grad, NDArray([1, 2]))
        #expect(!(x * 2).requiresGrad)
        #expect((x * 2).isLeaf)
    }

    @Test func seededBackwardOfANonScalar() {
        let x = Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
        (x * x).backward(seed: NDArray([1, 0, -1]))
        expectEqual(x.grad, NDArray([2, 0, -6]))
    }

    @Test func retainGraphAllowsASecondBackward() {
        let x = Tensor<Double>([2], shape: [1], requiresGrad: true)
        let y = (x * x * x).sum()
        y.backward(retainGraph: true)
        #expect(y.node?.isReleased == false)
        y.backward()
        expectEqual(x.grad, NDArray([24]))
        #expect(y.node?.isReleased == true)
        #expect(y.node?.parents.isEmpty == true)
    }

    @Test func aSecondBackwardThroughAFreedGraphStops() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor<Double>([2], shape: [1], requiresGrad: true)
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
    }

    @Test func aNonScalarNeedsASeed() async {
        await #expect(processExitsWith: .failure) {
            let x = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
            (x * 2).backward()
        }
    }

    @Test func detachedCutsTheGraph() {
        let x = Tensor<Double>([3], shape: [1], requiresGrad: true)
        let y = x * x
        (y.detached() * x).sum().backward()   // d(c·x)/dx with c = x² held constant
        expectEqual(x.grad, NDArray([9]))
    }

    @Test func noGradRecordsNothing() {
        let w = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
        let y = withNoGrad { (w * w).exp().sum() }
        #expect(!y.requiresGrad)
        #expect(y.node == nil)
        #expect(GradMode.isEnabled)
        let z = (w * w).sum()
        #expect(z.requiresGrad)
        #expect(z.node != nil)
    }

    @Test func noGradIsPerTask() async {
        let w = Tensor<Double>([1], shape: [1], requiresGrad: true)
        let insideChild = await withNoGrad { await Task { GradMode.isEnabled }.value }
        #expect(!insideChild)
        // A task that is not inside withNoGrad keeps recording while another one is.
        async let quiet: Bool = withNoGrad { () async -> Bool in
            try? await Task.sleep(nanoseconds: 1_000_000)
            return GradMode.isEnabled
        }
        async let loud: Bool = { () async -> Bool in
            try? await Task.sleep(nanoseconds: 500_000)
            return GradMode.isEnabled
        }()
        let (q, l) = await (quiet, loud)
        #expect(!q)
        #expect(l)
        #expect((w * 2).node != nil)
    }

    /// One training step of a small model; returns the loss and weak references to every
    /// intermediate tensor and node of its graph.
    func trainingStep(_ model: nn.MLP<Double>, x: Tensor<Double>, labels: [Int]) -> (Tensor<Double>, [WeakBox]) {
        var boxes: [WeakBox] = []
        var h = x
        for layer in model.layers {
            h = layer(h)
            boxes.append(WeakBox(h))
            if let node = h.node { boxes.append(WeakBox(node)) }
        }
        return (crossEntropy(logits: h, labels: labels), boxes)
    }

    @Test func oneTrainingStepsGraphIsFreedByBackward() {
        var rng = SplitMix64(seed: 3)
        let model = nn.MLP<Double>(inputs: 6, hidden: [8, 5], classes: 3, batchNorm: true, using: &rng)
        let x = Tensor(sample([4, 6], seed: 4))
        let (loss, boxes) = trainingStep(model, x: x, labels: [0, 1, 2, 1])
        #expect(boxes.count >= 14, "the graph is alive before backward")
        #expect(boxes.allSatisfy { $0.object != nil }, "the graph is alive before backward")
        loss.backward()
        #expect(boxes.allSatisfy { $0.object == nil }, "backward() left part of the graph alive")
        #expect(model.parameters().allSatisfy { $0.grad != nil })
        #expect(loss.node?.isReleased == true)
    }

    @Test func aGraphDroppedWithoutBackwardIsFreed() {
        var rng = SplitMix64(seed: 3)
        let model = nn.MLP<Double>(inputs: 6, hidden: [8], classes: 3, using: &rng)
        let x = Tensor(sample([4, 6], seed: 4))
        var boxes: [WeakBox] = []
        do {
            let (loss, inner) = trainingStep(model, x: x, labels: [0, 1, 2, 1])
            boxes = inner + [WeakBox(loss), WeakBox(loss.node!)]
            #expect(boxes.allSatisfy { $0.object != nil })
        }
        #expect(boxes.allSatisfy { $0.object == nil }, "a reference cycle keeps the graph alive")
    }

    @Test func aHundredThousandOpChainBackpropagates() {
        let x = Tensor<Double>([1], shape: [1], requiresGrad: true)
        var y = x
        let factor = 1.00001
        for _ in 0..<100_000 { y = y * factor }
        y.sum().backward()
        var expected = 1.0
        for _ in 0..<100_000 { expected *= factor }
        #expect(Swift.abs(x.grad!.scalar - expected) <= 1e-9 * expected)
    }

    @Test func aHundredThousandOpChainIsFreedWithoutBackward() {
        let x = Tensor<Double>([1], shape: [1], requiresGrad: true)
        var y = x
        for _ in 0..<100_000 { y = y + 1 }
        let last = WeakBox(y)
        y = x    // drops the chain: its deinit must not recurse 100,000 deep
        #expect(last.object == nil)
    }
}
