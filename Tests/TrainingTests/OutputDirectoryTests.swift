import ArgumentParser
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// The four commands that take `--output`.
enum OutputCommand: String, CaseIterable, Sendable {
    case manual = "train-manual", autograd = "train-autograd", compare = "compare-backends", sweep = "lr-sweep"

    /// Runs the command as its executable does, on one quick epoch of the fixture, into `output`.
    func run(into output: URL, _ extra: [String] = []) -> (message: String, status: Int32) {
        let arguments = ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "8", "--epochs", "1",
                         "--batch-size", "64", "--output", output.path] + extra
        switch self {
        case .manual: return runCommand(TrainManual.self, arguments)
        case .autograd: return runCommand(TrainAutoGrad.self, arguments)
        case .compare: return runCommand(CompareBackends.self, arguments)
        case .sweep: return runCommand(LRSweep.self, arguments + ["--lrs", "0.1"])
        }
    }

    /// The seed recorded in each of the run's summaries.
    func seeds(in output: URL) throws -> [Int?] {
        switch self {
        case .manual, .autograd:
            return [try RunHistory.read(from: output.appendingPathComponent("history.json")).config["seed"]?.intValue]
        case .compare:
            return try ["manual", "autograd"].map {
                try RunHistory.read(from: output.appendingPathComponent("\($0)/history.json")).config["seed"]?.intValue
            }
        case .sweep:
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("sweep.json")))
            return [((object as? [String: Any])?["config"] as? [String: Any])?["seed"] as? Int]
        }
    }
}

/// Every regular file under `directory`, by relative path, with its bytes.
func snapshot(_ directory: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for path in try FileManager.default.subpathsOfDirectory(atPath: directory.path) {
        var isDirectory: ObjCBool = false
        let url = directory.appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files[path] = try Data(contentsOf: url)
        }
    }
    return files
}

/// `--output` never replaces a run unless told to (`--overwrite`); `--resume` writes into its own.
@Suite struct OutputDirectoryTests {
    @Test(arguments: OutputCommand.allCases)
    func aUsedDirectoryIsRefusedUntouchedAndOverwriteReplacesIt(_ command: OutputCommand) throws {
        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("run")
        // `mkdir runs/x && train --output runs/x`: an existing directory with unrelated files is fine.
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: false)
        try Data("my notes".utf8).write(to: output.appendingPathComponent("notes.txt"))
        let first = command.run(into: output)
        try #require(first.status == 0, "\(first.message)")
        let before = try snapshot(output)
        // Every name a command writes is one the check knows, so none can be replaced unseen.
        let known = Set(RunDirectory.runFileNames + RunDirectory.runSubdirectoryNames + ["notes.txt"])
        let names = before.keys.map { String($0.split(separator: "/")[0]) }.filter { !$0.hasPrefix(TensorBoardEvents.fileNamePrefix) }
        #expect(Set(names).isSubset(of: known), "\(before.keys.sorted())")
        #expect(command == .sweep || before.keys.contains { $0.contains(TensorBoardEvents.fileNamePrefix) }, "no event file")
        #expect(before.count >= 4)

        // Any command, into a directory that holds a run: refused, naming it, and nothing changes.
        for other in OutputCommand.allCases {
            let again = other.run(into: output)
            #expect(again.status != 0, "\(other.rawValue) into a \(command.rawValue) run was not refused")
            for needle in [output.path, "already holds a run", "--overwrite", "new directory"] {
                #expect(again.message.contains(needle), "\(other.rawValue): message lacks \"\(needle)\": \(again.message)")
            }
            #expect(try snapshot(output) == before, "\(other.rawValue) changed the first run's files")
        }

        let replaced = command.run(into: output, ["--overwrite", "--seed", "7"])
        #expect(replaced.status == 0, "\(replaced.message)")
        #expect(try command.seeds(in: output).allSatisfy { $0 == 7 })
        #expect(try Data(contentsOf: output.appendingPathComponent("notes.txt")) == Data("my notes".utf8))
    }

    @Test func overwriteRemovesEveryFileOfTheEarlierRunAndResumeKeepsItsOwn() throws {
        let scratch = try TemporaryDirectory()
        let output = scratch.url.appendingPathComponent("run")
        #expect(OutputCommand.manual.run(into: output).status == 0)
        try Data("mine".utf8).write(to: output.appendingPathComponent("notes.txt"))

        // --resume writes into its own run (here: one killed before its final reports).
        try FileManager.default.removeItem(at: output.appendingPathComponent("history.json"))
        let both = runCommand(TrainManual.self, ["--resume", output.path, "--overwrite"])
        #expect(both.status != 0, "\(both.message)")
        #expect(both.message.contains("--overwrite replaces a run"), "\(both.message)")
        #expect(runCommand(TrainManual.self, ["--resume", output.path]).status == 0)
        #expect(try RunHistory.read(from: output.appendingPathComponent("history.json")).test != nil)

        // A replacing run that diverges in its first epoch writes no model, checkpoint or test
        // report: none of the earlier run's may be left beside its history and logs.
        #expect(OutputCommand.manual.run(into: output, ["--overwrite", "--lr", "1e6"]).status == 0)
        #expect(try RunHistory.read(from: output.appendingPathComponent("history.json")).diverged)
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path)
        let left = Set(files.filter { !$0.hasPrefix(TensorBoardEvents.fileNamePrefix) })
        #expect(left == ["history.json", MetricsLog.fileName, "loss.svg", "accuracy.svg", "notes.txt"], "\(left.sorted())")
        #expect(files.count(where: { $0.hasPrefix(TensorBoardEvents.fileNamePrefix) }) == 1, "\(files.sorted())")
    }

    @Test func aDirectoryHoldingOnlyUnrelatedFilesOrEmptyRunSubdirectoriesHoldsNoRun() throws {
        let scratch = try TemporaryDirectory()
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("manual"), withIntermediateDirectories: false)
        try Data().write(to: scratch.url.appendingPathComponent("data.csv"))
        #expect(RunDirectory.runFiles(in: scratch.url).isEmpty)
        try RunDirectory.checkAvailable(path: scratch.url.path)
        try Data().write(to: scratch.url.appendingPathComponent("manual/checkpoint.safetensors"))
        #expect(RunDirectory.runFiles(in: scratch.url) == ["manual/"])
        #expect(throws: RunDirectoryError.self) { try RunDirectory.checkAvailable(path: scratch.url.path) }
        #expect(RunDirectory.runFiles(in: scratch.url.appendingPathComponent("absent")).isEmpty)
        // A link named like a backend's run directory, pointing back up, is looked into once.
        try FileManager.default.createSymbolicLink(atPath: scratch.url.appendingPathComponent("autograd").path,
                                                   withDestinationPath: scratch.url.path)
        #expect(RunDirectory.runFiles(in: scratch.url) == ["manual/"])
    }
}
