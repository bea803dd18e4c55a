import ArgumentParser
import ArrayAssertions
import ArrayKit
import Foundation
import Synchronization
import Testing
@testable import Training
@testable import TrainingCLI


func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

/// A run of about 12 × 50 steps on the fixture: long enough to be signalled mid-run in a debug build.
func slowRunArguments(output: URL) -> [String] {
    ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "12",
     "--batch-size", "8", "--optimizer", "adam", "--lr", "0.001", "--output", output.path]
}

/// A built executable of the package, which SwiftPM puts next to the test bundle.
private func builtExecutable(_ name: String) throws -> URL {
    let url = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent(name)
    try #require(FileManager.default.isExecutableFile(atPath: url.path), "build the package first: \(url.path) is missing")
    return url
}

/// Starts the executable `name` (`train-autograd` unless told) with `arguments`, its
/// standard output and error going to `log`, in this process's environment with the
/// variables of `environment` set.
func launch(_ arguments: [String], log: URL, executable name: String = "train-autograd",
            environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = try builtExecutable(name)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// Waits (up to a minute) until `ready` holds; false if the process ended first.
func waitUntil(while process: Process, _ ready: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if ready() { return true }
        if !process.isRunning { return ready() }
        usleep(5_000)
    }
    return false
}

/// Waits (up to a minute) until `file` exists; false if the process ended first.
func waitFor(_ file: URL, while process: Process) -> Bool { waitUntil(while: process) { exists(file) } }

/// The slow `train-autograd` run (`slowRunArguments`) started into `scratch/name`, its log in
/// `scratch/log.txt`, once its first checkpoint is on disk.
func startSlowRun(_ name: String, in scratch: TemporaryDirectory,
                  sourceLocation: SourceLocation = #_sourceLocation)
    throws -> (process: Process, run: URL, checkpoint: URL, log: URL)
{
    let run = scratch.url.appendingPathComponent(name)
    let log = scratch.url.appendingPathComponent("log.txt")
    let process = try launch(slowRunArguments(output: run), log: log)
    let checkpoint = run.appendingPathComponent(TrainingCheckpoint.fileName)
    #expect(waitFor(checkpoint, while: process), sourceLocation: sourceLocation)
    return (process, run, checkpoint, log)
}

/// The text a launched process wrote so far.
func text(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

/// Sends `signal` to `process`, waits for it, and returns its log.
func stop(_ process: Process, with signal: Int32, log: URL) -> String {
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    return text(log)
}

@Suite(.serialized) struct InterruptTests {
    @Test func ctrlCWritesACheckpointExits130AndTheRunResumesBitIdentically() throws {
        let scratch = try TemporaryDirectory()
        let (process, run, checkpoint, log) = try startSlowRun("interrupted", in: scratch)
        let output = stop(process, with: SIGINT, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("resume with: train-autograd --resume \(run.path)"), "\(output)")
        let stopped = try TrainingCheckpoint.read(from: checkpoint)
        #expect(stopped.completedEpochs < 12, "the signal arrived after the run ended")
        let partial = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        #expect(partial.epochs.count == stopped.completedEpochs)
        #expect(partial.test == nil)
        #expect(!partial.diverged)
        for figure in ["loss.svg", "accuracy.svg", "model.safetensors"] { #expect(exists(run.appendingPathComponent(figure)), "\(figure)") }

        let resumed = runCommand(TrainAutoGrad.self, ["--resume", run.path])
        #expect(resumed.status == 0, "\(resumed.message)")
        let reference = scratch.url.appendingPathComponent("uninterrupted")
        #expect(runCommand(TrainAutoGrad.self, slowRunArguments(output: reference)).status == 0)
        let a = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        let b = try RunHistory.read(from: reference.appendingPathComponent("history.json"))
        #expect(ReliabilityTests.ResumeTests.untimed(a) == ReliabilityTests.ResumeTests.untimed(b))
        #expect(a.test == b.test)
        #expect(a.bestEpoch == b.bestEpoch)
        #expect(try Data(contentsOf: run.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: reference.appendingPathComponent("model.safetensors")))
        #expect(a.test != nil)
        #expect(a.epochs.count == 12)
        // metrics.jsonl continues where the checkpoint stopped: every step once, as in the run never stopped.
        let logged = try MetricsLog.read(from: run.appendingPathComponent(MetricsLog.fileName))
        let whole = try MetricsLog.read(from: reference.appendingPathComponent(MetricsLog.fileName))
        #expect(whole.count == 12 * 50)
        #expect(logged.map(\.step) == Array(1...whole.count))
        #expect(logged.map { [$0.loss, $0.learningRate] } == whole.map { [$0.loss, $0.learningRate] })
    }

    /// `--sharpness` travels in the checkpoint's arguments: the resumed run goes on measuring,
    /// and its record equals an uninterrupted run's (timings aside).
    @Test func aRunMeasuringSharpnessResumesWithItsRecord() throws {
        let scratch = try TemporaryDirectory()
        func arguments(_ output: URL) -> [String] {
            ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16", "--epochs", "6",
             "--batch-size", "8", "--optimizer", "adam", "--lr", "0.001", "--sharpness", "40", "--output", output.path]
        }
        let run = scratch.url.appendingPathComponent("interrupted"), log = scratch.url.appendingPathComponent("log.txt")
        let process = try launch(arguments(run), log: log)
        let checkpoint = run.appendingPathComponent(TrainingCheckpoint.fileName)
        #expect(waitFor(checkpoint, while: process))
        let output = stop(process, with: SIGINT, log: log)
        #expect(process.terminationReason == .exit, "\(output)")
        #expect(process.terminationStatus == 130, "\(output)")
        let stopped = try TrainingCheckpoint.read(from: checkpoint)
        #expect(stopped.completedEpochs < 6, "the signal arrived after the run ended")
        #expect(stopped.history.initialSharpness != nil, "the signal arrived after the run ended")
        #expect(stopped.arguments.suffix(2) == ["--sharpness", "40"], "\(stopped.arguments)")
        #expect(exists(run.appendingPathComponent("sharpness.svg")))

        let resumed = runCommand(TrainAutoGrad.self, ["--resume", run.path])
        #expect(resumed.status == 0, "\(resumed.message)")
        let reference = scratch.url.appendingPathComponent("uninterrupted")
        #expect(runCommand(TrainAutoGrad.self, arguments(reference)).status == 0)
        let a = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        let b = try RunHistory.read(from: reference.appendingPathComponent("history.json"))
        var (initialA, initialB) = (try #require(a.initialSharpness), try #require(b.initialSharpness))
        (initialA.seconds, initialB.seconds) = (0, 0)
        #expect(initialA == initialB)
        #expect(ReliabilityTests.ResumeTests.untimed(a) == ReliabilityTests.ResumeTests.untimed(b))
        #expect(a.epochs.count == 6)
        #expect(a.epochs.allSatisfy { $0.sharpness != nil })
        #expect(a.test == b.test)
    }

    @Test(arguments: [0, 40, 130])
    func killMinus9LeavesTheLastCheckpointLoadable(delayMilliseconds: Int) throws {
        let scratch = try TemporaryDirectory()
        let (process, run, checkpoint, _) = try startSlowRun("killed", in: scratch)
        usleep(useconds_t(delayMilliseconds * 1_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        let loaded = try TrainingCheckpoint.read(from: checkpoint)
        #expect(loaded.completedEpochs >= 1)
        #expect(loaded.history.epochs.count == loaded.completedEpochs)
        // …and it fits the run it came from.
        let resumption = try Resumption(directory: run.path, backend: "autograd")
        let command = try resumption.command(TrainAutoGrad.self, given: TrainAutoGrad.parse([]).config, output: nil) { $0.config }
        let experiment = try Experiment(command.options, say: { _ in })
        let model = AutoGradClassifier(inputs: 784, hidden: [16], classes: 10, optimizer: .adam, learningRate: 0.001,
                                       epochs: 12, stepsPerEpoch: experiment.stepsPerEpoch, seed: 42)
        try loaded.restore(into: model, for: experiment.trainer(progress: nil))
    }

    @Test func lr100DivergesAndKeepsTheBestCheckpoint() throws {
        let scratch = try TemporaryDirectory()
        let run = scratch.url.appendingPathComponent("lr100")
        let arguments = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16",
                         "--epochs", "3", "--batch-size", "64", "--output", run.path]
        #expect(runCommand(TrainManual.self, arguments + ["--lr", "100"]).status == 0)
        let history = try RunHistory.read(from: run.appendingPathComponent("history.json"))
        // On the fixture epoch 1 ends with huge but finite losses; epoch 2 reaches NaN.
        #expect(history.diverged)
        #expect(history.bestEpoch == 1)
        #expect(history.epochs.count == 2)
        #expect(history.test != nil)
        let checkpoint = try TrainingCheckpoint.read(from: run.appendingPathComponent(TrainingCheckpoint.fileName))
        #expect(checkpoint.completedEpochs == 1)
        #expect(checkpoint.best?.epoch == 1)
        let model = try Safetensors.read(contentsOf: run.appendingPathComponent("model.safetensors"))
        let saved = try model.orderedArrays(as: Float.self).map { ($0.name, $0.array) }
        expectEqual(saved, checkpoint.best!.state.parameters)
        let refused = runCommand(TrainManual.self, ["--resume", run.path])
        #expect(refused.status != 0, "\(refused.message)")
        #expect(refused.message.contains("diverged"), "\(refused.message)")

        // Diverging within the first epoch leaves no model and no checkpoint, only the report.
        let early = scratch.url.appendingPathComponent("lr1e6")
        #expect(runCommand(TrainManual.self, Array(arguments.dropLast(2)) + ["--output", early.path, "--lr", "1e6"]).status == 0)
        let earlyHistory = try RunHistory.read(from: early.appendingPathComponent("history.json"))
        #expect(earlyHistory.diverged)
        #expect(earlyHistory.bestEpoch == nil)
        #expect(earlyHistory.test == nil)
        #expect(!exists(early.appendingPathComponent("model.safetensors")))
        #expect(!exists(early.appendingPathComponent(TrainingCheckpoint.fileName)))
        let nothing = runCommand(TrainManual.self, ["--resume", early.path])
        #expect(nothing.status != 0, "\(nothing.message)")
        #expect(nothing.message.contains("no checkpoint.safetensors"), "\(nothing.message)")
    }

    @Test func resumeRejectsOtherOptionsAndTheOtherBackend() throws {
        let scratch = try TemporaryDirectory()
        let run = scratch.url.appendingPathComponent("run")
        #expect(runCommand(TrainManual.self, ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "8",
                                              "--epochs", "1", "--batch-size", "64", "--output", run.path]).status == 0)
        try FileManager.default.removeItem(at: run.appendingPathComponent("history.json"))   // as if killed before the end
        let changed = runCommand(TrainManual.self, ["--resume", run.path, "--lr", "0.5"])
        #expect(changed.status != 0, "\(changed.message)")
        #expect(changed.message.contains("lr 0.5 (run: 0.1)"), "\(changed.message)")
        let wrongBackend = runCommand(TrainAutoGrad.self, ["--resume", run.path])
        #expect(wrongBackend.status != 0, "\(wrongBackend.message)")
        #expect(wrongBackend.message.contains("train-manual --resume"), "\(wrongBackend.message)")
        #expect(runCommand(TrainManual.self, ["--resume", run.path, "--hidden-dims", "8"]).status == 0)
        #expect(try RunHistory.read(from: run.appendingPathComponent("history.json")).test != nil)
    }
}

extension InterruptTests {
    /// `writeAtomically` never shows a partial file under the final name.
    @Suite struct AtomicWriteTests {
        final class Flag: Sendable {
            let done = Atomic<Bool>(false)
            /// The last version the reader saw whole, so the writer can wait for it.
            let lastSeen = Atomic<Int>(-1)
            let sawPartial = Atomic<Bool>(false)
        }

        /// A file of `size` bytes all equal to `version`'s low byte.
        static func contents(version: Int, size: Int) -> Data { Data(repeating: UInt8(version & 0xff), count: size) }

        /// Reads `url` until `flag` is set; returns how many complete versions and partial
        /// (short or mixed) files were seen.
        static func watch(_ url: URL, size: Int, until flag: Flag) -> (versions: Set<UInt8>, partial: Int) {
            var versions = Set<UInt8>(), partial = 0
            while !flag.done.load(ordering: .acquiring) {
                guard let data = try? Data(contentsOf: url) else { continue }
                if data.count == size, let first = data.first, data.allSatisfy({ $0 == first }) {
                    versions.insert(first)
                    flag.lastSeen.store(Int(first), ordering: .releasing)
                } else {
                    partial += 1
                    flag.sawPartial.store(true, ordering: .releasing)
                }
            }
            return (versions, partial)
        }

        @Test func aReaderNeverSeesAPartialFile() throws {
            let scratch = try TemporaryDirectory()
            let url = scratch.url.appendingPathComponent("big.bin")
            let size = 2 << 20
            try writeAtomically(Self.contents(version: 0, size: size), to: url)
            let flag = Flag()
            let writer = Thread {
                // Each rewrite starts only once the reader has seen the previous version, so the
                // reader is reading while every rename happens, however the threads are scheduled.
                for version in 1...8 {
                    let deadline = Date().addingTimeInterval(10)
                    while flag.lastSeen.load(ordering: .acquiring) < version - 1 && Date() < deadline { usleep(200) }
                    try? writeAtomically(Self.contents(version: version, size: size), to: url)
                }
                flag.done.store(true, ordering: .releasing)
            }
            writer.start()
            let seen = Self.watch(url, size: size, until: flag)
            #expect(seen.partial == 0)
            #expect(seen.versions.count >= 2, "the reader saw only \(seen.versions.sorted()): it did not overlap the writer")
            #expect(try Data(contentsOf: url) == Self.contents(version: 8, size: size))
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["big.bin"], "temporary files left")
        }

        /// The control: the same reader does catch a writer that writes in place.
        @Test func theReaderCatchesAnInPlaceWriter() throws {
            let scratch = try TemporaryDirectory()
            let url = scratch.url.appendingPathComponent("big.bin")
            let size = 1 << 20
            let flag = Flag()
            let writer = Thread {
                for version in 1...4 {
                    guard let handle = FileHandle(forWritingAtPath: url.path) ?? {
                        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                        return FileHandle(forWritingAtPath: url.path)
                    }() else { break }
                    try? handle.truncate(atOffset: 0)
                    try? handle.write(contentsOf: Self.contents(version: version, size: size / 2))
                    // Half written: give the reader (however it is scheduled) up to 2 s to look.
                    let deadline = Date().addingTimeInterval(2)
                    while !flag.sawPartial.load(ordering: .acquiring) && Date() < deadline { usleep(1_000) }
                    try? handle.write(contentsOf: Self.contents(version: version, size: size / 2))
                    try? handle.close()
                }
                flag.done.store(true, ordering: .releasing)
            }
            writer.start()
            let seen = Self.watch(url, size: size, until: flag)
            #expect(seen.partial > 0)
        }
    }
}
