import ArgumentParser
import ArrayAssertions
@testable import TrainingCLI
import Foundation
import Testing
@testable import Training

/// The committed fixture: 500 training and 100 test samples of Fashion-MNIST.
enum Fixture {
    static let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static let gzip = root.appendingPathComponent("fashion-mnist-mini")
    static let plain = root.appendingPathComponent("fashion-mnist-mini-plain")
    static let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    /// `sha256sum` of the plain files (see Fixtures/README.md).
    static let sha256 = [
        "171ebf5caf1c6791912b2c82779f57790c0739329edbbd0a912585ca0fa8370c",
        "74e56838c3245299562c0278b68073d8357f42a947198dbf5d58683ce2223c35",
        "10011aad7e104ca4844b2f2ec20ea5e697cc6fe044fcdfe102805b0cffb2c8b5",
        "825f333513fdd542aa1aa55ded6b697992e3bbc01f304e46fd0126ead73ad4d6",
    ]
    /// The first ten training labels, as NumPy reads them.
    static let firstTrainLabels: [UInt8] = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]

    static func bytes(_ directory: URL, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func dataset(plain: Bool = false) throws -> Dataset {
        try Dataset.load(.directory(plain ? Fixture.plain : Fixture.gzip), locator: DatasetLocator(environment: [:]))
    }
}

/// Two image sets are the same: their sizes, then pixels and labels through `expectEqual`,
/// so a difference is reported by index and count rather than as the pixels themselves.
func expectEqual(_ actual: LabeledImages, _ expected: LabeledImages, _ comment: String = "images",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count,
            "\(comment): count, rows and columns", sourceLocation: sourceLocation)
    #expect(actual.rows == expected.rows,
            "\(comment): count, rows and columns", sourceLocation: sourceLocation)
    #expect(actual.columns == expected.columns,
            "\(comment): count, rows and columns", sourceLocation: sourceLocation)
    expectEqual(actual.pixels, expected.pixels, "\(comment): pixels", sourceLocation: sourceLocation)
    expectEqual(actual.labels, expected.labels, "\(comment): labels", sourceLocation: sourceLocation)
}

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ bytes: [UInt8], _ name: String) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    /// Copies the fixture's files (gzip or plain) here, optionally replacing some.
    func copyFixture(plain: Bool = false, replacing: [String: [UInt8]] = [:]) throws {
        let source = plain ? Fixture.plain : Fixture.gzip
        for name in Fixture.names {
            let file = plain ? name : name + ".gz"
            try write(replacing[file] ?? Fixture.bytes(source, file), file)
        }
    }

    var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }
}

/// An IDX header followed by `payload`.
func idx(magic: UInt32, dimensions: [UInt32], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    for word in [magic] + dimensions { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> UInt32($0)) } }
    return bytes + payload
}

/// gzip-compresses `bytes` with the system's gzip tool (an independent implementation).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let directory = try TemporaryDirectory()
    let file = directory.url.appendingPathComponent("data")
    try Data(bytes).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", "-9", file.path]
    try process.run()
    process.waitUntilExit()
    return [UInt8](try Data(contentsOf: directory.url.appendingPathComponent("data.gz")))
}

/// The error `body` throws, as a `DatasetError`.
func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do { try body() } catch let error as DatasetError { return error } catch { return nil }
    return nil
}

/// Parses and runs `type` exactly as its executable does (arguments normalized as
/// `main` normalizes them), returning the message it would print and the status it would
/// exit with (0 when nothing was thrown).
func runCommand<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String]) -> (message: String, status: Int32) {
    do {
        var command = try type.parseAsRoot(ExperimentOptions.normalizedArguments(arguments))
        try command.run()
        return ("", 0)
    } catch {
        return (type.message(for: error), type.exitCode(for: error).rawValue)
    }
}
