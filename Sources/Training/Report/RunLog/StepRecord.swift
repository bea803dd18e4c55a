import ArrayKit
import Foundation

/// What one training step measured: one line of a run's `metrics.jsonl`.
///
/// ```swift
/// let line = StepRecord(step: 1, epoch: 1, batch: 1, loss: 2.31, learningRate: 0.1, seconds: 0.004, wallTime: 1.77e9)
/// // {"batch":1,"epoch":1,"learning_rate":0.1,"loss":2.31,"seconds":0.004,"step":1,"wall_time":1770000000}
/// ```
public struct StepRecord: Codable, Sendable, Equatable {
    /// 1-based over the whole run: `(epoch − 1) × batches per epoch + batch`.
    public var step: Int
    /// 1-based.
    public var epoch: Int
    /// 1-based within the epoch.
    public var batch: Int
    /// The batch's mean loss, computed before the update (`null` in JSON when not finite).
    @NullWhenNonFinite public var loss: Double
    /// The rate the step's update used.
    @NullWhenNonFinite public var learningRate: Double
    /// Wall-clock time of the step: fetching the batch, forward, backward and update.
    public var seconds: Double
    /// When the step ended, in seconds since 1970 (TensorBoard's `wall_time`).
    public var wallTime: Double

    /// A record from its fields.
    public init(step: Int, epoch: Int, batch: Int, loss: Double, learningRate: Double, seconds: Double, wallTime: Double) {
        self.step = step
        self.epoch = epoch
        self.batch = batch
        self.loss = loss
        self.learningRate = learningRate
        self.seconds = seconds
        self.wallTime = wallTime
    }

    private enum CodingKeys: String, CodingKey {
        case step, epoch, batch, loss, learningRate = "learning_rate", seconds, wallTime = "wall_time"
    }
}

/// A run's per-step log, `metrics.jsonl`: one ``StepRecord`` as a JSON object per line, in
/// step order. `pandas.read_json("metrics.jsonl", lines=True)` reads it.
///
/// ```swift
/// try MetricsLog.write(run.steps, to: directory.file(MetricsLog.fileName))
/// let earlier = try MetricsLog.read(from: directory.file(MetricsLog.fileName))
/// ```
public enum MetricsLog {
    /// The file name in a run directory.
    public static let fileName = "metrics.jsonl"

    /// The file's bytes: one compact JSON object per line, keys sorted.
    public static func encode(_ steps: [StepRecord]) throws -> Data {
        let encoder = ReportJSON.lineEncoder()
        var data = Data()
        for step in steps {
            data += try encoder.encode(step)
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// Writes `steps` to `url`, complete or not at all.
    public static func write(_ steps: [StepRecord], to url: URL) throws {
        try writeAtomically(encode(steps), to: url)
    }

    /// The records of a file written by ``write(_:to:)``; throws, naming the line, if one is not a record.
    public static func read(from url: URL) throws -> [StepRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunHistoryError(description: "cannot read \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        var steps: [StepRecord] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            do { steps.append(try decoder.decode(StepRecord.self, from: Data(line))) } catch {
                throw RunHistoryError(description: "\(url.path), line \(index + 1), is not a step record (\(error))")
            }
        }
        return steps
    }
}
