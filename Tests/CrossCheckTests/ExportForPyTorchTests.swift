import ArrayKit
import AutoGrad
import Foundation
import ReferencePython
import Testing

/// Models written here, in the files PyTorch users read: each backend's model with a batch
/// and its logits (`NAME.safetensors` + `NAME.io.safetensors`, whose metadata describes the
/// architecture). NumPy recomputes the logits from the files in every run; to check them
/// in PyTorch itself, by hand:
///
///     BACKPROP_EXPORT_DIR=/tmp/export swift test --filter ExportForPyTorch
///     python3 scripts/make_reference_fixtures.py check-export /tmp/export
@Suite struct ExportForPyTorchTests {
    struct Export {
        let name: String
        let architecture: [String: String]
        let state: (URL) throws -> Void
        let logits: (NDArray<Float>) -> NDArray<Float>
    }

    /// Fresh models each call (they hold mutable state, so no shared static).
    static func makeExports() -> [Export] {
        // 784 → 128 → 10, the model of Docs/Interop.md's snippet, saved as model.safetensors.
        let manual = MLP<Float>(inputs: 784, hidden: [128], classes: 10, seed: 1)
        var rng = SplitMix64(seed: 2)
        let elu = nn.MLP<Float>(inputs: 784, hidden: [64, 32], classes: 10, activation: .elu(alpha: 0.5), using: &rng)
        let normed = nn.MLP<Float>(inputs: 784, hidden: [32], classes: 10, batchNorm: true, using: &rng)
        let optimizer = SGD(normed.parameters(), learningRate: 0.1)
        for step in 0..<2 {  // moves the running statistics and counter off their defaults
            _ = normed.pass(StateDictInteropTests.batch(16, seed: 40 + UInt64(step)), labels: (0..<16).map { $0 % 10 })
            optimizer.step()
        }
        func autogradLogits(_ model: nn.Module<Float>) -> (NDArray<Float>) -> NDArray<Float> {
            { x in model.eval(); return withNoGrad { model(Tensor(x)) }.data }
        }
        return [
            Export(name: "model", architecture: ["inputs": "784", "hidden": "128", "classes": "10", "activation": "relu"],
                   state: { try Safetensors.write(manual.namedParameters().map { (name: $0.0, array: $0.1) }, to: $0,
                                                  metadata: ["format": "pt"]) },
                   logits: { manual.forward($0) }),
            Export(name: "autograd_elu",
                   architecture: ["inputs": "784", "hidden": "64,32", "classes": "10", "activation": "elu", "alpha": "0.5"],
                   state: { try elu.save(to: $0) }, logits: autogradLogits(elu)),
            Export(name: "autograd_bn",
                   architecture: ["inputs": "784", "hidden": "32", "classes": "10", "activation": "relu", "batch_norm": "true"],
                   state: { try normed.save(to: $0) }, logits: autogradLogits(normed)),
        ]
    }

    /// Writes every export into `directory`.
    @discardableResult
    static func write(to directory: URL) throws -> [Export] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let x = StateDictInteropTests.batch(5, seed: 77)
        let exports = makeExports()
        for export in exports {
            try export.state(directory.appendingPathComponent("\(export.name).safetensors"))
            try Safetensors.write([(name: "x", array: x), (name: "logits", array: export.logits(x))],
                                  to: directory.appendingPathComponent("\(export.name).io.safetensors"),
                                  metadata: export.architecture)
        }
        return exports
    }

    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["BACKPROP_EXPORT_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.temporaryDirectory.appendingPathComponent("crosscheck-export-\(UUID().uuidString)")
    }()

    @Test func exportedFilesReloadIntoTheOtherBackend() throws {
        // Its own folder: the NumPy test below removes the shared one when it is done.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crosscheck-reload-\(UUID().uuidString)")
        try Self.write(to: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let io = try Safetensors.read(contentsOf: directory.appendingPathComponent("model.io.safetensors"))
        var rng = SplitMix64(seed: 5)
        let autograd = nn.MLP<Float>(inputs: 784, hidden: [128], classes: 10, using: &rng)
        try autograd.load(contentsOf: directory.appendingPathComponent("model.safetensors"))
        autograd.eval()
        let x: NDArray<Float> = try io.array(named: "x")
        expectClose([(name: "logits", value: withNoGrad { autograd(Tensor(x)) }.data, reference: try io.array(named: "logits"))],
                    within: 1e-6, "ArrayKit export loaded into AutoGrad")
    }

    @Test(.enabled(if: ReferencePython.hasSafetensors, "needs python3 with numpy and safetensors (pip install safetensors)"))
    func numpyRecomputesTheLogitsFromEveryExportedFile() throws {
        for export in try Self.write(to: Self.directory) {
            let model = Self.directory.appendingPathComponent("\(export.name).safetensors")
            let io = Self.directory.appendingPathComponent("\(export.name).io.safetensors")
            let result = try JSONDecoder().decode(NumPy.Result.self, from: ReferencePython.run(NumPy.forwardScript, [model.path, io.path]))
            #expect(result.difference <= 1e-5, "\(export.name): NumPy's logits differ by \(result.difference)")
            let expectedKeys = try Safetensors.read(contentsOf: model).names.sorted()
            #expect(result.keys == expectedKeys)
            report("NumPy forward pass on \(export.name).safetensors vs Swift's logits", result.difference)
        }
        if ProcessInfo.processInfo.environment["BACKPROP_EXPORT_DIR"] == nil {
            try? FileManager.default.removeItem(at: Self.directory)
        }
    }
}

/// The NumPy side of the export checks, run through the shared `ReferencePython` (numpy and
/// safetensors, what CI has; torch is not needed).
enum NumPy {
    struct Result: Decodable { let difference: Double; let keys: [String] }

    /// The equivalent `torch.nn.Sequential`'s eval-mode forward pass in NumPy (float64),
    /// from the state dict file and the architecture in the batch file's metadata; prints
    /// the relative difference to the Swift logits and the state dict's keys. It asserts
    /// PyTorch's layout of `num_batches_tracked`: int64, shape ().
    static let forwardScript = """
    import json, sys
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file
    with safe_open(sys.argv[2], "np") as f:
        meta = f.metadata()
    w, io = load_file(sys.argv[1]), load_file(sys.argv[2])
    p = {k: v.astype(np.float64) for k, v in w.items()}
    x = io["x"].astype(np.float64)
    alpha, i = float(meta.get("alpha", "1.0")), 0
    for _ in [h for h in meta["hidden"].split(",") if h]:
        x = x @ p[f"{i}.weight"].T + p[f"{i}.bias"]
        i += 1
        if meta.get("batch_norm") == "true":
            counter = w[f"{i}.num_batches_tracked"]
            assert counter.dtype == np.int64 and counter.shape == (), (counter.dtype, counter.shape)
            x = (x - p[f"{i}.running_mean"]) / np.sqrt(p[f"{i}.running_var"] + 1e-5) * p[f"{i}.weight"] + p[f"{i}.bias"]
            i += 1
        x = np.maximum(x, 0) if meta["activation"] == "relu" else np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        i += 1
    x = x @ p[f"{i}.weight"].T + p[f"{i}.bias"]
    expected = io["logits"].astype(np.float64)
    json.dump({"difference": float(np.abs(x - expected).max() / np.abs(expected).max()), "keys": sorted(w)}, sys.stdout)
    """
}
