import ArrayAssertions
import ArrayKit
import AutoGrad
import Foundation
import Testing

/// State dicts across the backends and PyTorch: a model saved by either backend loads into
/// the other, PyTorch's own `save_file` output loads into both (batch norm included, with
/// its int64 `num_batches_tracked`), and a file written here has exactly the entries
/// PyTorch writes for the same model.
@Suite struct StateDictInteropTests {
    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("crosscheck-\(UUID().uuidString)-\(name)")
    }

    static func batch(_ rows: Int = 6, seed: UInt64 = 3) -> NDArray<Float> {
        var rng = SplitMix64(seed: seed)
        return .randomUniform([rows, 784], low: 0, high: 1, using: &rng)
    }

    static func logits(_ model: nn.Module<Float>, _ x: NDArray<Float>) -> NDArray<Float> {
        model.eval()
        return withNoGrad { model(Tensor(x)) }.data
    }

    @Test func aModelSavedByEitherBackendLoadsIntoTheOther() throws {
        let x = Self.batch()
        // ArrayKit → file → AutoGrad.
        let manual = MLP<Float>(inputs: 784, hidden: [32, 16], classes: 10, activation: .elu(alpha: 1), seed: 5)
        let url = Self.temporaryURL("arraykit.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(manual.namedParameters().map { (name: $0.0, array: $0.1) }, to: url, metadata: ["format": "pt"])
        var rng = SplitMix64(seed: 9)
        let autograd = nn.MLP<Float>(inputs: 784, hidden: [32, 16], classes: 10, activation: .elu(alpha: 1), using: &rng)
        #expect(relativeDifference(Self.logits(autograd, x), manual.forward(x)) > 1e-2, "different seeds must differ first")
        #expect(try autograd.load(contentsOf: url).isExactMatch)
        let forward = relativeDifference(Self.logits(autograd, x), manual.forward(x))
        #expect(forward <= 1e-6)

        // AutoGrad → file → ArrayKit.
        var rng2 = SplitMix64(seed: 11)
        let source = nn.MLP<Float>(inputs: 784, hidden: [32], classes: 10, using: &rng2)
        let url2 = Self.temporaryURL("autograd.safetensors")
        defer { try? FileManager.default.removeItem(at: url2) }
        try source.save(to: url2)
        let target = MLP<Float>(inputs: 784, hidden: [32], classes: 10, seed: 12)
        #expect(relativeDifference(target.forward(x), Self.logits(source, x)) > 1e-2)
        let file = try Safetensors.read(contentsOf: url2)
        #expect(file.metadata["format"] == "pt")
        #expect(file.hasChecksums)
        try target.load(namedParameters: file.orderedArrays(as: Float.self).map { ($0.name, $0.array) })
        let backward = relativeDifference(target.forward(x), Self.logits(source, x))
        #expect(backward <= 1e-6)
        report("logits after a safetensors hand-over between the backends (Float)", max(forward, backward))
    }

    @Test func aPyTorchFileLoadsIntoBothBackendsAndGivesPyTorchsLogits() throws {
        let url = try Fixture.url("torch_mlp.safetensors")
        let io = try Fixture.read("torch_mlp.io.safetensors")
        let c = try io.mlpConfiguration()
        let x: NDArray<Float> = try io.array(named: "x"), expected: NDArray<Float> = try io.array(named: "logits")

        let manual = MLP<Float>(inputs: c.inputs, hidden: c.hidden, classes: c.classes, activation: c.activation, seed: 1)
        let report1 = try manual.load(namedParameters: Safetensors.read(contentsOf: url).orderedArrays(as: Float.self)
            .map { ($0.name, $0.array) })
        #expect(report1.isExactMatch)
        var rng = SplitMix64(seed: 1)
        let autograd = nn.MLP<Float>(inputs: c.inputs, hidden: c.hidden, classes: c.classes,
                                           activation: c.activation, using: &rng)
        #expect(try autograd.load(contentsOf: url, strict: true).isExactMatch)
        let worst = expectClose([(name: "ArrayKit logits", value: manual.forward(x), reference: expected),
                                 (name: "AutoGrad logits", value: Self.logits(autograd, x), reference: expected)],
                                within: 1e-5, "PyTorch-saved MLP")
        report("logits of a PyTorch-saved MLP loaded into both backends (Float)", worst)
    }

    @Test func aPyTorchBatchNormStateDictLoadsStrictlyIntoAutoGrad() throws {
        let url = try Fixture.url("torch_mlp_bn.safetensors")
        let file = try Safetensors.read(contentsOf: url)
        let counter = try #require(file.entries.first { $0.name == "1.num_batches_tracked" })
        #expect(counter.dtype == .i64, "PyTorch stores the counter as a scalar int64")
        #expect(counter.shape == [], "PyTorch stores the counter as a scalar int64")
        let io = try Fixture.read("torch_mlp_bn.io.safetensors")
        let c = try io.mlpConfiguration()
        let x: NDArray<Float> = try io.array(named: "x"), expected: NDArray<Float> = try io.array(named: "logits")
        func model() -> nn.MLP<Float> {
            var rng = SplitMix64(seed: 4)
            return nn.MLP<Float>(inputs: c.inputs, hidden: c.hidden, classes: c.classes, batchNorm: true, using: &rng)
        }
        let fromFile = model()
        #expect(try fromFile.load(contentsOf: url, strict: true).isExactMatch)
        let norm = try #require(fromFile.layers[1] as? nn.BatchNorm1d<Float>)
        #expect(norm.numBatchesTracked == 3)
        let worst = expectClose([(name: "logits", value: Self.logits(fromFile, x), reference: expected)],
                                within: 1e-5, "PyTorch-saved MLP with BatchNorm1d")
        report("eval logits of a PyTorch-saved MLP with BatchNorm1d in AutoGrad (Float)", worst)

        // The same state dict handed over as arrays (the counter as a scalar, as a
        // Classifier passes it) loads strictly too; without the counter as well, as PyTorch.
        var arrays: [(String, NDArray<Float>)] = try file.names.filter { $0 != counter.name }.map { ($0, try file.array(named: $0)) }
        let noCounter = model()
        #expect(try noCounter.load(stateDict: arrays, strict: true).isExactMatch)
        #expect((noCounter.layers[1] as? nn.BatchNorm1d<Float>)?.numBatchesTracked == 0)
        arrays.append((counter.name, NDArray(scalar: 3)))
        let withCounter = model()
        try withCounter.load(stateDict: arrays, strict: true)
        #expect((withCounter.layers[1] as? nn.BatchNorm1d<Float>)?.numBatchesTracked == 3)
        expectEqual(Self.logits(withCounter, x), Self.logits(fromFile, x), "the file and the arrays must give the same model")

        // A counter the model has no batch norm for is an unexpected key, as in PyTorch.
        arrays.append(("3.num_batches_tracked", NDArray(scalar: 1)))
        #expect(throws: StateDictError.self) { try model().load(stateDict: arrays, strict: true) }
    }

    @Test func aBatchNormModelWrittenHereHasExactlyPyTorchsEntries() throws {
        var rng = SplitMix64(seed: 8)
        let model = nn.MLP<Float>(inputs: 784, hidden: [32], classes: 10, batchNorm: true, using: &rng)
        let optimizer = SGD(model.parameters(), learningRate: 0.1)
        for step in 0..<2 {
            _ = model.pass(Self.batch(16, seed: UInt64(step)), labels: (0..<16).map { $0 % 10 })
            optimizer.step()
        }
        let url = Self.temporaryURL("bn.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let ours = try Safetensors.read(contentsOf: url), theirs = try Fixture.read("torch_mlp_bn.safetensors")
        func layout(_ file: SafetensorsFile) -> [String: String] {
            Dictionary(uniqueKeysWithValues: file.entries.map { ($0.name, "\($0.dtype.rawValue) \($0.shape)") })
        }
        #expect(layout(ours) == layout(theirs), "a strict torch load needs exactly these names, dtypes and shapes")
        #expect(try ours.integers(named: "1.num_batches_tracked").values == [2])

        // And it comes back whole: running statistics, counter, eval logits.
        var other = SplitMix64(seed: 99)
        let copy = nn.MLP<Float>(inputs: 784, hidden: [32], classes: 10, batchNorm: true, using: &other)
        try copy.load(contentsOf: url)
        #expect((copy.layers[1] as? nn.BatchNorm1d<Float>)?.numBatchesTracked == 2)
        expectEqual(Self.logits(copy, Self.batch()), Self.logits(model, Self.batch()),
                    "a reloaded model must give the saved model's logits")
    }

    @Test func arrayKitReportsEveryMismatchThroughTheSharedCheck() throws {
        let file = try Fixture.read("torch_mlp.safetensors")      // 784 → 32 → 16 → 10
        let arrays = try file.orderedArrays(as: Float.self).map { ($0.name, $0.array) }
        let model = MLP<Float>(inputs: 784, hidden: [32, 8], classes: 10, seed: 2)
        let before = model.namedParameters()
        #expect {
            try model.load(namedParameters: arrays)
        } throws: { error in
            guard let error = error as? StateDictError else { return false }
            return error.report.wrongShapes.map(\.name) == ["2.weight", "2.bias", "4.weight"]
                && error.report.wrongShapes[0].loaded == [16, 32] && error.report.wrongShapes[0].expected == [8, 32]
                && "\(error)".contains("size mismatch for 4.weight")
        }
        expectEqual(model.namedParameters(), before, "a failed load must change nothing")

        // Non-strict: a missing key is reported, the rest copied, as load_state_dict(strict=False).
        let small = MLP<Float>(inputs: 784, hidden: [32, 16], classes: 10, seed: 2)
        let partial = try small.load(namedParameters: arrays.filter { $0.0 != "4.bias" } + [("9.weight", .zeros([1]))],
                                     strict: false)
        #expect(partial.missing == ["4.bias"])
        #expect(partial.unexpected == ["9.weight"])
        expectEqual(small.namedParameters()[0].1, try file.array(named: "0.weight", as: Float.self))
        #expect(throws: StateDictError.self) { try small.load(namedParameters: arrays.filter { $0.0 != "4.bias" }) }
    }
}
