import ArgumentParser
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// Parses and runs `type` exactly as its executable does, returning the message it would
/// print and the status it would exit with (0 when nothing was thrown).
private func run<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String]) -> (message: String, status: Int32) {
    runCommand(type, arguments)
}

/// Options that train quickly on the committed fixture (400 train / 100 validation / 100 test).
private func fixtureArguments(_ data: URL = Fixture.gzip, epochs: Int = 1) -> [String] {
    ["--data-dir", data.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "\(epochs)", "--batch-size", "64"]
}

/// The tests of CLITests.swift, one nested suite per part.
@Suite struct CLITests {}

extension CLITests {
    /// Bad input: a clear message, a non-zero exit and no run directory left behind.
    @Suite struct CLIBadInputTests {
        /// Runs `type` on a copy of the fixture (with `replacing` files swapped in) and checks
        /// the failure; returns the message.
        private func expectFailure<Command: ParsableCommand>(
            _ type: Command.Type, plain: Bool = false, replacing: [String: [UInt8]] = [:], extra: [String] = [],
            outputInside: Bool = true, mentioning needles: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let data = try TemporaryDirectory()
            try data.copyFixture(plain: plain, replacing: replacing)
            let before = data.contents
            let output = data.url.appendingPathComponent("runs/this-run")
            let result = run(type, fixtureArguments(data.url) + ["--output", output.path] + extra)
            #expect(result.status != 0, "expected a non-zero exit", sourceLocation: sourceLocation)
            for needle in needles {
                #expect(result.message.contains(needle), "message lacks \"\(needle)\": \(result.message)", sourceLocation: sourceLocation)
            }
            #expect(!result.message.contains("Fatal error"), sourceLocation: sourceLocation)
            #expect(!exists(output), "files left behind: \(data.contents)", sourceLocation: sourceLocation)
            #expect(data.contents == before, "files left behind: \(data.contents)", sourceLocation: sourceLocation)
        }

        @Test func missingDataset() throws {
            let empty = try TemporaryDirectory()
            let output = empty.url.appendingPathComponent("run")
            let result = run(TrainManual.self, ["--data-dir", empty.url.appendingPathComponent("nowhere").path, "--output", output.path])
            #expect(result.status != 0)
            #expect(result.message.contains("Fashion-MNIST was not found"), "\(result.message)")
            #expect(result.message.contains("Fix: "), "\(result.message)")
            #expect(empty.contents.isEmpty)
        }

        @Test func truncatedGzip() throws {
            let whole = try Fixture.bytes(Fixture.gzip, "train-images-idx3-ubyte.gz")
            try expectFailure(TrainManual.self, replacing: ["train-images-idx3-ubyte.gz": Array(whole.prefix(whole.count / 2))],
                              mentioning: ["train-images-idx3-ubyte.gz", "truncated"])
        }

        @Test func wrongMagic() throws {
            let labels = try Fixture.bytes(Fixture.plain, "train-labels-idx1-ubyte")
            let swapped = idx(magic: 0x0803, dimensions: [500], payload: Array(labels.dropFirst(8)))
            try expectFailure(TrainAutoGrad.self, plain: true, replacing: ["train-labels-idx1-ubyte": swapped],
                              mentioning: ["train-labels-idx1-ubyte", "magic number 0x00000803, expected 0x00000801"])
        }

        @Test func imageAndLabelCountsDiffer() throws {
            let labels = try Fixture.bytes(Fixture.plain, "train-labels-idx1-ubyte")
            let short = idx(magic: 0x0801, dimensions: [499], payload: Array(labels.dropFirst(8).prefix(499)))
            try expectFailure(CompareBackends.self, plain: true, replacing: ["train-labels-idx1-ubyte": short],
                              mentioning: ["holds 500 images", "holds 499 labels"])
        }

        @Test func labelOutsideTheClasses() throws {
            var labels = try Fixture.bytes(Fixture.plain, "t10k-labels-idx1-ubyte")
            labels[8 + 37] = 10
            try expectFailure(TrainManual.self, plain: true, replacing: ["t10k-labels-idx1-ubyte": labels],
                              mentioning: ["label 10 at index 37", "10 classes"])
        }

        @Test func negativeHiddenWidth() throws {
            try expectFailure(TrainManual.self, extra: ["--hidden-dims", "64", "-5"],
                              mentioning: ["--hidden-dims: -5 is not a layer width"])
        }

        @Test(arguments: ["nan", "inf", "0", "-0.1"])
        func unusableLearningRate(_ rate: String) throws {
            try expectFailure(TrainAutoGrad.self, extra: ["--lr", rate], mentioning: ["--lr:", "positive finite number"])
        }

        @Test func zeroBatchSize() throws {
            try expectFailure(TrainManual.self, extra: ["--batch-size", "0"], mentioning: ["--batch-size: 0 is not a batch size"])
        }

        @Test func zeroEpochs() throws {
            try expectFailure(CompareBackends.self, extra: ["--epochs", "0"], mentioning: ["--epochs: 0"])
        }

        @Test func batchLargerThanTheTrainingSet() throws {
            try expectFailure(TrainManual.self, extra: ["--batch-size", "1000"], mentioning: ["--batch-size 1000", "400 training samples"])
        }

        @Test func unwritableOutput() throws {
            let scratch = try TemporaryDirectory()
            try scratch.write([1, 2, 3], "a-file")
            for output in ["/proc/backprop-cannot-be-here", scratch.url.appendingPathComponent("a-file/run").path] {
                let result = run(TrainManual.self, fixtureArguments() + ["--output", output])
                #expect(result.status != 0)
                #expect(result.message.contains("cannot create the run directory"), "\(result.message)")
                #expect(result.message.contains("--output"), "\(result.message)")
                #expect(!exists(URL(fileURLWithPath: output)))
            }
            #expect(scratch.contents == ["a-file"])
        }

        @Test func initialWeightsOfAnotherShape() throws {
            let scratch = try TemporaryDirectory()
            let file = scratch.url.appendingPathComponent("other.safetensors")
            let other = ManualClassifier(inputs: 784, hidden: [32], classes: 10, learningRate: 0.1, seed: 1)
            try Safetensors.write(other.stateDict().map { (name: $0.0, array: $0.1) }, to: file)
            let output = scratch.url.appendingPathComponent("run")
            let result = run(TrainManual.self, fixtureArguments() + ["--init-from", file.path, "--output", output.path])
            #expect(result.status != 0)
            #expect(result.message.contains("--init-from \(file.path)"), "\(result.message)")
            #expect(result.message.contains("0.weight"), "\(result.message)")
            #expect(scratch.contents == ["other.safetensors"])
        }

        @Test func theProcessExitsNonZeroWithTheMessageOnStandardError() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                TrainManual.main(ExperimentOptions.normalizedArguments(["--lr", "nan", "--output", "/proc/never-created"]))
            }
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("--lr: nan is not a usable learning rate"), "\(text)")
        }
    }
}

extension CLITests {
    @Suite struct CLIRunTests {
        @Test func argumentsKeepTheirUsualSpellings() throws {
            func parse(_ arguments: [String]) throws -> ExperimentOptions { try command(arguments).options }
            func command(_ arguments: [String]) throws -> TrainManual {
                try TrainManual.parse(ExperimentOptions.normalizedArguments(arguments))
            }
            #expect(try parse([]).hiddenWidths == [128])
            #expect(try parse(["--hidden-dims", "256", "128"]).hiddenWidths == [256, 128])
            #expect(try parse(["--hidden-dims", "--lr", "0.5"]).hiddenWidths == [])
            #expect(try command(["--lr", "0.5", "--hidden-dims"]).rate.learningRate == 0.5)
            #expect(try parse(["--no-hidden"]).hiddenWidths == [])
            let defaults = try parse([])
            #expect(try command([]).rate.learningRate == 0.1)
            #expect(defaults.batchSize == 128)
            #expect(defaults.epochs == 10)
            #expect(defaults.seed == 42)
            #expect(defaults.dataset == "fashion-mnist")
            #expect(defaults.validationSize == 5_000)
            #expect(!defaults.noShuffle)
            #expect(ExperimentOptions.normalizedArguments(["--hidden-dims", "8", "-5", "--lr", "-1", "--json"])
                    == ["--hidden-dims=8", "--hidden-dims=-5", "--lr=-1", "--json"])
        }

        @Test func aRunWritesItsDirectoryAndItsModelSeedsAnother() throws {
            let scratch = try TemporaryDirectory()
            let first = scratch.url.appendingPathComponent("manual")
            #expect(run(TrainManual.self, fixtureArguments(epochs: 2) + ["--output", first.path]).status == 0)
            let written = Set(try FileManager.default.contentsOfDirectory(atPath: first.path).map {
                $0.hasPrefix(TensorBoardEvents.fileNamePrefix) ? TensorBoardEvents.fileNamePrefix + "*" : $0
            })
            #expect(written == ["history.json", "metrics.jsonl", "events.out.tfevents.*", "loss.svg", "accuracy.svg",
                                "confusion_matrix.svg", "test_report.txt", "model.safetensors", "checkpoint.safetensors"])
            let history = try RunHistory.read(from: first.appendingPathComponent("history.json"))
            #expect(history.backend == "manual")
            #expect(history.epochs.count == 2)
            #expect(history.config["hidden_dims"] == [16])
            #expect(history.blas == BLAS.summary)
            #expect(history.dataset.trainCount == 400)
            #expect(history.test != nil)
            let model = try Safetensors.read(contentsOf: first.appendingPathComponent("model.safetensors"))
            #expect(model.names == ["0.weight", "0.bias", "2.weight", "2.bias"])
            #expect(model.shapes["0.weight"] == [16, 784])

            // The saved best model is a valid --init-from for the other backend (same names).
            let second = scratch.url.appendingPathComponent("autograd")
            let path = first.appendingPathComponent("model.safetensors").path
            #expect(run(TrainAutoGrad.self, fixtureArguments() + ["--init-from", path, "--output", second.path]).status == 0)
            let continued = try RunHistory.read(from: second.appendingPathComponent("history.json"))
            #expect(continued.config["init_from"] == .string(path))
            // Starting from a trained model, its first epoch beats the first epoch from scratch.
            #expect(continued.epochs[0].trainLoss < history.epochs[0].trainLoss)
        }

        @Test func compareBackendsAgreesAndDrawsOneFigure() throws {
            let scratch = try TemporaryDirectory()
            let output = scratch.url.appendingPathComponent("compare")
            #expect(run(CompareBackends.self, fixtureArguments(epochs: 2) + ["--output", output.path]).status == 0)
            let manual = try RunHistory.read(from: output.appendingPathComponent("manual/history.json"))
            let autograd = try RunHistory.read(from: output.appendingPathComponent("autograd/history.json"))
            let comparison = BackendComparison(manual: manual, autograd: autograd)
            #expect(comparison.agrees(tolerance: 1e-4))
            #expect(comparison.maxRelativeTrainLossDifference <= 1e-4)
            let svg = try String(contentsOf: output.appendingPathComponent("comparison.svg"), encoding: .utf8)
            #expect(svg.contains("Training loss"))
            #expect(svg.contains("Validation accuracy"))
            #expect(svg.contains(">autograd<"))
            let table = try String(contentsOf: output.appendingPathComponent("comparison.txt"), encoding: .utf8)
            #expect(table.contains("train loss M"))
            #expect(table.contains("agree within 1e-4"))
        }

        @Test func comparisonFlagsDisagreement() {
            var other = sampleHistory()
            other.epochs[1].trainLoss *= 1.001
            let comparison = BackendComparison(manual: sampleHistory(), autograd: other)
            #expect(!comparison.agrees(tolerance: 1e-4))
            #expect(abs(comparison.maxRelativeTrainLossDifference - 0.001 / 1.001) < 1e-9)
            #expect(comparison.verdict(tolerance: 1e-4).contains("DISAGREE"))
            #expect(BackendComparison(manual: sampleHistory(), autograd: sampleHistory()).agrees(tolerance: 1e-4))
        }

        @Test func jsonIsTheLastLineOfStandardOutput() async throws {
            let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
                let output = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-cli-json-\(getpid())")
                defer { try? FileManager.default.removeItem(at: output) }
                let data = Fixture.gzip
                TrainManual.main(["--data-dir", data.path, "--validation-size", "100", "--hidden-dims", "8", "--epochs", "1",
                                  "--output", output.path, "--json"])
            }
            let text = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
            let last = try #require(text.split(separator: "\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            #expect(object["backend"] as? String == "manual")
            #expect(object["diverged"] as? Bool == false)
            #expect((object["test_accuracy"] as? Double).map { $0 > 0 } == true)
            let epochs = try #require(object["epochs"] as? [[String: Any]])
            try #require(epochs.count == 1)
            #expect(Set(epochs[0].keys).isSuperset(of: ["epoch", "train_loss", "train_accuracy", "val_loss",
                                                                           "val_accuracy", "learning_rate", "seconds"]))
        }
    }
}

extension CLITests {
    /// `--version` prints the package's version and succeeds, on every command.
    @Test(arguments: [TrainManual.self, TrainAutoGrad.self, CompareBackends.self, LRSweep.self, EvaluateModel.self] as [any ParsableCommand.Type])
    func versionPrintsThePackageVersion(_ type: any ParsableCommand.Type) {
        let result = runCommand(type, ["--version"])
        #expect(result.status == 0, "\(type): \(result)")
        #expect(result.message == Backprop.version, "\(type): \(result)")
    }
}
