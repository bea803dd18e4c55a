import Foundation

/// TensorBoard's event-file format, written natively: `tensorboard --logdir runs` shows
/// every run's curves.
///
/// A file is a sequence of TFRecords, each
/// `uint64 length · uint32 masked CRC32C(length) · data · uint32 masked CRC32C(data)` (little-endian),
/// whose data is a protobuf `tensorflow.Event`. The first event holds `file_version`
/// `"brain.Event:2"`; every other one a `Summary` of scalars (`Summary.Value.simple_value`)
/// at a step. Only the few protobuf fields needed are encoded here:
///
/// ```text
/// Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
/// Summary { repeated Value value = 1; }     Value { string tag = 1; float simple_value = 2; }
/// ```
///
/// ```swift
/// var file = TensorBoardEvents(wallTime: start)
/// file.add(step: 1, wallTime: now, scalars: [("train/loss", 2.31), ("train/lr", 0.1)])
/// try writeAtomically(file.data, to: run.file("events.out.tfevents.1770000000.host"))
/// ```
public struct TensorBoardEvents: Sendable {
    /// The file's bytes so far.
    public private(set) var data = Data()

    /// A file that starts with the `file_version` event, stamped `wallTime` (seconds since 1970).
    public init(wallTime: Double) {
        var event = Data()
        Protobuf.appendDouble(field: 1, wallTime, to: &event)
        Protobuf.appendVarint(field: 2, 0, to: &event)
        Protobuf.appendBytes(field: 3, Data("brain.Event:2".utf8), to: &event)
        appendRecord(event)
    }

    /// Appends one event with `scalars` at `step`. A value that is not finite is written as it
    /// is (TensorBoard shows NaN and infinity).
    public mutating func add(step: Int, wallTime: Double, scalars: [(tag: String, value: Double)]) {
        var summary = Data()
        for (tag, value) in scalars {
            var entry = Data()
            Protobuf.appendBytes(field: 1, Data(tag.utf8), to: &entry)
            Protobuf.appendFloat(field: 2, Float(value), to: &entry)
            Protobuf.appendBytes(field: 1, entry, to: &summary)
        }
        var event = Data()
        Protobuf.appendDouble(field: 1, wallTime, to: &event)
        Protobuf.appendVarint(field: 2, UInt64(bitPattern: Int64(step)), to: &event)
        Protobuf.appendBytes(field: 5, summary, to: &event)
        appendRecord(event)
    }

    /// Frames `payload` as one TFRecord.
    private mutating func appendRecord(_ payload: Data) {
        let length = Self.littleEndian(UInt64(payload.count))
        data += length
        data += Self.littleEndian(CRC32C.masked(length))
        data += payload
        data += Self.littleEndian(CRC32C.masked(payload))
    }

    private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> Data {
        withUnsafeBytes(of: value.littleEndian) { Data($0) }
    }

    /// The prefix of every event file's name; TensorBoard reads the files that start with it.
    public static let fileNamePrefix = "events.out.tfevents."

    /// `events.out.tfevents.<seconds since 1970>.<host>`, TensorFlow's naming.
    public static func fileName(startedAt date: Date, host: String = ProcessInfo.processInfo.hostName) -> String {
        fileNamePrefix + "\(Int(date.timeIntervalSince1970)).\(host.isEmpty ? "localhost" : host)"
    }
}

extension TensorBoardEvents {
    /// The event file of a run: per step `train/loss` and `train/lr` (from `steps`); per
    /// epoch `train/epoch_loss`, `train/accuracy`, `val/loss` and `val/accuracy`, at the
    /// epoch's last step; and `test/loss`, `test/accuracy` at the last step once tested.
    /// An epoch whose steps are not in `steps` (a run resumed from before the log existed)
    /// is placed at `epoch × stepsPerEpoch`.
    public init(history: RunHistory, steps: [StepRecord], stepsPerEpoch: Int) {
        let started = ISO8601DateFormatter().date(from: history.startedAt)?.timeIntervalSince1970
            ?? steps.first.map { $0.wallTime - $0.seconds } ?? 0
        self.init(wallTime: started)
        var next = steps[...]
        var last = (step: 0, wallTime: started)
        for record in history.epochs {
            while let step = next.first, step.epoch <= record.epoch {
                add(step: step.step, wallTime: step.wallTime, scalars: [("train/loss", step.loss), ("train/lr", step.learningRate)])
                last = (step.step, step.wallTime)
                next = next.dropFirst()
            }
            if !steps.contains(where: { $0.epoch == record.epoch }) { last.step = record.epoch * stepsPerEpoch }
            add(step: last.step, wallTime: last.wallTime,
                scalars: [("train/epoch_loss", record.trainLoss), ("train/accuracy", record.trainAccuracy),
                          ("val/loss", record.valLoss), ("val/accuracy", record.valAccuracy)])
        }
        for step in next {   // an epoch in progress (an interrupted run)
            add(step: step.step, wallTime: step.wallTime, scalars: [("train/loss", step.loss), ("train/lr", step.learningRate)])
            last = (step.step, step.wallTime)
        }
        if let test = history.test {
            add(step: last.step, wallTime: last.wallTime, scalars: [("test/loss", test.loss), ("test/accuracy", test.accuracy)])
        }
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing.
///
/// ```swift
/// CRC32C.checksum(Data("123456789".utf8))   // 0xE3069283
/// ```
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The checksum as TFRecord stores it: rotated right by 15 bits plus 0xA282EAD8, so that a
    /// CRC of data that holds CRCs does not degenerate.
    public static func masked(_ bytes: Data) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// The protobuf wire format for the field kinds an `Event` needs.
enum Protobuf {
    static func appendVarint(_ value: UInt64, to data: inout Data) {
        var value = value
        while value >= 0x80 {
            data.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        data.append(UInt8(value))
    }

    /// A field's key: its number and wire type (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit).
    static func appendKey(field: Int, wireType: UInt64, to data: inout Data) {
        appendVarint(UInt64(field) << 3 | wireType, to: &data)
    }

    static func appendVarint(field: Int, _ value: UInt64, to data: inout Data) {
        appendKey(field: field, wireType: 0, to: &data)
        appendVarint(value, to: &data)
    }

    static func appendDouble(field: Int, _ value: Double, to data: inout Data) {
        appendKey(field: field, wireType: 1, to: &data)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    static func appendFloat(field: Int, _ value: Float, to data: inout Data) {
        appendKey(field: field, wireType: 5, to: &data)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }

    static func appendBytes(field: Int, _ bytes: Data, to data: inout Data) {
        appendKey(field: field, wireType: 2, to: &data)
        appendVarint(UInt64(bytes.count), to: &data)
        data += bytes
    }
}
