import ArrayAssertions
import Foundation
import Testing
@testable import Training

func sampleHistory(diverged: Bool = false) -> RunHistory {
    let names = ["cat", "dog", "bird"]
    var history = RunHistory(backend: "manual", config: ["hidden_dims": [128], "lr": 0.1, "seed": 42],
                             blas: "BLAS: OpenBLAS 0.3.21, core Haswell, 2 threads",
                             dataset: DatasetSummary(name: "fashion-mnist", directory: "/usr/share/fashion-mnist",
                                                     normalizationMean: 0.2860, normalizationStd: 0.3530,
                                                     trainCount: 55_000, validationCount: 5_000, testCount: 10_000,
                                                     classNames: names),
                             startedAt: Date(timeIntervalSince1970: 1_700_000_000))
    history.epochs = [
        EpochRecord(epoch: 1, trainLoss: 0.61, trainAccuracy: 0.78, valLoss: 0.47, valAccuracy: 0.83,
                    learningRate: 0.1, seconds: 3.5),
        EpochRecord(epoch: 2, trainLoss: 0.42, trainAccuracy: 0.85, valLoss: 0.41, valAccuracy: 0.855,
                    learningRate: 0.1, seconds: 3.25),
    ]
    history.bestEpoch = 2
    let confusion = ConfusionMatrix(predictions: [0, 1, 1, 2], labels: [0, 1, 2, 2], classCount: 3)
    history.test = TestMetrics(loss: 0.43, report: confusion.report(classNames: names))
    if diverged {
        history.epochs.append(EpochRecord(epoch: 3, trainLoss: .nan, trainAccuracy: 0.1, valLoss: .infinity,
                                          valAccuracy: 0.1, learningRate: 0.1, seconds: 1.0))
        history.markDiverged("training loss became NaN at epoch 3, batch 12")
    }
    return history
}

/// The tests of RunOutputTests.swift, one nested suite per part.
@Suite struct RunOutputTests {}

extension RunOutputTests {
    @Suite struct RunHistoryTests {
        @Test func roundTripsThroughJSONWithSnakeCaseKeys() throws {
            let history = sampleHistory()
            let data = try history.jsonData()
            #expect(try JSONDecoder().decode(RunHistory.self, from: data) == history)
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(Set(object.keys) == ["backend", "config", "blas", "dataset", "epochs", "best_epoch", "test",
                                         "diverged", "started_at", "format_version"])   // nil reason is omitted
            let epoch = try #require((object["epochs"] as? [[String: Any]])?.first)
            #expect(Set(epoch.keys) == ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                        "learning_rate", "seconds"])
            let dataset = try #require(object["dataset"] as? [String: Any])
            #expect(dataset["normalization_mean"] as? Double == 0.2860)
            #expect(dataset["normalization_std"] as? Double == 0.3530)
            let test = try #require(object["test"] as? [String: Any])
            #expect(test["loss"] as? Double == 0.43)
            #expect(test["accuracy"] as? Double == 0.75)
            #expect(test["confusion_matrix"] != nil)
            #expect(test["macro_f1"] != nil)
            #expect(object["started_at"] as? String == "2023-11-14T22:13:20Z")
            #expect(history.bestValidationAccuracy == 0.855)
        }

        @Test func nonFiniteLossesBecomeNullAndTheFileStaysValidJSON() throws {
            let history = sampleHistory(diverged: true)
            let data = try history.jsonData()
            let text = String(decoding: data, as: UTF8.self)
                .replacingOccurrences(of: history.divergenceReason!, with: "")   // the reason says "NaN" in words
            #expect(!text.contains("NaN"))
            #expect(!text.contains("nan"))
            #expect(!text.contains("inf"))
            // Python's json module in strict mode rejects NaN/Infinity literals: it must parse.
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let last = try #require((object["epochs"] as? [[String: Any]])?.last)
            #expect(last["train_loss"] is NSNull)
            #expect(last["val_loss"] is NSNull)
            #expect(object["diverged"] as? Bool == true)
            #expect(object["divergence_reason"] as? String == "training loss became NaN at epoch 3, batch 12")
            let decoded = try JSONDecoder().decode(RunHistory.self, from: data)
            #expect(decoded.epochs[2].trainLoss.isNaN)
            #expect(decoded.epochs[2].valLoss.isNaN)
            #expect(decoded.epochs[2].valAccuracy == 0.1)
            #expect(decoded.diverged)
            _ = try parseJSONWithPython(data)
        }

        @Test func writesAtomicallyAndReadsBack() throws {
            let dir = try makeScratchDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("history.json")
            try sampleHistory().write(to: url)
            #expect(try RunHistory.read(from: url) == sampleHistory())
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["history.json"])
            try Data("{\"backend\": 3}".utf8).write(to: url)
            #expect { try RunHistory.read(from: url) } throws: { "\($0)".contains("is not a run history") }
            #expect { try RunHistory.read(from: dir.appendingPathComponent("missing.json")) } throws: {
                "\($0)".contains("cannot read")
            }
        }

        @Test func epochLineShowsEveryMeasure() {
            let line = sampleHistory(diverged: true).epochs[2].line(of: 10)
            #expect(line == "epoch  3/10  train loss NaN acc 0.1000 | val loss inf acc 0.1000 | lr 0.1 | 1.0s")
        }
    }
}

extension RunOutputTests {
    @Suite struct RunChartTests {
        @Test func runChartsShowTrainAndValidationPerEpoch() {
            let history = sampleHistory()
            let loss = history.lossChart()
            #expect(loss.series.map(\.name) == ["train", "validation"])
            expectEqual(loss.series[0].x, [1, 2])
            expectEqual(loss.series[1].y, [0.47, 0.41])
            #expect(loss.yAxis.scale == .linear)
            #expect(loss.title == "Loss (manual, fashion-mnist)")
            expectEqual(history.accuracyChart().series[1].y, [0.83, 0.855])
        }

        @Test func aDivergedRunSaysSoInTheTitleAndInSweepSeries() {
            let history = sampleHistory(diverged: true)
            let loss = history.lossChart()
            #expect(loss.title.hasSuffix("— diverged"))
            #expect(loss.series.allSatisfy { !$0.isDiverged })
            let sweep = history.series(.trainLoss, name: "lr = 10")
            #expect(sweep.isDiverged)
            #expect(sweep.legendName == "lr = 10 (diverged)")
            #expect(sweep.y[2].isNaN)
        }

        @Test func comparisonsPutOneSeriesPerRun() throws {
            let manual = sampleHistory()
            var autograd = sampleHistory()
            autograd.backend = "autograd"
            autograd.epochs[1].trainLoss = 0.4201
            let figure = Figure.comparing([("manual", manual), ("autograd", autograd)])
            let panels = figure.panels.compactMap { $0 as? LineChart }
            #expect(panels.map(\.title) == ["Training loss", "Validation accuracy"])
            #expect(panels[0].series.map(\.name) == ["manual", "autograd"])
            expectEqual(panels[0].series[1].y, [0.61, 0.4201])
            expectEqual(panels[1].series[0].y, [0.83, 0.855])
            #expect(panels[1].yAxis.label == "validation accuracy")
            #expect(panels.allSatisfy { !$0.series[0].isDashed && $0.series[1].isDashed })
            _ = try parseWithPython(figure.svg(), name: "comparison.svg")
            let sweep = LineChart.comparing(.trainLoss, of: [("lr = 0.1", manual), ("lr = 10", sampleHistory(diverged: true))],
                                            title: "Training loss by learning rate", yScale: .log10)
            #expect(sweep.series.map(\.legendName) == ["lr = 0.1", "lr = 10 (diverged)"])
        }

        @Test func lossesSpanningDecadesGetALogAxis() {
            var history = sampleHistory()
            history.epochs[0].trainLoss = 250
            #expect(history.lossChart().yAxis.scale == .log10)
        }
    }
}

extension RunOutputTests {
    @Suite struct RunSummaryTests {
        @Test func summaryIsOneJSONLineWithTheDocumentedKeys() throws {
            let line = try RunSummary(sampleHistory(), outputDirectory: URL(fileURLWithPath: "/tmp/runs/x")).jsonLine()
            #expect(!line.contains("\n"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["backend"] as? String == "manual")
            #expect(object["test_accuracy"] as? Double == 0.75)
            #expect(object["best_val_accuracy"] as? Double == 0.855)
            #expect(object["diverged"] as? Bool == false)
            #expect(object["divergence_reason"] is NSNull)
            #expect(object["output_directory"] as? String == "/tmp/runs/x")
            let epochs = try #require(object["epochs"] as? [[String: Any]])
            try #require(epochs.count == 2)
            #expect(epochs[1]["val_accuracy"] as? Double == 0.855)
            #expect(epochs[0]["seconds"] as? Double == 3.5)
            #expect(epochs[0]["learning_rate"] as? Double == 0.1)
        }

        @Test func divergedRunWithoutTestMetricsStillGivesValidJSON() throws {
            var history = sampleHistory(diverged: true)
            history.test = nil
            history.bestEpoch = nil
            let line = try RunSummary(history).jsonLine()
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["test_accuracy"] is NSNull)
            #expect(object["best_val_accuracy"] is NSNull)
            #expect(object["diverged"] as? Bool == true)
            #expect(object["best_epoch"] is NSNull)
            _ = try parseJSONWithPython(Data(line.utf8))
        }
    }
}

/// Parses JSON with Python's strict parser (NaN and Infinity literals rejected).
func parseJSONWithPython(_ data: Data) throws -> Bool {
    let file = previewDirectory.appendingPathComponent("check-\(UUID().uuidString).json")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import json, sys
        def reject(token): raise ValueError("non-standard JSON literal " + token)
        json.load(open(sys.argv[1]), parse_constant=reject)
        """, file.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python rejected the JSON in \(file.path)")
    return process.terminationStatus == 0
}
