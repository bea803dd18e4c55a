import ArrayKit
import Foundation

/// What one epoch of training measured. Losses are means over samples; accuracies are over
/// every sample of the split. Non-finite values are written to JSON as `null`.
///
/// ```swift
/// history.epochs.append(EpochRecord(epoch: 1, trainLoss: 0.52, trainAccuracy: 0.81,
///                                   valLoss: 0.44, valAccuracy: 0.84, learningRate: 0.1, seconds: 3.2))
/// ```
public struct EpochRecord: Codable, Sendable, Equatable {
    /// 1-based.
    public var epoch: Int
    @NullWhenNonFinite public var trainLoss: Double
    @NullWhenNonFinite public var trainAccuracy: Double
    @NullWhenNonFinite public var valLoss: Double
    @NullWhenNonFinite public var valAccuracy: Double
    /// The rate in effect during the epoch (its first step's, under a schedule).
    @NullWhenNonFinite public var learningRate: Double
    /// Wall-clock time of the epoch: training and validation (not the sharpness estimate).
    @NullWhenNonFinite public var seconds: Double
    /// The sharpness of the training loss after the epoch, when the run measures it
    /// (`train-autograd --sharpness N`); absent from the JSON otherwise.
    public var sharpness: SharpnessEstimate?

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double,
                valAccuracy: Double, learningRate: Double, seconds: Double, sharpness: SharpnessEstimate? = nil) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.valLoss = valLoss
        self.valAccuracy = valAccuracy
        self.learningRate = learningRate
        self.seconds = seconds
        self.sharpness = sharpness
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", trainAccuracy = "train_accuracy", valLoss = "val_loss",
             valAccuracy = "val_accuracy", learningRate = "learning_rate", seconds, sharpness
    }

    /// One line for logs: `epoch  3/10  train loss 0.4123 acc 0.8512 | val loss 0.4012 acc 0.8560 | lr 0.1 | 4.2s`.
    public func line(of epochCount: Int) -> String {
        let width = "\(epochCount)".count
        let number = String(repeating: " ", count: Swift.max(0, width - "\(epoch)".count)) + "\(epoch)"
        func f(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : compactNumber(v) }
        return "epoch \(number)/\(epochCount)  train loss \(f(trainLoss)) acc \(f(trainAccuracy))"
            + " | val loss \(f(valLoss)) acc \(f(valAccuracy)) | lr \(compactNumber(learningRate, significantDigits: 4))"
            + " | \(String(format: "%.1f", seconds))s"
            + (sharpness.map { " | λ_max \(compactNumber($0.lambdaMax, significantDigits: 4))" } ?? "")
    }
}

/// The dataset a run used and how its pixels were normalized.
public struct DatasetSummary: Codable, Sendable, Equatable {
    /// Catalogue name (`fashion-mnist`) or the directory given.
    public var name: String
    /// Where the files were read from.
    public var directory: String?
    /// The scalar mean and standard deviation of the training pixels (after scaling to
    /// [0, 1]) that every split was normalized with: `x' = (x − mean) / std`.
    @NullWhenNonFinite public var normalizationMean: Double
    @NullWhenNonFinite public var normalizationStd: Double
    public var trainCount: Int
    public var validationCount: Int
    public var testCount: Int
    public var classNames: [String]

    public init(name: String, directory: String? = nil, normalizationMean: Double, normalizationStd: Double,
                trainCount: Int, validationCount: Int, testCount: Int, classNames: [String]) {
        self.name = name
        self.directory = directory
        self.normalizationMean = normalizationMean
        self.normalizationStd = normalizationStd
        self.trainCount = trainCount
        self.validationCount = validationCount
        self.testCount = testCount
        self.classNames = classNames
    }

    private enum CodingKeys: String, CodingKey {
        case name, directory, normalizationMean = "normalization_mean", normalizationStd = "normalization_std",
             trainCount = "train_count", validationCount = "validation_count", testCount = "test_count",
             classNames = "class_names"
    }
}

/// The test-set metrics of the model kept (best on validation): mean loss and the
/// classification report. In JSON the report's fields sit beside `loss`.
public struct TestMetrics: Codable, Sendable, Equatable {
    @NullWhenNonFinite public var loss: Double
    public var report: ClassificationReport

    public init(loss: Double, report: ClassificationReport) {
        self.loss = loss
        self.report = report
    }

    public var accuracy: Double { report.accuracy }

    private enum CodingKeys: String, CodingKey { case loss }

    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeFinite(loss, forKey: .loss)
    }

    public init(from decoder: any Decoder) throws {
        report = try ClassificationReport(from: decoder)
        loss = try decoder.container(keyedBy: CodingKeys.self).decodeFinite(forKey: .loss) ?? .nan
    }
}

/// Everything a training run did, written as `history.json` in its run directory: the
/// configuration, the BLAS in use, the dataset and its normalization, one record per epoch,
/// the best epoch, the test metrics of the model kept, and whether the run diverged.
///
/// JSON keys are snake_case. Numbers that are NaN or infinite are written as `null`
/// (see `NullWhenNonFinite`), so the file stays valid JSON when a run diverges.
///
/// ```swift
/// var history = RunHistory(backend: "manual", config: ["lr": "0.1", "seed": "42"],
///                          blas: BLAS.summary, dataset: datasetSummary)
/// history.epochs.append(record)
/// history.bestEpoch = 7
/// history.test = TestMetrics(loss: 0.35, report: confusion.report(classNames: names))
/// try history.write(to: run.file("history.json"))
/// ```
public struct RunHistory: Codable, Sendable, Equatable {
    /// Which implementation trained: `manual` or `autograd`.
    public var backend: String
    /// The run's settings as flag-like key/values, e.g. `["hidden_dims": "128", "lr": "0.1"]`.
    public var config: [String: String]
    /// `BLAS.summary` at the time of the run.
    public var blas: String
    public var dataset: DatasetSummary
    public var epochs: [EpochRecord]
    /// The epoch whose model was kept (highest validation accuracy); `nil` before any epoch.
    public var bestEpoch: Int?
    /// Metrics of the kept model on the test set; `nil` if the run stopped before testing.
    public var test: TestMetrics?
    /// True when a non-finite loss stopped the run.
    public var diverged: Bool
    /// What diverged and when, e.g. `"training loss became NaN at epoch 2, batch 17"`.
    public var divergenceReason: String?
    /// The sharpness of the training loss before the first step, when the run measures it
    /// (`train-autograd --sharpness N`; each epoch's is in its record); absent otherwise.
    public var initialSharpness: SharpnessEstimate?
    /// When the run started, ISO 8601.
    public var startedAt: String
    /// Bumped when the layout of this file changes incompatibly.
    public var formatVersion: Int

    public init(backend: String, config: [String: String], blas: String, dataset: DatasetSummary,
                epochs: [EpochRecord] = [], bestEpoch: Int? = nil, test: TestMetrics? = nil,
                diverged: Bool = false, divergenceReason: String? = nil, startedAt: Date = Date()) {
        self.backend = backend
        self.config = config
        self.blas = blas
        self.dataset = dataset
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.test = test
        self.diverged = diverged
        self.divergenceReason = divergenceReason
        self.startedAt = ISO8601DateFormatter().string(from: startedAt)
        self.formatVersion = 1
    }

    private enum CodingKeys: String, CodingKey {
        case backend, config, blas, dataset, epochs, bestEpoch = "best_epoch", test, diverged,
             divergenceReason = "divergence_reason", initialSharpness = "initial_sharpness", startedAt = "started_at",
             formatVersion = "format_version"
    }

    /// The record of the kept epoch.
    public var bestRecord: EpochRecord? { epochs.first { $0.epoch == bestEpoch } }
    /// The validation accuracy of the kept epoch.
    public var bestValidationAccuracy: Double? { bestRecord?.valAccuracy }

    /// Marks the run diverged with a reason; the trainer stops and keeps the best model so far.
    public mutating func markDiverged(_ reason: String) {
        diverged = true
        divergenceReason = reason
    }

    /// Indented JSON with sorted keys.
    public func jsonData() throws -> Data {
        try ReportJSON.prettyEncoder().encode(self)
    }

    /// Writes `jsonData()` to `url`, complete or not at all.
    public func write(to url: URL) throws {
        try writeAtomically(jsonData() + Data("\n".utf8), to: url)
    }

    /// Reads a history written by `write(to:)`.
    public static func read(from url: URL) throws -> RunHistory {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunHistoryError(description: "cannot read \(url.path): \(error.localizedDescription) — check the path of the run directory")
        }
        do { return try JSONDecoder().decode(RunHistory.self, from: data) } catch {
            throw RunHistoryError(description: "\(url.path) is not a run history (\(error)) — it should be the history.json a training run wrote")
        }
    }
}

/// A history file that cannot be read; the text names the file and what to do.
public struct RunHistoryError: Error, CustomStringConvertible {
    public let description: String
}
