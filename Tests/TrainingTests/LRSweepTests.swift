import ArgumentParser
import ArrayAssertions
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// Parses and runs `lr-sweep` as its executable does: (message, exit status).
private func sweep(_ arguments: [String]) -> (message: String, status: Int32) {
    runCommand(LRSweep.self, arguments)
}

/// The committed fixture with a small, fast model.
private func fixture(epochs: Int) -> [String] {
    ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "\(epochs)",
     "--batch-size", "64"]
}

private func json(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

/// A history whose training losses are `losses` (validation accuracy rising slowly).
private func history(losses: [Double], accuracy: Double = 0.5, diverged: String? = nil) -> RunHistory {
    var history = sampleHistory()
    history.epochs = losses.enumerated().map { index, loss in
        EpochRecord(epoch: index + 1, trainLoss: loss, trainAccuracy: 0.5, valLoss: loss, valAccuracy: accuracy,
                    learningRate: 1, seconds: 1)
    }
    history.bestEpoch = 1
    if let diverged { history.markDiverged(diverged) }
    return history
}

@Suite struct LRSweepTests {
    @Test func theDefaultRatesAreTheAssignmentsNine() throws {
        let rates = LRSweep.defaultLearningRates
        #expect(rates.count == 9)
        #expect(rates.first == 1e-6)
        #expect(rates.last == 100)
        for (a, b) in zip(rates, rates.dropFirst()) { #expect(abs(b / a - 10) < 1e-9) }
        let parsed = try #require(try LRSweep.parseAsRoot([]) as? LRSweep)
        expectEqual(parsed.learningRates, rates)
        #expect(parsed.backend == .manual)
        #expect(parsed.jobs == 1)
    }

    /// Two rates that learn and one that diverges, run two at a time and then one at a
    /// time: the same numbers either way, the diverged rate reported and never the best.
    @Test func aSweepReportsDivergenceAndKeepsItOutOfBest() throws {
        let scratch = try TemporaryDirectory()
        let parallel = scratch.url.appendingPathComponent("parallel")
        let result = sweep(fixture(epochs: 3) + ["--lrs", "0.01", "0.1", "100", "--jobs", "2", "--output", parallel.path])
        #expect(result.status == 0, "\(result.message)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: parallel.path))
        #expect(files == ["best_val_vs_lr.svg", "loss_curves.svg", "sweep.json"])

        let object = try json(parallel.appendingPathComponent("sweep.json"))
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.map { $0["lr"] as? Double } == [0.01, 0.1, 100])
        let divergent = runs[2]
        #expect(divergent["diverged"] as? Bool == true)
        #expect((divergent["reason"] as? String)?.contains("not finite") == true
                || (divergent["reason"] as? String)?.contains("became") == true, "\(divergent)")
        for run in runs.prefix(2) {
            #expect(run["diverged"] as? Bool == false)
            #expect(run["reason"] is NSNull)
            #expect(((run["best_val_accuracy"] as? Double) ?? 0) > 0.2, "above chance (0.1) by a margin: \(run)")
            #expect((run["test_accuracy"] as? Double) != nil)
            #expect((run["epochs"] as? [Any])?.count == 3)
        }
        let best = try #require(object["best_learning_rate"] as? Double)
        let learned = runs.prefix(2).map { ($0["lr"] as! Double, $0["best_val_accuracy"] as! Double) }
        #expect(best == learned.max { $0.1 < $1.1 }!.0)
        expectEqual(object["diverged_learning_rates"] as? [Double] ?? [], [100])

        let chart = try String(contentsOf: parallel.appendingPathComponent("best_val_vs_lr.svg"), encoding: .utf8)
        #expect(chart.contains("<svg"))
        #expect(chart.contains("learning rate"))
        #expect(chart.contains("best: lr = \(compactNumber(best))"))
        #expect(textContents(in: chart).contains { $0.hasPrefix("diverged: ") }, "the diverged rate is in the legend")
        let polylines = chart.components(separatedBy: "<polyline").dropFirst().map { $0.prefix { $0 != ">" } }
        #expect(!polylines.contains { $0.contains("#d62728") }, "no line joins the diverged rates")
        let curves = try String(contentsOf: parallel.appendingPathComponent("loss_curves.svg"), encoding: .utf8)
        #expect(curves.contains("lr = 100 (diverged)"))
        #expect(curves.contains("lr = 0.01<"))
        #expect(curves.contains("stroke-dasharray=\"7 4\""))

        let serial = scratch.url.appendingPathComponent("serial")
        #expect(sweep(fixture(epochs: 3) + ["--lrs", "0.01", "0.1", "100", "--output", serial.path]).status == 0)
        let again = try #require(try json(serial.appendingPathComponent("sweep.json"))["runs"] as? [[String: Any]])
        #expect(again.map { $0["best_val_accuracy"] as? Double } == runs.map { $0["best_val_accuracy"] as? Double })
        #expect(again.map { $0["test_accuracy"] as? Double } == runs.map { $0["test_accuracy"] as? Double })
    }

    @Test func aLossThatRisesAboveAUniformGuessCountsAsDiverged() {
        let rising = SweepRun(learningRate: 10, history: history(losses: [2.0, 3.5, 9.0], accuracy: 0.9), classCount: 10)
        #expect(rising.isDiverged)
        #expect(rising.divergenceReason?.contains("rose from 2 (epoch 1) to 9 (epoch 3)") == true)
        // A loss that blew up in the first epoch and then fell back to a guess's (Fashion-MNIST
        // at rate 3: 8,524 in epoch 1, then 229 and ln 10) is diverged too.
        let blownUp = SweepRun(learningRate: 3, history: history(losses: [8524, 229, 2.31], accuracy: 0.13), classCount: 10)
        #expect(blownUp.divergenceReason == "training loss reached 8524 in epoch 1, above 4 × ln(10) = 9.21 (4 times a uniform guess's loss)")
        let justBelow = SweepRun(learningRate: 2, history: history(losses: [9.2, 2.3, 2.2], accuracy: 0.2), classCount: 10)
        #expect(!justBelow.isDiverged)
        // Barely learning (a tiny rate) is slow, not diverged.
        let slow = SweepRun(learningRate: 1e-6, history: history(losses: [2.31, 2.30, 2.29], accuracy: 0.2), classCount: 10)
        #expect(!slow.isDiverged)
        let stopped = SweepRun(learningRate: 100, history: history(losses: [.nan], accuracy: 0.95, diverged: "training loss became NaN"),
                               classCount: 10)
        #expect(stopped.divergenceReason == "training loss became NaN")
        // The diverged runs had the highest accuracies; the best is still the one that trained.
        let sweep = LearningRateSweep(backend: "manual", dataset: "x", config: [:], runs: [stopped, slow, rising])
        expectEqual(sweep.runs.map(\.learningRate), [1e-6, 10, 100])
        #expect(sweep.best?.learningRate == 1e-6)
        expectEqual(sweep.divergedRates, [10, 100])
        let none = LearningRateSweep(backend: "manual", dataset: "x", config: [:], runs: [stopped, rising])
        #expect(none.best == nil)
    }

    /// Only finished runs form the curve. A stopped run is a marker alone: a dot where it has
    /// an accuracy, a cross at the bottom, named as having none, where it finished no epoch.
    @Test func runsWithoutAnAccuracyAreCrossesTheLegendSaysAreNotMeasured() throws {
        func stopped(_ rate: Double, losses: [Double], diverged: String? = nil, interrupted: Bool = false) -> SweepRun {
            var run = history(losses: losses, accuracy: 0.3, diverged: diverged)
            if losses.allSatisfy({ !$0.isFinite }) { run.bestEpoch = nil }
            return SweepRun(learningRate: rate, history: run, classCount: 10, interrupted: interrupted)
        }
        let sweep = LearningRateSweep(backend: "manual", dataset: "x", config: [:], runs: [
            SweepRun(learningRate: 0.01, history: history(losses: [1.0, 0.6], accuracy: 0.8), classCount: 10),
            SweepRun(learningRate: 0.1, history: history(losses: [0.8, 0.5], accuracy: 0.85), classCount: 10),
            stopped(1, losses: [2.0, 3.5, 9.0]),                                   // diverged after 3 epochs
            stopped(10, losses: [.nan], diverged: "training loss became NaN"),      // diverged in epoch 1
            stopped(100, losses: [.nan], diverged: "training loss became NaN"),
            stopped(0.001, losses: [1.2], interrupted: true),
            stopped(0.0001, losses: [], interrupted: true),
        ])
        let chart = sweep.bestValidationChart()
        let byName = Dictionary(uniqueKeysWithValues: chart.series.map { ($0.name, $0) })
        #expect(chart.series.map(\.name) == ["trained", "diverged: best before diverging", "diverged: no accuracy (drawn at the bottom)",
                                             "interrupted: best so far", "interrupted: no accuracy (drawn at the bottom)",
                                             "best: lr = 0.1"])
        let trained = try #require(byName["trained"])
        #expect(trained.showsLine)
        #expect(trained.x == [0.01, 0.1])
        let noAccuracy = try #require(byName["diverged: no accuracy (drawn at the bottom)"])
        #expect(!noAccuracy.showsLine)
        #expect(noAccuracy.marker == .cross)
        #expect(noAccuracy.x == [10, 100])
        #expect(noAccuracy.y == [0, 0])
        let before = try #require(byName["diverged: best before diverging"])
        #expect(!before.showsLine)
        #expect(before.marker == .dot)
        #expect(before.x == [1])
        #expect(before.y == [0.3])
        let unfinished = try #require(byName["interrupted: no accuracy (drawn at the bottom)"])
        #expect(!unfinished.showsLine)
        #expect(unfinished.marker == .cross)
        #expect(unfinished.x == [0.0001])
        #expect(unfinished.y == [0])
        #expect(byName["interrupted: best so far"]?.x == [0.001])

        let svg = chart.svg()
        _ = try parseWithPython(svg, name: "best_val_stopped_runs.svg")
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 1, "only the trained runs are joined")
        // Crosses: two diverged and one interrupted rate, and one of each in the legend.
        #expect(svg.components(separatedBy: "<path").count - 1 == 3 + 2)
        #expect(textContents(in: svg).contains("diverged: no accuracy (drawn at the bottom)"))
    }

    @Test func theRangeTestFigureNamesTheMinimumAndTheRuleItsMarksStandFor() throws {
        let rates = [0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.3, 1, 3]
        let smoothed = [2.3, 2.2, 2.0, 1.5, 1.0, 0.8, 0.6, 0.9, 3.0]
        let test = RangeTest(learningRates: rates, losses: smoothed, smoothedLosses: smoothed, stopReason: nil)
        #expect(test.minimumLossLearningRate == 0.3)
        #expect(test.suggestedLearningRate == 0.03)
        let chart = test.chart(title: "range test")
        #expect(chart.series.map(\.name) == ["batch loss", "smoothed (EMA 0.98)", "smoothed minimum: lr ≈ 0.3",
                                             "a tenth of the smoothed minimum: lr ≈ 0.03"])
        let minimum = chart.series[2], rule = chart.series[3]
        #expect(minimum.x == [0.3])
        #expect(minimum.y == [0.6])
        #expect(!minimum.showsLine)
        // 0.03 lies between two batches' rates; the mark sits on the last rate below it.
        #expect(rule.x == [0.02])
        #expect(rule.y == [1.5])
        #expect(!rule.showsLine)
        let texts = textContents(in: chart.svg())
        #expect(texts.contains("smoothed minimum: lr ≈ 0.3"))
        #expect(texts.contains("a tenth of the smoothed minimum: lr ≈ 0.03"))
    }

    @Test func jsonSummaryIsTheLastLineAndNamesTheBestRate() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-lr-sweep-\(getpid())")
            defer { try? FileManager.default.removeItem(at: output) }
            let data = Fixture.gzip
            LRSweep.main(["--data-dir", data.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "3",
                          "--batch-size", "64", "--lrs", "0.1", "100", "--backend", "autograd", "--output", output.path, "--json"])
        }
        let text = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        let last = try #require(text.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["best_learning_rate"] as? Double == 0.1)
        #expect(object["backend"] as? String == "autograd")
        expectEqual(object["diverged_learning_rates"] as? [Double] ?? [], [100])
        #expect((object["runs"] as? [[String: Any]])?.allSatisfy { $0["epochs"] == nil } == true)
    }

    @Test func theRangeTestRaisesTheRateUntilTheLossExplodes() throws {
        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("range")
        let result = sweep(fixture(epochs: 1) + ["--batch-size", "8", "--lrs", "1e-4", "1000", "--range-test", "--output", output.path])
        #expect(result.status == 0, "\(result.message)")
        let object = try json(output.appendingPathComponent("range_test.json"))
        let rates = try #require(object["learning_rates"] as? [Double])
        #expect(rates.first == 1e-4)
        #expect(rates.count >= 10)
        #expect(rates.count <= 50)
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $1 > $0 })
        #expect(object["stop_reason"] is String, "1000 is far past any usable rate: \(object)")
        let suggested = try #require(object["suggested_learning_rate"] as? Double)
        #expect(suggested >= 1e-5)
        #expect(suggested < 100)
        let minimum = try #require(object["minimum_loss_learning_rate"] as? Double)
        let svg = try String(contentsOf: output.appendingPathComponent("range_test.svg"), encoding: .utf8)
        let texts = textContents(in: svg)
        #expect(texts.contains("smoothed minimum: lr ≈ \(compactNumber(minimum, significantDigits: 2))"), "\(texts)")
        #expect(texts.contains("a tenth of the smoothed minimum: lr ≈ \(compactNumber(suggested, significantDigits: 2))"), "\(texts)")
    }

    @Test func theScheduleFigureFollowsEachSchedule() throws {
        let chart = LRSweep.scheduleChart(learningRate: 0.1, epochs: 10, stepsPerEpoch: 100)
        let byName = Dictionary(uniqueKeysWithValues: chart.series.map { ($0.name, $0) })
        // Plateau follows the validation loss, so it has no curve before training.
        #expect(Set(byName.keys) == Set(ScheduleChoice.allCases.filter { $0 != .plateau }.map(\.rawValue)))
        #expect(abs(byName["exponential"]!.y.last! - 0.1 * pow(0.9, 9)) < 1e-12)
        #expect(abs(byName["linear"]!.y.first! - 0.1 / 3) < 1e-12)
        #expect(byName["linear"]!.y.last! == 0.1)
        #expect(byName["constant"]!.y.allSatisfy { $0 == 0.1 })
        // step halves every 2 epochs: epoch 10 (x from 9 to 10) runs at 0.1 / 2⁴.
        #expect(abs(byName["step"]!.y.last! - 0.1 / 16) < 1e-12)
        #expect(byName["cosine"]!.y.first == 0.1)
        #expect(byName["cosine"]!.y.last! < 0.01)
        let onecycle = byName["onecycle"]!
        #expect(abs(onecycle.y.max()! - 0.1) < 1e-3)
        #expect(abs(onecycle.y.first! - 0.1 / 25) < 1e-12)
        #expect(onecycle.x.last! < 10)

        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("figures")
        #expect(sweep(["--plot-schedules", output.path, "--data-dir", scratch.url.appendingPathComponent("none").path]).status == 0)
        let svg = try String(contentsOf: output.appendingPathComponent("lr_schedules.svg"), encoding: .utf8)
        #expect(svg.contains(">onecycle<"))
        #expect(svg.contains(">cosine<"))
        // --lr, which help does not list for the sweep, still sets the figure's peak.
        let peaked = scratch.url.appendingPathComponent("peaked")
        #expect(sweep(["--plot-schedules", peaked.path, "--lr", "0.5"]).status == 0)
        let title = try String(contentsOf: peaked.appendingPathComponent("lr_schedules.svg"), encoding: .utf8)
        #expect(title.contains("peak lr 0.5"))
    }

    /// The sweep's rates are --lrs; --lr is listed only by the commands that train one rate.
    @Test func onlyTheCommandsThatTrainOneRateListLr() {
        #expect(!LRSweep.helpMessage().contains("--lr <"))
        #expect(LRSweep.helpMessage().contains("--lrs"))
        for help in [TrainManual.helpMessage(), TrainAutoGrad.helpMessage(), CompareBackends.helpMessage()] {
            #expect(help.contains("--lr <"), "\(help)")
        }
    }

    @Test(arguments: [(["--lrs", "0"], "--lrs: 0"), (["--lrs", "0.1", "nan"], "--lrs: nan"), (["--lrs", "0.01", "-1"], "--lrs: -1"),
                      (["--jobs", "0"], "--jobs: 0"),
                      (["--range-test", "--lrs", "0.1"], "two different rates")])
    func badFlagsAreRejectedBeforeTraining(_ arguments: [String], _ needle: String) throws {
        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("run")
        let result = sweep(fixture(epochs: 1) + arguments + ["--output", output.path])
        #expect(result.status != 0, "\(result.message)")
        #expect(result.message.contains(needle), "\(result.message)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
