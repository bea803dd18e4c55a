import Foundation
import Testing
@testable import Training

@Suite struct RunDirectoryTests {
    @Test func defaultIsBackendAndTimestampUnderRunsAndUnique() throws {
        let root = try makeScratchDirectory().appendingPathComponent("runs")
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let first = try RunDirectory(path: nil, backend: "manual", date: date, root: root)
        let second = try RunDirectory(path: nil, backend: "manual", date: date, root: root)
        let stamp = RunDirectory.timestamp(date)
        #expect(stamp.count == 15)
        #expect(stamp.contains("-"))
        #expect(first.url.lastPathComponent == "manual-\(stamp)")
        #expect(second.url.lastPathComponent == "manual-\(stamp)-2")
        #expect(first.isNew)
        #expect(second.isNew)
        #expect(try FileManager.default.contentsOfDirectory(atPath: first.url.path).isEmpty, "the write probe is removed")
    }

    @Test func givenPathIsCreatedWithParentsOrReused() throws {
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let nested = try RunDirectory(path: scratch.path + "/a/b/run", backend: "autograd")
        #expect(nested.url.path == scratch.path + "/a/b/run")
        #expect(nested.isNew)
        try nested.write("hello", to: "note.txt")
        let again = try RunDirectory(path: scratch.path + "/a/b/run", backend: "autograd")
        #expect(!again.isNew)
        again.discard()   // it existed before: left alone
        #expect(FileManager.default.fileExists(atPath: nested.file("note.txt").path))
        nested.discard()  // created by that run: removed with its parents it created
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/a"))
    }

    @Test func aFileInThePathIsAClearErrorAndNothingIsCreated() throws {
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        try Data("x".utf8).write(to: scratch.appendingPathComponent("plain-file"))
        #expect {
            try RunDirectory(path: scratch.path + "/plain-file/run", backend: "manual")
        } throws: { error in
            let text = "\(error)"
            return error is RunDirectoryError && text.contains("plain-file is a file, not a directory") && text.contains("--output")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["plain-file"])
    }

    @Test func aFailureHalfwayRemovesTheParentsItCreated() throws {
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // "a" and "b" can be made; a 300-byte name cannot (NAME_MAX is 255).
        let path = scratch.path + "/a/b/" + String(repeating: "x", count: 300)
        #expect { try RunDirectory(path: path, backend: "manual") } throws: { error in
            "\(error)".contains("cannot create the run directory") && "\(error)".contains("File name too long")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test func anUnwritableDirectoryIsAClearError() throws {
        // Root ignores permission bits, so use a directory no one can create files in.
        #expect { try RunDirectory(path: "/proc", backend: "manual") } throws: { error in
            "\(error)".contains("cannot write into the run directory /proc")
        }
        #expect { try RunDirectory(path: "/proc/backprop-run", backend: "manual") } throws: { error in
            "\(error)".contains("cannot create the run directory /proc/backprop-run")
        }
        #expect { try RunDirectory(path: "", backend: "manual") } throws: { "\($0)".contains("empty path") }
    }

    @Test func reportWritesEveryFileCompleteAndValid() throws {
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = try RunDirectory(path: scratch.path + "/run", backend: "manual")
        try run.writeReport(sampleHistory(diverged: true))
        let files = try FileManager.default.contentsOfDirectory(atPath: run.url.path).sorted()
        #expect(files == ["accuracy.svg", "confusion_matrix.svg", "history.json", "loss.svg", "test_report.txt"])
        for svg in files where svg.hasSuffix(".svg") {
            let text = try String(contentsOf: run.file(svg), encoding: .utf8)
            _ = try parseWithPython(text, name: "report-\(svg)")
            #expect(!text.contains("NaN"))
        }
        #expect(try RunHistory.read(from: run.file("history.json")).diverged)
        let report = try String(contentsOf: run.file("test_report.txt"), encoding: .utf8)
        #expect(report.hasPrefix("test loss 0.43, accuracy 0.7500"))
        #expect(report.contains("macro avg"))
    }

    @Test func writingIntoAVanishedDirectoryFailsWithoutLeavingAFile() throws {
        let scratch = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = try RunDirectory(path: scratch.path + "/run", backend: "manual")
        try FileManager.default.removeItem(at: run.url)
        #expect { try run.write("x", to: "history.json") } throws: { "\($0)".contains("cannot write") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }
}

extension RunDirectoryTests {
    @Suite struct ProgressReporterTests {
        final class Capture: @unchecked Sendable {
            var text = ""
        }

        func record(_ epoch: Int) -> EpochRecord {
            EpochRecord(epoch: epoch, trainLoss: 0.5, trainAccuracy: 0.8, valLoss: 0.45, valAccuracy: 0.82,
                        learningRate: 0.1, seconds: 2)
        }

        @Test func pipedOutputIsOnePlainLinePerEpoch() {
            let capture = Capture()
            let progress = ProgressReporter(style: .lines, write: { capture.text += $0 })
            for epoch in 1...3 {
                progress.beginEpoch(epoch, of: 3, batchCount: 50)
                for _ in 0..<50 { progress.batchFinished(loss: 0.5, samples: 128) }
                progress.endEpoch(record(epoch))
            }
            let lines = capture.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 4)
            #expect(lines.last == "")
            #expect(lines[0] == "epoch 1/3  train loss 0.5000 acc 0.8000 | val loss 0.4500 acc 0.8200 | lr 0.1 | 2.0s")
            #expect(!capture.text.contains("\r"))
            #expect(!capture.text.contains("\u{1B}"))
        }

        @Test func terminalBarRedrawsInPlaceWithLossAndRate() {
            let capture = Capture()
            var time = 0.0
            let progress = ProgressReporter(style: .bar, width: 100, write: { capture.text += $0 }, clock: { time })
            progress.beginEpoch(2, of: 10, batchCount: 4)
            for loss in [1.0, 0.8, 0.6, 0.4] {
                time += 0.5
                progress.batchFinished(loss: loss, samples: 100)
            }
            let frames = capture.text.split(separator: "\r").filter { !$0.isEmpty }
            #expect(frames.count == 5, "one frame at the start, one per batch (each ≥ 0.1 s apart)")
            let last = String(frames.last!)
            #expect(last.hasPrefix("epoch 2/10 [########"))
            #expect(last.contains("4/4"))
            #expect(last.contains("loss 0.7000"))
            #expect(last.contains("200 samples/s"))
            #expect(last.contains("ETA 0s"))
            #expect(frames.allSatisfy { $0.count <= 100 + 3 })   // width - 1 plus the clear-line code
            progress.endEpoch(record(2))
            #expect(capture.text.hasSuffix("\r\u{1B}[Kepoch  2/10  train loss 0.5000 acc 0.8000 | val loss 0.4500 acc 0.8200 | lr 0.1 | 2.0s\n"))
        }

        @Test func barThrottlesRedrawsForFastBatches() {
            let capture = Capture()
            var time = 0.0
            let progress = ProgressReporter(style: .bar, write: { capture.text += $0 }, clock: { time })
            progress.beginEpoch(1, of: 1, batchCount: 1000)
            for _ in 0..<1000 {
                time += 0.001
                progress.batchFinished(loss: 0.3, samples: 32)
            }
            let frames = capture.text.split(separator: "\r").filter { !$0.isEmpty }
            #expect(frames.count >= 10, "about ten redraws per second, got \(frames.count)")
            #expect(frames.count <= 12, "about ten redraws per second, got \(frames.count)")
            #expect(frames.last!.contains("1000/1000"))
        }

        @Test func formatsRatesAndDurations() {
            #expect(ProgressReporter.rateText(950) == "950")
            #expect(ProgressReporter.rateText(8123) == "8.1k")
            #expect(ProgressReporter.rateText(41_000) == "41k")
            #expect(ProgressReporter.durationText(42) == "42s")
            #expect(ProgressReporter.durationText(125) == "2m05s")
            #expect(ProgressReporter.durationText(3720) == "1h02m")
            #expect(ProgressReporter.durationText(.nan) == "?")
        }

        @Test func pipedStreamsAreNotTerminals() {
            // Under `swift test` stdout is a pipe or file, never a terminal.
            #expect(ProgressStream.standardOutput.isTerminal == (isatty(1) == 1))
            #expect(ProgressReporter(stream: .standardError).style == (isatty(2) == 1 ? .bar : .lines))
        }
    }
}
