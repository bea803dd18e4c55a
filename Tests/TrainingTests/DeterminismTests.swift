import ArrayAssertions
import ArrayKit
import Foundation
import Testing

/// What users rely on: a training run's results depend on its shapes and data only. The
/// same `train-manual` or `train-autograd` run, started as its own process with
/// `OPENBLAS_NUM_THREADS` set to 1, 2, 3 or 8 — alone, or while other processes keep every
/// core busy — writes the same `model.safetensors`, byte for byte, and the same
/// `history.json` but for the fields that measure time.
@Suite(.serialized) struct DeterminismTests {
    static let executables = ["train-manual", "train-autograd"]
    static let threadCounts = [1, 2, 3, 8]

    /// Two epochs of three steps on the fixture. Every step has products large enough to be
    /// split between threads (128 × 784 × 256 and 128 × 256 × 128 multiply-adds, over the
    /// 2 million below which a product runs on one thread).
    static func arguments(output: URL) -> [String] {
        ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "256", "128",
         "--batch-size", "128", "--epochs", "2", "--output", output.path]
    }

    /// What one run wrote: the model file, its history as parsed JSON, and the BLAS line of
    /// its header.
    struct Run {
        var model: [UInt8]
        var history: [String: Any]
        var blasLine: String
    }

    /// Runs `executable` to the end in its own process on `threads` threads.
    static func train(_ executable: String, threads: Int, in scratch: TemporaryDirectory,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let name = "\(executable)-\(threads)-\(UUID().uuidString.prefix(8))"
        let output = scratch.url.appendingPathComponent(name)
        let log = scratch.url.appendingPathComponent(name + ".log")
        let process = try launch(arguments(output: output), log: log, executable: executable,
                                 environment: ["OPENBLAS_NUM_THREADS": "\(threads)"])
        process.waitUntilExit()
        let printed = text(log)
        try #require(process.terminationReason == .exit && process.terminationStatus == 0,
                     "\(executable) on \(threads) threads failed: \(printed)", sourceLocation: sourceLocation)
        let history = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("history.json")))
        return Run(model: [UInt8](try Data(contentsOf: output.appendingPathComponent("model.safetensors"))),
                   history: try #require(history as? [String: Any], sourceLocation: sourceLocation),
                   blasLine: printed.split(separator: "\n").first { $0.hasPrefix("BLAS:") }.map(String.init) ?? "")
    }

    /// The header says the thread count the run was given: the variable reached the library.
    static func expectBLASLine(of run: Run, names threads: Int, _ context: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.blasLine.hasSuffix(", \(threads) thread\(threads == 1 ? "" : "s")"),
                "\(context): \(run.blasLine)", sourceLocation: sourceLocation)
        #expect(run.history["blas"] as? String == run.blasLine, "\(context): history.json's BLAS line",
                sourceLocation: sourceLocation)
    }

    /// `run` wrote what `reference` wrote. The model is compared byte by byte and, when the
    /// bytes differ, tensor by tensor, so that the report names the weights that moved.
    static func expectSameResults(_ run: Run, as reference: Run, _ context: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        if !expectEqual(run.model, reference.model, "\(context): model.safetensors bytes", sourceLocation: sourceLocation) {
            let tensors = try [run, reference].map { try Safetensors.decode(Data($0.model)).orderedArrays(as: Float.self) }
            expectEqual(tensors[0].map { ($0.name, $0.array) }, tensors[1].map { ($0.name, $0.array) },
                        "\(context): model.safetensors", sourceLocation: sourceLocation)
        }
        let (fields, expectedFields) = (JSONFields(untimed(run.history)), JSONFields(untimed(reference.history)))
        let samePaths = fields.numbers.map(\.path) == expectedFields.numbers.map(\.path)
            && fields.texts.map(\.path) == expectedFields.texts.map(\.path)
        #expect(samePaths, "\(context): history.json has other fields — \(fields.pathDifference(from: expectedFields))",
                sourceLocation: sourceLocation)
        guard samePaths else { return }
        let differentTexts = zip(fields.texts, expectedFields.texts).filter { $0.value != $1.value }
            .map { "\($0.path): \($0.value) vs \($1.value)" }
        #expect(differentTexts.isEmpty, "\(context): history.json differs at \(differentTexts.joined(separator: "; "))",
                sourceLocation: sourceLocation)
        expectEqual(fields.numbers.map(\.value), expectedFields.numbers.map(\.value), labels: fields.numbers.map(\.path),
                    "\(context): history.json", sourceLocation: sourceLocation)
    }

    /// A history without what legitimately changes from one run of the same training to
    /// the next: when it started, how long each epoch took, and the BLAS line, which names
    /// the thread count (checked on its own by `expectBLASLine`).
    static func untimed(_ history: [String: Any]) -> [String: Any] {
        var history = history
        history["started_at"] = nil
        history["blas"] = nil
        history["epochs"] = (history["epochs"] as? [[String: Any]])?.map { epoch in
            var epoch = epoch
            epoch["seconds"] = nil
            return epoch
        }
        return history
    }

    @Test(arguments: executables)
    func theSameRunWritesTheSameFilesOnAnyThreadCount(executable: String) throws {
        let scratch = try TemporaryDirectory()
        let reference = try Self.train(executable, threads: 1, in: scratch)
        Self.expectBLASLine(of: reference, names: 1, executable)
        for threads in Self.threadCounts.dropFirst() {
            let run = try Self.train(executable, threads: threads, in: scratch)
            Self.expectBLASLine(of: run, names: threads, "\(executable), \(threads) threads")
            try Self.expectSameResults(run, as: reference, "\(executable), \(threads) threads vs 1")
        }
    }

    @Test(arguments: executables)
    func theSameRunWritesTheSameFilesWhileEveryCoreIsBusy(executable: String) throws {
        let scratch = try TemporaryDirectory()
        let reference = try Self.train(executable, threads: 1, in: scratch)
        let spinners = try (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in try Self.spin() }
        defer {
            for spinner in spinners {
                kill(spinner.processIdentifier, SIGKILL)
                spinner.waitUntilExit()
            }
        }
        for threads in Self.threadCounts {
            let run = try Self.train(executable, threads: threads, in: scratch)
            Self.expectBLASLine(of: run, names: threads, "\(executable), \(threads) threads, cores busy")
            try Self.expectSameResults(run, as: reference, "\(executable), \(threads) threads with every core busy vs 1 alone")
        }
        #expect(spinners.allSatisfy { $0.isRunning }, "the busy loops ended before the runs did")
    }

    /// A shell spinning on one core until it is killed, or until this process has ended and
    /// the shell has another parent. Killed, not terminated: it inherits the test process's
    /// blocked signals, SIGTERM among them.
    static func spin() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"while read -r stat < /proc/$$/stat && set -- $stat && [ "$4" = "$PPID" ]; do :; done"#]
        try process.run()
        return process
    }
}

/// The leaves of a parsed JSON value under their paths (`epochs[1].train_loss`), keys in
/// sorted order: the numbers (booleans among them, as 0 and 1), and the rest (strings,
/// null) as text.
struct JSONFields {
    var numbers: [(path: String, value: Double)] = []
    var texts: [(path: String, value: String)] = []

    init(_ value: Any) { collect(value, at: "") }

    private mutating func collect(_ value: Any, at path: String) {
        switch value {
        case let object as [String: Any]:
            for key in object.keys.sorted() { collect(object[key]!, at: path.isEmpty ? key : "\(path).\(key)") }
        case let array as [Any]:
            for (index, element) in array.enumerated() { collect(element, at: "\(path)[\(index)]") }
        case let string as String:
            texts.append((path, string))
        case let number as NSNumber:
            numbers.append((path, number.doubleValue))
        default:
            texts.append((path, "\(value)"))
        }
    }

    /// The paths only one side has, for a report.
    func pathDifference(from other: JSONFields) -> String {
        let mine = Set(numbers.map(\.path) + texts.map(\.path)), theirs = Set(other.numbers.map(\.path) + other.texts.map(\.path))
        return "only here: \(mine.subtracting(theirs).sorted()), only in the reference: \(theirs.subtracting(mine).sorted())"
    }
}
