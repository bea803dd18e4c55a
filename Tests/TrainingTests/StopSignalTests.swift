import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

private func json(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

/// Whether `url` is a whole SVG document (a half-written one would lack its end).
private func isCompleteSVG(_ url: URL) -> Bool {
    guard let svg = try? String(contentsOf: url, encoding: .utf8) else { return false }
    return svg.contains("<svg") && svg.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("</svg>")
}

/// The names in `directory`: nothing else (no temporary file of an atomic write) may be left.
/// The names in `directory`, a TensorBoard event file's (named by time and host) as `events.out.tfevents.*`.
private func names(_ directory: URL) throws -> Set<String> {
    Set(try FileManager.default.contentsOfDirectory(atPath: directory.path).map {
        $0.hasPrefix(TensorBoardEvents.fileNamePrefix) ? TensorBoardEvents.fileNamePrefix + "*" : $0
    })
}

/// SIGTERM (`kill`, systemd, Docker, CI) stops every command as Ctrl-C does, with status 143;
/// compare-backends and lr-sweep stop cleanly on both.
@Suite(.serialized) struct StopSignalTests {
    @Test func sigtermStopsTrainAutogradLikeCtrlCWithStatus143() throws {
        let scratch = try TemporaryDirectory()
        let (process, run, checkpoint, log) = try startSlowRun("terminated", in: scratch)
        let output = stop(process, with: SIGTERM, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == 143, "\(output)")
        #expect(output.contains("interrupted by SIGTERM"),
                "\(output)")
        #expect(output.contains("resume with: train-autograd --resume \(run.path)"),
                "\(output)")
        let stopped = try TrainingCheckpoint.read(from: checkpoint)
        #expect(stopped.completedEpochs < 12, "the signal arrived after the run ended")
        let partial = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        #expect(partial.epochs.count == stopped.completedEpochs)
        #expect(partial.test == nil)
        #expect(!partial.diverged)
        #expect(try names(run) == ["checkpoint.safetensors", "history.json", "loss.svg", "accuracy.svg", "model.safetensors",
                                   "metrics.jsonl", "events.out.tfevents.*"])
        #expect(isCompleteSVG(run.appendingPathComponent("loss.svg")))
        // The run it leaves is one --resume accepts.
        _ = try Resumption(directory: run.path, backend: "autograd")
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func compareBackendsStopsBothBackendsAtTheSameStep(signal: Int32, status: Int32) throws {
        let scratch = try TemporaryDirectory()
        let root = scratch.url.appendingPathComponent("compare")
        let log = scratch.url.appendingPathComponent("log.txt")
        let arguments = Array(slowRunArguments(output: root).dropLast(6)) + ["--output", root.path]   // plain SGD
        let process = try launch(arguments, log: log, executable: "compare-backends")
        // Both train in turns, so once manual's first checkpoint exists the run is mid-way.
        #expect(waitFor(root.appendingPathComponent("manual/\(TrainingCheckpoint.fileName)"), while: process))
        let output = stop(process, with: signal, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == status, "\(output)")
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(output.contains("interrupted by \(name): both backends stopped at the same step"), "\(output)")
        #expect(output.contains("rerun with: compare-backends --hidden-dims 16"), "\(output)")

        let manual = try TrainingCheckpoint.read(from: root.appendingPathComponent("manual/\(TrainingCheckpoint.fileName)"))
        let autograd = try TrainingCheckpoint.read(from: root.appendingPathComponent("autograd/\(TrainingCheckpoint.fileName)"))
        #expect(manual.completedEpochs < 12, "the signal arrived after the run ended")
        #expect(manual.completedEpochs == autograd.completedEpochs,
                "manual at \(manual.completedEpochs)+\(manual.batchesIntoEpoch), autograd at \(autograd.completedEpochs)+\(autograd.batchesIntoEpoch)")
        #expect(manual.batchesIntoEpoch == autograd.batchesIntoEpoch,
                "manual at \(manual.completedEpochs)+\(manual.batchesIntoEpoch), autograd at \(autograd.completedEpochs)+\(autograd.batchesIntoEpoch)")
        let epochs = manual.completedEpochs
        for backend in ["manual", "autograd"] {
            let run = root.appendingPathComponent(backend)
            let history = try RunHistory.read(from: run.appendingPathComponent("history.json"))
            #expect(history.epochs.count == epochs, "\(backend)")
            #expect(history.test == nil, "\(backend)")
            #expect(isCompleteSVG(run.appendingPathComponent("loss.svg")), "\(backend)")
        }
        #expect(try names(root) == ["comparison.svg", "comparison.txt", "manual", "autograd"])
        #expect(isCompleteSVG(root.appendingPathComponent("comparison.svg")))
        let table = try String(contentsOf: root.appendingPathComponent("comparison.txt"), encoding: .utf8)
        #expect(table.contains("interrupted by \(name) after \(epochs) of 12 epochs"), "\(table)")
        #expect(epochs == 0 || table.contains("the backends agree"), "\(table)")
        let rows = table.split(separator: "\n").filter { $0.split(separator: " ").first.flatMap { Int($0) } != nil }
        #expect(rows.count == epochs, "\(table)")
    }

    /// Four rates two at a time: SIGTERM stops the two running at their next step and starts no other.
    @Test func lrSweepSigtermStopsTheRunningRatesAndWritesWhatRan() throws {
        let scratch = try TemporaryDirectory()
        let root = scratch.url.appendingPathComponent("sweep")
        let log = scratch.url.appendingPathComponent("log.txt")
        let rates = ["0.001", "0.01", "0.1", "0.3"]
        let arguments = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16",
                         "--epochs", "30", "--batch-size", "8", "--lrs"] + rates + ["--jobs", "2", "--output", root.path]
        let process = try launch(arguments, log: log, executable: "lr-sweep")
        #expect(waitUntil(while: process) { text(log).contains("output: ") })
        usleep(300_000)   // into the first two rates' 30 epochs
        let output = stop(process, with: SIGTERM, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == 143, "\(output)")
        #expect(output.contains("interrupted by SIGTERM"),
                "\(output)")
        #expect(output.contains("rerun the unfinished rate(s) with: lr-sweep"),
                "\(output)")

        #expect(try names(root) == ["best_val_vs_lr.svg", "loss_curves.svg", "sweep.json"])
        for figure in ["best_val_vs_lr.svg", "loss_curves.svg"] { #expect(isCompleteSVG(root.appendingPathComponent(figure)), "\(figure)") }
        let sweep = try json(root.appendingPathComponent("sweep.json"))
        let runs = try #require(sweep["runs"] as? [[String: Any]])
        let stopped = runs.filter { $0["interrupted"] as? Bool == true }
        #expect(!stopped.isEmpty, "the signal arrived after the sweep ended: \(runs.count) runs")
        #expect(runs.count < 4, "the signal arrived after the sweep ended: \(runs.count) runs")
        for run in stopped {
            #expect(((run["epochs"] as? [Any])?.count ?? 30) < 30, "\(run)")
            #expect(run["test_accuracy"] is NSNull, "\(run)")
        }
        // A stopped rate trained less than the others, so it is never the best.
        let best = sweep["best_learning_rate"] as? Double
        #expect(best == nil || !stopped.contains { $0["lr"] as? Double == best })
    }

    /// One rate at a time: Ctrl-C stops the first rate mid-run; the others never start and
    /// the rerun command names all of them.
    @Test func lrSweepCtrlCStopsAtTheNextStepAndExits130() throws {
        let scratch = try TemporaryDirectory()
        let root = scratch.url.appendingPathComponent("sweep")
        let log = scratch.url.appendingPathComponent("log.txt")
        let arguments = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16",
                         "--epochs", "30", "--batch-size", "8", "--lrs", "0.01", "0.1", "--output", root.path]
        let process = try launch(arguments, log: log, executable: "lr-sweep")
        #expect(waitUntil(while: process) { text(log).contains("epoch  2/30") })
        let output = stop(process, with: SIGINT, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("lr 0.01: interrupted after"), "\(output)")
        #expect(output.contains("--lrs 0.01 0.1"), "\(output)")
        let sweep = try json(root.appendingPathComponent("sweep.json"))
        let runs = try #require(sweep["runs"] as? [[String: Any]])
        try #require(runs.count == 1, "\(runs)")
        #expect(runs[0]["lr"] as? Double == 0.01)
        #expect(runs[0]["interrupted"] as? Bool == true)
        let epochs = (runs[0]["epochs"] as? [Any])?.count ?? 0
        #expect(epochs >= 2)
        #expect(epochs < 30)
        #expect(sweep["best_learning_rate"] is NSNull)
        #expect(isCompleteSVG(root.appendingPathComponent("loss_curves.svg")))
    }
}
