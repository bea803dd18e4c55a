import ArrayKit
import Foundation
import ReferencePython
import Testing
@testable import Training
@testable import TrainingCLI

/// `model.safetensors` describes itself: `--init-from` rebuilds the model from it,
/// `evaluate-model` and `SavedModel` evaluate and classify with it, and Docs/Interop.md's
/// Python snippets use it as Swift does.
@Suite struct ModelFileTests {
    /// A train-autograd run with batch norm and dropout (2 epochs on the fixture) into `directory`; its model file.
    static func trainedModel(in directory: URL) throws -> URL {
        try RunLogTests.quickRun(into: directory, ["--batch-norm", "--dropout", "0.1"])
        return directory.appendingPathComponent("model.safetensors")
    }

    /// The first `count` test images of the fixture, as pixels `[count, 28, 28]`.
    static func testImages(_ count: Int) throws -> IntegerArray<UInt8> {
        let test = try Fixture.dataset().test
        return IntegerArray(Array(test.pixels.prefix(count * 784)), shape: [count, 28, 28])
    }

    @Test func theModelFileRecordsArchitectureNormalizationDatasetAndClasses() throws {
        let scratch = try TemporaryDirectory()
        let file = try Safetensors.read(contentsOf: Self.trainedModel(in: scratch.url))   // checksums verified
        #expect(file.hasChecksums)
        #expect(file.metadata["format"] == "pt")
        let description = try ModelDescription(metadata: file.metadata)
        #expect(description.architecture == ModelArchitecture(inputs: 784, hidden: [16], classes: 10, batchNorm: true, dropout: 0.1))
        let history = try RunHistory.read(from: scratch.url.appendingPathComponent("history.json"))
        let normalization = try #require(description.normalization)
        #expect(Double(normalization.mean) == history.dataset.normalizationMean)
        #expect(Double(normalization.std) == history.dataset.normalizationStd)
        #expect(description.classNames == history.dataset.classNames)
        #expect(description.dataset == history.dataset.name)
        #expect(description.writtenBy == Backprop.version)
        #expect(file.metadata[ModelDescription.architectureKey]
                == #"{"activation":"relu","batch_norm":true,"classes":10,"dropout":0.1,"hidden":[16],"inputs":784}"#)
    }

    @Test func metadataThatDoesNotParseOrIsNewerIsRefusedByName() throws {
        #expect(throws: ModelDescriptionError.unreadable(key: ModelDescription.architectureKey, value: "{")) {
            try ModelDescription(metadata: [ModelDescription.architectureKey: "{"])
        }
        #expect(throws: ModelDescriptionError.newerVersion(2)) { try ModelDescription(metadata: [ModelDescription.versionKey: "2"]) }
        #expect(try ModelDescription(metadata: ["format": "pt"]).isEmpty)
    }

    @Test func initFromRebuildsTheRecordedModelAndRefusesConflicts() throws {
        let scratch = try TemporaryDirectory()
        let model = try Self.trainedModel(in: scratch.url.appendingPathComponent("first"))
        let base = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--epochs", "1", "--batch-size", "64",
                    "--init-from", model.path]
        let rebuilt = scratch.url.appendingPathComponent("rebuilt")
        let result = runCommand(TrainAutoGrad.self, base + ["--output", rebuilt.path])
        #expect(result.status == 0, "\(result.message)")
        let config = try RunHistory.read(from: rebuilt.appendingPathComponent("history.json")).config
        #expect(config["hidden_dims"] == [16])
        #expect(config["batch_norm"] == true)
        #expect(config["dropout"] == 0.1)

        for (command, extra, needles) in [
            ("train-autograd", ["--hidden-dims", "32"], ["--hidden-dims 32 conflicts with --init-from", "--hidden-dims 16"]),
            ("train-autograd", ["--dropout", "0.3"], ["--dropout 0.3 conflicts", "leave --dropout out"]),
            ("train-manual", [], ["train-manual has no batch norm", "train-autograd --init-from"]),
        ] {
            let output = ["--output", scratch.url.appendingPathComponent("refused").path]
            let refused = command == "train-manual" ? runCommand(TrainManual.self, base + extra + output)
                                                    : runCommand(TrainAutoGrad.self, base + extra + output)
            #expect(refused.status != 0)
            for needle in needles { #expect(refused.message.contains(needle), "\(command) \(extra): \(refused.message)") }
        }
        #expect(!exists(scratch.url.appendingPathComponent("refused")))
    }

    /// `SavedModel` on the test set gives the run's own test metrics; `evaluate-model` runs on it.
    @Test func aSavedModelEvaluatesAsTheRunDid() throws {
        let scratch = try TemporaryDirectory()
        let url = try Self.trainedModel(in: scratch.url)
        let history = try RunHistory.read(from: scratch.url.appendingPathComponent("history.json"))
        let saved = try SavedModel(contentsOf: url)
        let result = saved.evaluate(on: try Fixture.dataset().test)
        #expect(result.accuracy == history.test?.accuracy)
        #expect(result.loss == history.test?.loss)
        #expect(runCommand(EvaluateModel.self, [url.path, "--data-dir", Fixture.gzip.path]).status == 0)
    }

    /// The same images as uint8 `.npy`, float `.npy` `[N, 784]` and IDX get the same classes,
    /// those of the model's own evaluation; bad files get messages that say what to do.
    @Test func imagesFromNPYAndIDXAreClassifiedAlike() throws {
        let scratch = try TemporaryDirectory()
        let saved = try SavedModel(contentsOf: Self.trainedModel(in: scratch.url))
        let pixels = try Self.testImages(20)
        let bytes = scratch.url.appendingPathComponent("images.npy"), floats = scratch.url.appendingPathComponent("floats.npy")
        let idx = scratch.url.appendingPathComponent("images-idx3-ubyte")
        try NPYArray.uint8(pixels).write(to: bytes)
        try NPYArray.float32(NDArray(pixels.scalars.map { Float($0) / 255 }, shape: [20, 784])).write(to: floats)
        try Data([0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 28, 0, 0, 0, 28] + pixels.scalars).write(to: idx)
        let expected = saved.classifier.evaluate(NDArray(pixels.scalars.map(saved.normalization.normalize), shape: [20, 784]),
                                                 labels: Array(repeating: 0, count: 20)).predictions
        for file in [bytes, floats, idx] {
            let features = try ImageFile.features(contentsOf: file, featureCount: 784, normalization: saved.normalization)
            let classified = saved.classify(features)
            #expect(classified.map(\.class) == expected, "\(file.lastPathComponent)")
            #expect(classified.allSatisfy { $0.probability > 0.1 && $0.probability <= 1 })
        }
        #expect(runCommand(EvaluateModel.self, [scratch.url.appendingPathComponent("model.safetensors").path,
                                                "--images", bytes.path, idx.path]).status == 0)

        let raw = scratch.url.appendingPathComponent("raw.npy"), wrong = scratch.url.appendingPathComponent("wrong.npy")
        try NPYArray.float32(NDArray(pixels.scalars.map { Float($0) }, shape: [20, 784])).write(to: raw)
        try NPYArray.uint8(IntegerArray(Array(pixels.scalars.prefix(20 * 27 * 27)), shape: [20, 27, 27])).write(to: wrong)
        for (file, needle) in [(raw, "float images are pixels scaled to [0, 1]"), (wrong, "[N, 28, 28] or [N, 784]")] {
            #expect { try ImageFile.features(contentsOf: file, featureCount: 784, normalization: saved.normalization) } throws: {
                "\($0)".contains(needle) && "\($0)".contains(file.path)
            }
        }
    }

    /// A state dict without metadata (as PyTorch saves it): the message names the options,
    /// and with them the model classifies as the described file does.
    @Test func aFileWithoutMetadataNeedsItsShapeAndNormalizationGiven() throws {
        let scratch = try TemporaryDirectory()
        try RunLogTests.quickRun(into: scratch.url)
        let described = scratch.url.appendingPathComponent("model.safetensors")
        let file = try Safetensors.read(contentsOf: described)
        let plain = scratch.url.appendingPathComponent("from_torch.safetensors")
        try Safetensors.write(try file.orderedArrays(as: Float.self), to: plain, checksum: false)
        let refused = runCommand(EvaluateModel.self, [plain.path, "--images", "x.npy"])
        #expect(refused.status != 0)
        for needle in ["--hidden-dims", "--no-hidden", "--batch-norm", "--mean", "--std", "--dataset"] {
            #expect(refused.message.contains(needle), "lacks \(needle): \(refused.message)")
        }
        let original = try SavedModel(contentsOf: described)
        let n = original.normalization
        let arguments = [plain.path, "--hidden-dims", "16", "--mean", "\(n.mean)", "--std", "\(n.std)", "--dataset", "fashion-mnist"]
        #expect(runCommand(EvaluateModel.self, arguments + ["--data-dir", Fixture.gzip.path]).status == 0)
        let images = scratch.url.appendingPathComponent("i.npy")
        try NPYArray.uint8(Self.testImages(5)).write(to: images)
        let features = try ImageFile.features(contentsOf: images, featureCount: 784, normalization: n)
        let rebuilt = try SavedModel(contentsOf: plain, architecture: ModelArchitecture(inputs: 784, hidden: [16], classes: 10),
                                     normalization: Normalization(mean: n.mean, std: n.std))
        #expect(rebuilt.classify(features).map(\.class) == original.classify(features).map(\.class))
        #expect(rebuilt.classNames == (0..<10).map(String.init))
    }

    @Suite struct InteropSnippetTests {
        /// Docs/Interop.md's ```python block that contains `marker`.
        static func snippet(containing marker: String) throws -> String {
            let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Docs/Interop.md")
            let blocks = try String(contentsOf: docs, encoding: .utf8).components(separatedBy: "```python\n").dropFirst()
                .map { $0.components(separatedBy: "```")[0] }
            return try #require(blocks.first { $0.contains(marker) }, "Docs/Interop.md has no python snippet with \(marker)")
        }

        /// Runs the snippet in a directory holding a trained model (batch norm, dropout) and
        /// images.npy, and compares the logits it computes with Swift's.
        static func check(snippetContaining marker: String) throws {
            let scratch = try TemporaryDirectory()
            let model = try ModelFileTests.trainedModel(in: scratch.url)
            let pixels = try ModelFileTests.testImages(20)
            try NPYArray.uint8(pixels).write(to: scratch.url.appendingPathComponent("images.npy"))
            let code = try snippet(containing: marker) + "\nprint(json.dumps(np.asarray(logits, dtype=np.float64).tolist()))\n"
            let script = "import os, sys\nos.chdir(sys.argv[1])\n" + code
            let lines = String(decoding: try ReferencePython.run(script, [scratch.url.path]), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            try #require(lines.count == 2, "\(lines)")
            let logits = try JSONDecoder().decode([[Double]].self, from: Data(lines[1].utf8))
            let saved = try SavedModel(contentsOf: model)
            let features = NDArray(pixels.scalars.map(saved.normalization.normalize), shape: [20, 784])
            let swift = saved.classifier.logits(features)
            let flat = logits.flatMap { $0 }
            try #require(flat.count == swift.count)
            let worst = zip(flat, swift.scalars).map { abs($0 - Double($1)) }.max()!
            #expect(worst < 1e-4, "largest logit difference \(worst)")
            let names = saved.classify(features).map { "'\(saved.classNames[$0.class])'" }
            #expect(lines[0] == "[" + names.joined(separator: ", ") + "]")
        }

        @Test(.enabled(if: ReferencePython.hasSafetensors, "python3 cannot import numpy and safetensors: the NumPy snippet did not run"))
        func theNumPySnippetNormalizesAsSwiftDoes() throws {
            try Self.check(snippetContaining: "safetensors.numpy")
        }

        @Test(.enabled(if: hasTorch, "python3 cannot import torch: the PyTorch snippet did not run (the NumPy one checks the same file and normalization)"))
        func thePyTorchSnippetNormalizesAsSwiftDoes() throws {
            try Self.check(snippetContaining: "import torch")
        }

        static let hasTorch = ReferencePython.hasSafetensors && (try? ReferencePython.run("import torch")) != nil
    }
}
