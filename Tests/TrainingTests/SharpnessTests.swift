import ArgumentParser
import ArrayAssertions
import ArrayKit
import AutoGrad
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// The eigenvalues of a symmetric matrix (row-major, n × n) by cyclic Jacobi rotations: an
/// independent reference for the power iteration.
func symmetricEigenvalues(_ matrix: [Double], n: Int) -> [Double] {
    var a = matrix
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in 0..<n where p != q { off += a[p * n + q] * a[p * n + q] } }
        if off < 1e-22 { break }
        for p in 0..<n {
            for q in (p + 1)..<n where a[p * n + q] != 0 {
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {   // columns p, q
                    let (akp, akq) = (a[k * n + p], a[k * n + q])
                    a[k * n + p] = c * akp - s * akq
                    a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {   // rows p, q
                    let (apk, aqk) = (a[p * n + k], a[q * n + k])
                    a[p * n + k] = c * apk - s * aqk
                    a[q * n + k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0 * n + $0] }
}

@Suite struct SharpnessTests {
    /// 40 samples of 6 features, 3 classes; a 6-4-3 MLP (43 parameters) with batch norm.
    static func setting() -> (model: nn.MLP<Float>, probe: SharpnessProbe) {
        var rng = SplitMix64(seed: 8)
        let model = nn.MLP<Float>(inputs: 6, hidden: [4], classes: 3, batchNorm: true, using: &rng)
        let features = NDArray<Float>.randomNormal([40, 6], using: &rng)
        let labels = (0..<40).map { ($0 * 7 + 1) % 3 }
        // Running statistics off their defaults, so eval mode is not an identity.
        model.train()
        _ = model(Tensor(features * 1.5 + 0.3))
        return (model, SharpnessProbe(features: features, labels: labels))
    }

    @Test func powerIterationFindsTheLargestEigenvalueOfTheWholeHessian() throws {
        let (model, probe) = Self.setting()
        let estimate = probe.estimate(model)
        #expect(estimate.converged, "\(estimate)")
        #expect(estimate.iterations <= probe.maxIterations, "\(estimate)")
        #expect(estimate.relativeChange <= probe.tolerance)

        // The Hessian column by column (H eᵢ), in eval mode as the probe measures it.
        model.eval()
        let parameters = model.parameters()
        let products = HessianVectorProducts(of: crossEntropy(logits: model(Tensor(probe.features)), labels: probe.labels),
                                             withRespectTo: parameters)
        let sizes = parameters.map(\.data.count), n = sizes.reduce(0, +)
        var hessian = [Double](repeating: 0, count: n * n)
        for column in 0..<n {
            var offset = 0
            let unit = parameters.map { p -> NDArray<Float> in
                defer { offset += p.data.count }
                return NDArray(shape: p.shape) { $0 + offset == column ? 1 : 0 }
            }
            let hv = products(unit).flatMap(\.scalars)
            for row in 0..<n { hessian[row * n + column] = Double(hv[row]) }
        }
        var asymmetry = 0.0, scale = 0.0
        for i in 0..<n {
            for j in 0..<n {
                asymmetry = max(asymmetry, abs(hessian[i * n + j] - hessian[j * n + i]))
                scale = max(scale, abs(hessian[i * n + j]))
            }
        }
        #expect(asymmetry <= 1e-5 * scale, "the Hessian from H v is not symmetric: \(asymmetry) of \(scale)")
        let symmetric = (0..<(n * n)).map { (hessian[$0] + hessian[($0 % n) * n + $0 / n]) / 2 }
        let eigenvalues = symmetricEigenvalues(symmetric, n: n).sorted()
        let largest = try #require(eigenvalues.last)
        #expect(largest > 0, "the top eigenvalue is not the largest in magnitude")
        #expect(largest >= -eigenvalues[0], "the top eigenvalue is not the largest in magnitude")
        // Converged to 1e-3 relative change; the Rayleigh quotient is far closer than that.
        #expect(abs(estimate.lambdaMax - largest) <= 1e-3 * largest,
                "power iteration \(estimate.lambdaMax), Jacobi \(largest) (next \(eigenvalues[n - 2]))")
    }

    @Test func theEstimateLeavesTheModelAsItWasAndRepeats() {
        let (model, probe) = Self.setting()
        model.train()
        let before = model.stateDict().map { ($0.name, $0.tensor.data) }
        let first = probe.estimate(model), second = probe.estimate(model)
        #expect(model.isTraining)
        #expect(model.parameters().allSatisfy { $0.grad == nil })
        expectEqual(model.stateDict().map { ($0.name, $0.tensor.data) }, before)
        #expect(first.lambdaMax == second.lambdaMax)
        #expect(first.iterations == second.iterations)
    }

    @Test func theProbeTakesTheFirstTrainingSamplesInFileOrderNormalized() throws {
        let dataset = try Fixture.dataset()
        let split = try DataSplit(dataset, validationCount: 100, seed: 7)
        let probe = SharpnessProbe.firstSamples(30, of: split)
        let expected = DataLoader.evaluation(split.train, normalization: split.normalization, batchSize: 30)
        var batches = expected.batches().makeIterator()
        let next = batches.next()
        let first = try #require(next)
        expectEqual(probe.features, first.features)
        #expect(probe.labels == Array(split.train.classIndices.prefix(30)))
    }

    /// A run measuring sharpness, stopped mid-epoch and at an epoch's end and resumed,
    /// records the same estimates as an uninterrupted one (timings aside).
    @Test(arguments: [24, 31])
    func aResumedRunKeepsItsSharpnessRecord(stopAfterPolls: Int) throws {
        var trainer = try ReliabilityTests.ResumeTests.trainer(epochs: 3)
        let split = try DataSplit(try Fixture.dataset(), validationCount: 100, seed: 7)
        trainer.sharpnessProbe = SharpnessProbe.firstSamples(50, of: split)
        func model(_ seed: UInt64) -> any Classifier {
            AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, batchNorm: true, dropout: 0.1, optimizer: .sgd,
                               learningRate: 0.1, momentum: 0.9, epochs: 3, stepsPerEpoch: 12, seed: seed)
        }
        let expected = trainer.fit(model(1), history: ReliabilityTests.ResumeTests.history("autograd"))
        let scratch = try TemporaryDirectory()
        let (outcome, _, _) = try ReliabilityTests.ResumeTests.interruptedRun(trainer, backend: "autograd",
                                                                              stopAfterPolls: stopAfterPolls, in: scratch.url,
                                                                              makeModel: model)
        func untimed(_ history: RunHistory) -> [SharpnessEstimate] {
            history.sharpnessEstimates.map { var estimate = $0; estimate.seconds = 0; return estimate }
        }
        #expect(expected.history.initialSharpness != nil)
        #expect(expected.history.epochs.allSatisfy { $0.sharpness != nil })
        #expect(untimed(outcome.history) == untimed(expected.history))
        #expect(untimed(expected.history).count == 4)
        #expect(ReliabilityTests.ResumeTests.untimed(outcome.history).map(\.trainLoss)
                == ReliabilityTests.ResumeTests.untimed(expected.history).map(\.trainLoss))
    }

    static func fixtureArguments(epochs: Int = 2) -> [String] {
        ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "\(epochs)",
         "--batch-size", "64"]
    }

    @Test func trainAutogradRecordsSharpnessAndDrawsItBesideTwoOverTheRate() throws {
        let scratch = try TemporaryDirectory()
        let run = scratch.url.appendingPathComponent("sharp")
        let result = runCommand(TrainAutoGrad.self, Self.fixtureArguments() + ["--sharpness", "60", "--output", run.path])
        #expect(result.status == 0, "\(result.message)")
        let history = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        let initial = try #require(history.initialSharpness)
        #expect(initial.lambdaMax > 0)
        #expect(initial.converged)
        #expect(history.config["sharpness"] == 60)
        #expect(history.epochs.count == 2)
        #expect(history.epochs.allSatisfy { ($0.sharpness?.lambdaMax ?? 0) > 0 })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("history.json")))
                                  as? [String: Any])
        let initialObject = try #require(object["initial_sharpness"] as? [String: Any])
        #expect(Set(initialObject.keys) == ["lambda_max", "iterations", "converged", "relative_change", "seconds"])
        let epochs = try #require(object["epochs"] as? [[String: Any]])
        #expect(epochs.allSatisfy { ($0["sharpness"] as? [String: Any])?["lambda_max"] is Double })
        let svg = try String(contentsOf: run.appendingPathComponent("sharpness.svg"), encoding: .utf8)
        #expect(svg.contains("2/η (stability bound)"))
        #expect(svg.contains("λ_max (power iteration)"))
        #expect(svg.contains("60 training samples"))

        // Measuring changes nothing in training: the same model, bit for bit, as without.
        let plain = scratch.url.appendingPathComponent("plain")
        #expect(runCommand(TrainAutoGrad.self, Self.fixtureArguments() + ["--output", plain.path]).status == 0)
        #expect(!exists(plain.appendingPathComponent("sharpness.svg")))
        let text = try String(contentsOf: plain.appendingPathComponent("history.json"), encoding: .utf8)
        #expect(!text.contains("sharpness"), "a run without --sharpness writes no sharpness keys")
        #expect(try Data(contentsOf: plain.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: run.appendingPathComponent("model.safetensors")))
        #expect(ReliabilityTests.ResumeTests.untimed(try RunHistory.read(from: plain.appendingPathComponent("history.json"))).map(\.trainLoss)
                == ReliabilityTests.ResumeTests.untimed(history).map(\.trainLoss))
    }

    @Test(arguments: [(["--sharpness", "0"], "--sharpness: 0 is not a number of samples"),
                      (["--sharpness", "-5"], "--sharpness: -5 is not a number of samples"),
                      (["--sharpness", "401"], "--sharpness 401 is more than the 400 training samples")])
    func badSampleCountsAreRefusedBeforeAnythingIsWritten(arguments: [String], message: String) throws {
        let scratch = try TemporaryDirectory()
        let run = scratch.url.appendingPathComponent("refused")
        let result = runCommand(TrainAutoGrad.self, Self.fixtureArguments() + arguments + ["--output", run.path])
        #expect(result.status != 0, "\(result.message)")
        #expect(result.message.contains(message), "\(result.message)")
        #expect(!exists(run))
        let sweepRun = scratch.url.appendingPathComponent("sweep")
        let sweep = runCommand(LRSweep.self, Self.fixtureArguments() + ["--backend", "autograd", "--lrs", "0.1"] + arguments
                               + ["--output", sweepRun.path])
        #expect(sweep.status != 0, "lr-sweep: \(sweep.message)")
        #expect(sweep.message.contains(message), "lr-sweep: \(sweep.message)")
        #expect(!exists(sweepRun))
    }

    @Test func bothCommandsOfferTheOption() {
        #expect(TrainAutoGrad.helpMessage().contains("--sharpness <N>"))
        #expect(LRSweep.helpMessage().contains("--sharpness <N>"))
    }

    @Test func theSweepRefusesSharpnessWithTheManualBackendOrTheRangeTest() {
        let manual = runCommand(LRSweep.self, Self.fixtureArguments() + ["--sharpness", "50"])
        #expect(manual.status != 0, "\(manual.message)")
        #expect(manual.message.contains("--sharpness needs --backend autograd"), "\(manual.message)")
        let range = runCommand(LRSweep.self, Self.fixtureArguments() + ["--backend", "autograd", "--sharpness", "50", "--range-test"])
        #expect(range.status != 0, "\(range.message)")
        #expect(range.message.contains("--range-test"), "\(range.message)")
    }

    @Test func theSweepRecordsSharpnessPerRateAndDrawsEachBesideItsBound() throws {
        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("sweep")
        let result = runCommand(LRSweep.self, Self.fixtureArguments() + ["--backend", "autograd", "--sharpness", "50",
                                                                        "--lrs", "0.01", "0.1", "--jobs", "2", "--output", output.path])
        #expect(result.status == 0, "\(result.message)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: output.path))
        #expect(files == ["best_val_vs_lr.svg", "loss_curves.svg", "sharpness.svg", "sweep.json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("sweep.json")))
                                  as? [String: Any])
        #expect((object["config"] as? [String: Any])?["sharpness"] as? Int == 50)
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        for run in runs {
            #expect((run["initial_sharpness"] as? [String: Any])?["lambda_max"] is Double)
            let epochs = try #require(run["epochs"] as? [[String: Any]])
            #expect(epochs.count == 2)
            #expect(epochs.allSatisfy { $0["sharpness"] is [String: Any] })
        }
        // The same initial weights, so the same initial sharpness whatever the rate.
        let initial = runs.map { ($0["initial_sharpness"] as? [String: Any])?["lambda_max"] as? Double }
        #expect(initial[0] != nil)
        #expect(initial[0] == initial[1])
        let svg = try String(contentsOf: output.appendingPathComponent("sharpness.svg"), encoding: .utf8)
        #expect(svg.contains("λ_max, lr = 0.01"))
        #expect(svg.contains("2/η = 200"))
        #expect(svg.contains("2/η = 20"))
    }
}
