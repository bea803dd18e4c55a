import ArgumentParser
import ArrayKit
import Foundation
import Testing
@testable import Training
@testable import TrainingCLI

/// The byte where a safetensors file's data section starts (after the length and the header).
func dataStart(_ bytes: Data) -> Int {
    8 + Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
}

/// `bytes` with the lowest bit of byte `index` inverted.
func flippingBit(of bytes: Data, at index: Int) -> Data {
    var copy = bytes
    copy[index] ^= 1
    return copy
}

/// The checksums in the files a run writes: `--resume` and `--init-from` refuse a damaged
/// file, naming it, and still take files that have no checksum.
@Suite struct CorruptedFileTests {
    static func quick(_ output: URL) -> [String] {
        ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "8", "--epochs", "1",
         "--batch-size", "64", "--output", output.path]
    }

    @Test func resumeRefusesACheckpointWithOneFlippedBit() throws {
        let scratch = try TemporaryDirectory()
        let run = scratch.url.appendingPathComponent("run")
        #expect(runCommand(TrainManual.self, Self.quick(run) + ["--epochs", "2"]).status == 0)
        try FileManager.default.removeItem(at: run.appendingPathComponent("history.json"))   // as if killed before the end
        let checkpoint = run.appendingPathComponent(TrainingCheckpoint.fileName)
        let intact = try Data(contentsOf: checkpoint)
        #expect(try Safetensors.decode(intact).hasChecksums)
        #expect(try Safetensors.read(contentsOf: run.appendingPathComponent("model.safetensors")).hasChecksums)

        // One bit in the middle of the weights, and one digit of a loss in the manifest
        // (valid JSON either way, so only the checksums can tell).
        let loss = try #require(intact.range(of: Data(#"train_loss\":"#.utf8))).upperBound
        let damaged = [("the tensor data", flippingBit(of: intact, at: (dataStart(intact) + intact.count) / 2)),
                       ("the safetensors header", flippingBit(of: intact, at: loss))]
        for (part, bytes) in damaged {
            try bytes.write(to: checkpoint)
            let before = try snapshot(run)
            let refused = runCommand(TrainManual.self, ["--resume", run.path])
            #expect(refused.status != 0)
            for needle in [checkpoint.path, part, "does not match its checksum", "corrupted", "start the run again"] {
                #expect(refused.message.contains(needle), "\(part): message lacks \"\(needle)\": \(refused.message)")
            }
            #expect(try snapshot(run) == before, "a refused resume changed the run's files")
        }

        // The intact checkpoint resumes: the refusals were the flipped bits'.
        try intact.write(to: checkpoint)
        #expect(runCommand(TrainManual.self, ["--resume", run.path]).status == 0)
    }

    @Test func initFromRefusesAModelWithOneFlippedBitAndTakesOneWithoutChecksums() throws {
        let scratch = try TemporaryDirectory()
        let model = ManualClassifier(inputs: 784, hidden: [8], classes: 10, learningRate: 0.1, seed: 3)
        let tensors = model.stateDict().map { (name: $0.0, array: $0.1) }
        let checked = scratch.url.appendingPathComponent("model.safetensors")
        try Safetensors.write(tensors, to: checked, metadata: ["format": "pt"])
        let intact = try Data(contentsOf: checked)
        try flippingBit(of: intact, at: intact.count - 3).write(to: checked)

        let output = scratch.url.appendingPathComponent("run")
        let refused = runCommand(TrainManual.self, Self.quick(output) + ["--init-from", checked.path])
        #expect(refused.status != 0)
        for needle in ["--init-from \(checked.path)", "tensor data does not match its checksum", "corrupted"] {
            #expect(refused.message.contains(needle), "message lacks \"\(needle)\": \(refused.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused run left a directory")

        // Without checksums — the bytes Python's safetensors writes (SafetensorsInteropTests) — it loads.
        let plain = scratch.url.appendingPathComponent("plain.safetensors")
        try Safetensors.write(tensors, to: plain, metadata: ["format": "pt"], checksum: false)
        #expect(try !Safetensors.read(contentsOf: plain).hasChecksums)
        let accepted = runCommand(TrainManual.self, Self.quick(output) + ["--init-from", plain.path])
        #expect(accepted.status == 0, "\(accepted.message)")
        #expect(try RunHistory.read(from: output.appendingPathComponent("history.json")).config["init_from"] == .string(plain.path))
    }
}
