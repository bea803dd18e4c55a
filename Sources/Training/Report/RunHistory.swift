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
    /// The mean training loss over the samples trained on.
    @NullWhenNonFinite public var trainLoss: Double
    /// The fraction of training samples classified correctly while training.
    @NullWhenNonFinite public var trainAccuracy: Double
    /// The mean validation loss.
    @NullWhenNonFinite public var valLoss: Double
    /// The fraction of validation samples classified correctly.
    @NullWhenNonFinite public var valAccuracy: Double
    /// The rate in effect during the epoch (its first step's, under a schedule).
    @NullWhenNonFinite public var learningRate: Double
    /// Wall-clock time of the epoch: training and validation (not the sharpness estimate).
    @NullWhenNonFinite public var seconds: Double
    /// The sharpness of the training loss after the epoch, when the run measures it
    /// (`train-autograd --sharpness N`); absent from the JSON otherwise.
    public var sharpness: SharpnessEstimate?

    /// A record from its measurements.
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
    /// The standard deviation that goes with `normalizationMean`.
    @NullWhenNonFinite public var normalizationStd: Double
    /// Samples trained on.
    public var trainCount: Int
    /// Samples held out for validation.
    public var validationCount: Int
    /// Samples in the test set.
    public var testCount: Int
    /// One name per class, in label order.
    public var classNames: [String]

    /// A summary from its parts.
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
    /// The mean test loss.
    @NullWhenNonFinite public var loss: Double
    /// Accuracy, per-class precision, recall and F1, and the confusion matrix.
    public var report: ClassificationReport

    /// Metrics from their parts.
    public init(loss: Double, report: ClassificationReport) {
        self.loss = loss
        self.report = report
    }

    /// The test accuracy, the report's.
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
/// var history = RunHistory(backend: "manual", config: ["lr": 0.1, "seed": 42, "hidden_dims": [128]],
///                          blas: BLAS.summary, dataset: datasetSummary)
/// history.epochs.append(record)
/// history.bestEpoch = 7
/// history.test = TestMetrics(loss: 0.35, report: confusion.report(classNames: names))
/// try history.write(to: run.file("history.json"))
/// ```
public struct RunHistory: Codable, Sendable, Equatable {
    /// Which implementation trained: `manual` or `autograd`.
    public var backend: String
    /// The run's settings by flag name in snake_case, typed: `["hidden_dims": [128], "lr": 0.1,
    /// "shuffle": true]`.
    public var config: [String: ConfigValue]
    /// `BLAS.summary` at the time of the run.
    public var blas: String
    /// The dataset and its normalization.
    public var dataset: DatasetSummary
    /// One record per finished epoch.
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
    /// Bumped when the layout of this file changes incompatibly: 2 since the settings are
    /// typed (format 1, up to commit e80f2e6, wrote them as strings; it still reads, upgraded
    /// by ``ConfigValue/upgrading(_:from:)``).
    public var formatVersion: Int

    /// The format this program writes, and the newest it reads.
    public static let currentFormatVersion = 2

    /// A history with no epochs yet; `startedAt` defaults to now.
    public init(backend: String, config: [String: ConfigValue], blas: String, dataset: DatasetSummary,
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
        self.formatVersion = Self.currentFormatVersion
    }

    private enum CodingKeys: String, CodingKey {
        case backend, config, blas, dataset, epochs, bestEpoch = "best_epoch", test, diverged,
             divergenceReason = "divergence_reason", initialSharpness = "initial_sharpness", startedAt = "started_at",
             formatVersion = "format_version"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        guard (1...Self.currentFormatVersion).contains(formatVersion) else {
            throw DecodingError.dataCorruptedError(
                forKey: .formatVersion, in: container,
                debugDescription: "format_version \(formatVersion) is newer than this program reads "
                    + "(\(Self.currentFormatVersion)) — use the version of Backprop that wrote it, or a newer one")
        }
        if formatVersion == 1 {
            let strings = try container.decode([String: String].self, forKey: .config)
            config = Dictionary(uniqueKeysWithValues: strings.map { ($0.key, ConfigValue.upgrading($0.key, from: $0.value)) })
            formatVersion = Self.currentFormatVersion   // what it is now, and how it is written again
        } else {
            config = try container.decode([String: ConfigValue].self, forKey: .config)
        }
        backend = try container.decode(String.self, forKey: .backend)
        blas = try container.decode(String.self, forKey: .blas)
        dataset = try container.decode(DatasetSummary.self, forKey: .dataset)
        epochs = try container.decode([EpochRecord].self, forKey: .epochs)
        bestEpoch = try container.decodeIfPresent(Int.self, forKey: .bestEpoch)
        test = try container.decodeIfPresent(TestMetrics.self, forKey: .test)
        diverged = try container.decode(Bool.self, forKey: .diverged)
        divergenceReason = try container.decodeIfPresent(String.self, forKey: .divergenceReason)
        initialSharpness = try container.decodeIfPresent(SharpnessEstimate.self, forKey: .initialSharpness)
        startedAt = try container.decode(String.self, forKey: .startedAt)
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
        do { return try JSONDecoder().decode(RunHistory.self, from: data) } catch DecodingError.dataCorrupted(let context)
            where context.codingPath.last?.stringValue == CodingKeys.formatVersion.stringValue {
            throw RunHistoryError(description: "\(url.path): \(context.debugDescription)")
        } catch {
            throw RunHistoryError(description: "\(url.path) is not a run history (\(error)) — it should be the history.json a training run wrote")
        }
    }
}

/// A history file that cannot be read; the text names the file and what to do.
public struct RunHistoryError: Error, CustomStringConvertible {
    public let description: String
}
