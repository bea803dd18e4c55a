import Foundation
import ReferencePython
import Testing
@testable import Training
@testable import TrainingCLI

/// A run's logs: typed settings in history.json (old files still read), metrics.jsonl, and
/// TensorBoard event files checked byte by byte and, where the `tensorboard` package is
/// installed, read back by TensorBoard itself.
@Suite struct RunLogTests {
    /// One quick train-autograd run on the fixture (2 epochs of 6 steps), into `output`.
    static func quickRun(into output: URL, _ extra: [String] = []) throws {
        let result = runCommand(TrainAutoGrad.self, ["--data-dir", Fixture.gzip.path, "--validation-size", "100", "--hidden-dims", "16",
                                                     "--epochs", "2", "--batch-size", "64", "--output", output.path] + extra)
        try #require(result.status == 0, "\(result.message)")
    }

    @Suite struct HistoryTests {
        /// history.json's settings decode into typed fields: a string "0.1" or "false" would not.
        @Test func settingsAreTypedJSON() throws {
            let scratch = try TemporaryDirectory()
            try RunLogTests.quickRun(into: scratch.url, ["--batch-norm", "--momentum", "0.9"])
            struct Typed: Decodable {
                struct Config: Decodable {
                    let lr: Double, momentum: Double, batch_norm: Bool, shuffle: Bool, hidden_dims: [Int], seed: Int, epochs: Int
                    let optimizer: String
                }
                let config: Config
                let format_version: Int
            }
            let typed = try JSONDecoder().decode(Typed.self, from: Data(contentsOf: scratch.url.appendingPathComponent("history.json")))
            #expect(typed.format_version == 2)
            #expect(typed.config.lr == 0.1)
            #expect(typed.config.momentum == 0.9)
            #expect(typed.config.batch_norm)
            #expect(typed.config.shuffle)
            #expect(typed.config.hidden_dims == [16])
            #expect(typed.config.seed == 42)
            #expect(typed.config.epochs == 2)
            #expect(typed.config.optimizer == "sgd")
        }

        /// A history.json of format 1 (every setting a string; the committed figures' files are
        /// such) reads with its settings typed; a newer format is refused by name.
        @Test func formatOneReadsTypedAndANewerFormatIsRefused() throws {
            let old = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Docs/figures/manual-default/history.json")
            #expect(try String(contentsOf: old, encoding: .utf8).contains("\"lr\" : \"0.1\""), "the fixture is no longer format 1")
            let history = try RunHistory.read(from: old)
            #expect(history.formatVersion == 2)
            #expect(history.config["lr"] == .number(0.1))
            #expect(history.config["hidden_dims"] == [128])
            #expect(history.config["shuffle"] == true)
            #expect(history.config["seed"] == 42)
            #expect(history.config["dataset"] == "fashion-mnist")
            #expect(!history.epochs.isEmpty)

            let scratch = try TemporaryDirectory()
            let future = scratch.url.appendingPathComponent("history.json")
            let text = try String(contentsOf: old, encoding: .utf8).replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : 3")
            try Data(text.utf8).write(to: future)
            #expect {
                try RunHistory.read(from: future)
            } throws: { error in
                "\(error)".contains("format_version 3 is newer than this program reads") && "\(error)".contains(future.path)
            }
        }

        @Test func upgradingTypesKnownKeysOnly() {
            #expect(ConfigValue.upgrading("hidden_dims", from: "") == [])
            #expect(ConfigValue.upgrading("hidden_dims", from: "256 128") == [256, 128])
            #expect(ConfigValue.upgrading("batch_norm", from: "false") == false)
            #expect(ConfigValue.upgrading("lr", from: "1e-05") == .number(1e-5))
            #expect(ConfigValue.upgrading("seed", from: "18446744073709551615") == "18446744073709551615")
            #expect(ConfigValue.upgrading("dataset", from: "10") == "10")
            #expect(ConfigValue.upgrading("lr", from: "fast") == "fast")
        }
    }

    /// metrics.jsonl has every step once, in order, and its losses make up each epoch's training loss.
    @Test func metricsLogHoldsEveryStep() throws {
        let scratch = try TemporaryDirectory()
        try Self.quickRun(into: scratch.url)
        let steps = try MetricsLog.read(from: scratch.url.appendingPathComponent(MetricsLog.fileName))
        let history = try RunHistory.read(from: scratch.url.appendingPathComponent("history.json"))
        let perEpoch = 400 / 64
        #expect(steps.map(\.step) == Array(1...2 * perEpoch))
        #expect(steps.map(\.epoch) == Array(repeating: 1, count: perEpoch) + Array(repeating: 2, count: perEpoch))
        #expect(steps.allSatisfy { $0.learningRate == 0.1 && $0.loss.isFinite && $0.seconds > 0 && $0.wallTime > 1.7e9 })
        for record in history.epochs {
            let losses = steps.filter { $0.epoch == record.epoch }.map { $0.loss * 64 }
            let mean = losses.reduce(0, +) / Double(losses.count * 64)
            #expect(abs(mean - record.trainLoss) <= 1e-12 * record.trainLoss, "epoch \(record.epoch)")
        }
    }

    @Suite struct TensorBoardTests {
        /// RFC 3720's test vectors and the usual check string.
        @Test func crc32cMatchesKnownVectors() {
            #expect(CRC32C.checksum(Data("123456789".utf8)) == 0xE306_9283)
            #expect(CRC32C.checksum(Data(repeating: 0, count: 32)) == 0x8A91_36AA)
            #expect(CRC32C.checksum(Data(repeating: 0xFF, count: 32)) == 0x62A8_AB43)
            #expect(CRC32C.checksum(Data((0..<32).map { UInt8($0) })) == 0x46DD_794E)
            #expect(CRC32C.checksum(Data()) == 0)
        }

        /// The records of an event file, each checked: length, then its masked CRC, then the data's.
        static func records(_ data: Data) throws -> [Data] {
            let bytes = [UInt8](data)
            func word<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
                (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[at + $1]) << (8 * $1) }
            }
            var records: [Data] = [], at = 0
            while at < bytes.count {
                try #require(at + 12 <= bytes.count, "a record header is cut short at byte \(at)")
                let length = Int(word(at, UInt64.self))
                #expect(word(at + 8, UInt32.self) == CRC32C.masked(Data(bytes[at..<at + 8])), "length CRC at \(at)")
                try #require(at + 12 + length + 4 <= bytes.count, "record at \(at) runs past the end")
                let payload = Data(bytes[(at + 12)..<(at + 12 + length)])
                #expect(word(at + 12 + length, UInt32.self) == CRC32C.masked(payload), "data CRC at \(at)")
                records.append(payload)
                at += 12 + length + 4
            }
            return records
        }

        /// The framing and the protobuf bytes of two events, spelled out by hand from the wire format.
        @Test func recordsAndEventsHaveTheWireFormat() throws {
            var file = TensorBoardEvents(wallTime: 1.5)
            file.add(step: 300, wallTime: 2.0, scalars: [("a/b", 0.5)])
            let records = try Self.records(file.data)
            try #require(records.count == 2)
            let version: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,   // wall_time = 1.5
                                    0x10, 0x00,                             // step = 0
                                    0x1A, 13] + Array("brain.Event:2".utf8) // file_version
            #expect([UInt8](records[0]) == version)
            let value: [UInt8] = [0x0A, 3] + Array("a/b".utf8) + [0x15, 0, 0, 0, 0x3F]   // tag, simple_value = 0.5
            let scalar: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0, 0x40,    // wall_time = 2.0
                                   0x10, 0xAC, 0x02,                    // step = 300 (varint)
                                   0x2A, UInt8(value.count + 2), 0x0A, UInt8(value.count)] + value   // summary { value { … } }
            #expect([UInt8](records[1]) == scalar)
            #expect(TensorBoardEvents.fileName(startedAt: Date(timeIntervalSince1970: 1_770_000_000), host: "box")
                    == "events.out.tfevents.1770000000.box")
        }

        /// TensorBoard's own reader finds every step's loss and rate and every epoch's
        /// validation metrics in a run's event file. Needs `pip install tensorboard`.
        @Test(.enabled(if: hasTensorBoard, "python3 cannot import tensorboard (pip install tensorboard): the event file is checked above, byte by byte, but not read back by TensorBoard"))
        func tensorBoardReadsTheRunBack() throws {
            let scratch = try TemporaryDirectory()
            try RunLogTests.quickRun(into: scratch.url)
            let script = """
                import json, sys
                from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
                events = EventAccumulator(sys.argv[1]); events.Reload()
                print(json.dumps({tag: [[e.step, e.value] for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}))
                """
            let output = try ReferencePython.run(script, [scratch.url.path])
            let scalars = try JSONDecoder().decode([String: [[Double]]].self, from: output)
            let steps = try MetricsLog.read(from: scratch.url.appendingPathComponent(MetricsLog.fileName))
            let history = try RunHistory.read(from: scratch.url.appendingPathComponent("history.json"))
            #expect(scalars["train/loss"]?.map { $0[0] } == steps.map { Double($0.step) })
            #expect(scalars["train/loss"]?.map { $0[1] } == steps.map { Double(Float($0.loss)) })
            #expect(scalars["train/lr"]?.map { $0[1] } == steps.map { Double(Float($0.learningRate)) })
            #expect(scalars["val/accuracy"]?.map { $0[0] } == [6, 12])
            #expect(scalars["val/accuracy"]?.map { $0[1] } == history.epochs.map { Double(Float($0.valAccuracy)) })
            #expect(scalars["val/loss"]?.map { $0[1] } == history.epochs.map { Double(Float($0.valLoss)) })
            #expect(scalars["test/accuracy"]?.map { $0[1] } == [Double(Float(history.test!.accuracy))])
        }

        static let hasTensorBoard = (try? ReferencePython.run("import tensorboard.backend.event_processing.event_accumulator")) != nil
    }
}
