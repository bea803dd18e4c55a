import ArrayKit
import Foundation

/// A checkpoint that cannot be read or does not fit the run; the text says what was wrong
/// and what to do.
public struct CheckpointError: Error, CustomStringConvertible {
    public let description: String
    /// An error with the message to show.
    public init(description: String) { self.description = description }
}

/// Everything needed to continue a training run exactly where it stopped, so that the
/// continued run's weights and history equal an uninterrupted run's bit for bit:
/// the model's current state, the optimizer's state, the position in the data (epochs
/// done, batches done of the next one, with that epoch's running sums), the best model so
/// far and the history.
///
/// The data order needs no generator state of its own: ``DataLoader`` derives epoch `e`'s
/// order from `(seed, e)` alone, so the position *is* the generator state.
///
/// Saved as one safetensors file — tensors `model.*`, `best.*`, `train.*` and a JSON
/// manifest in the metadata — written atomically, so a checkpoint on disk is always one
/// complete, self-consistent snapshot, whatever moment the process is killed. Its checksums
/// (`Safetensors.dataChecksumKey`, `Safetensors.headerChecksumKey`) are verified on reading,
/// so a checkpoint damaged on disk is refused rather than continued from.
///
/// ```swift
/// try checkpoint.write(to: run.file(TrainingCheckpoint.fileName))
/// let resumed = try TrainingCheckpoint.read(from: run.file(TrainingCheckpoint.fileName))
/// try resumed.restore(into: model, for: trainer)
/// let outcome = trainer.fit(model, history: resumed.history, resumingFrom: resumed)
/// ```
public struct TrainingCheckpoint {
    /// The file name in a run directory.
    public static let fileName = "checkpoint.safetensors"

    /// Epochs finished (validated and recorded in ``history``).
    public var completedEpochs: Int
    /// Training steps already taken in epoch `completedEpochs + 1` (0 at an epoch boundary).
    public var batchesIntoEpoch: Int
    /// The running sums of that epoch's steps.
    public var partialEpoch: PartialEpoch
    /// The history of the finished epochs, best epoch included.
    public var history: RunHistory
    /// The model now, and what it trains with besides its weights.
    public var model: ClassifierState
    /// The optimizer's state and the counters (batches seen, dropout generators, plateau schedule).
    public var training: TrainingState
    /// The best model on validation so far.
    public var best: (epoch: Int, accuracy: Double, state: ClassifierState)?
    /// What the training loader must be for the position to mean the same batches.
    public var loader: LoaderSettings
    /// The command line that started the run, so `--resume` can rebuild it.
    public var arguments: [String]

    /// The training steps taken: the position in the run as a step number (the last one of
    /// `metrics.jsonl` a resumed run keeps).
    public var stepsTaken: Int {
        completedEpochs * (loader.trainCount / loader.batchSize) + batchesIntoEpoch
    }

    /// The sums of an epoch in progress.
    public struct PartialEpoch: Codable, Sendable, Equatable {
        /// The sum of each finished step's mean loss times its batch size.
        public var lossSum = 0.0
        /// Correct predictions in those steps.
        public var correct = 0
        /// Samples trained on in those steps.
        public var samples = 0
        /// The learning rate at the epoch's first step.
        public var learningRate = 0.0
        /// Seconds spent in those steps.
        public var seconds = 0.0
        /// The sums before the epoch's first step: all zero.
        public init() {}
    }

    /// The settings that fix which batches an epoch position stands for.
    public struct LoaderSettings: Codable, Sendable, Equatable {
        /// The seed of the data order.
        public var seed: UInt64
        /// Samples per training batch.
        public var batchSize: Int
        /// Samples in the training set.
        public var trainCount: Int
        /// Whether each epoch draws its own order.
        public var shuffle: Bool
        /// Epochs the run trains for.
        public var epochs: Int
    }

    /// Whether a ``Trainer`` can continue from here: the same data order and batches.
    public func check(fits trainer: Trainer) throws {
        let expected = trainer.loaderSettings
        guard loader == expected else {
            throw CheckpointError(description: "the checkpoint was made for \(loader) but this run has \(expected) — "
                + "resume with the same data and settings (use --resume alone; it reuses the run's own options)")
        }
        guard completedEpochs <= trainer.epochs, batchesIntoEpoch < trainer.train.batchCount,
              history.epochs.count == completedEpochs else {
            throw CheckpointError(description: "the checkpoint's position (epoch \(completedEpochs), batch \(batchesIntoEpoch), "
                + "\(history.epochs.count) recorded epochs) is impossible for \(trainer.epochs) epochs of "
                + "\(trainer.train.batchCount) batches — the file is damaged; start a new run")
        }
    }

    /// Checks that the checkpoint fits `trainer`, then loads the model's state and training
    /// state into `model`. Throws, leaving the model unusable for resuming, if anything does not fit.
    public func restore(into model: any Classifier, for trainer: Trainer) throws {
        try check(fits: trainer)
        do {
            try model.load(state: self.model)
            try model.load(trainingState: training)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(description: "the checkpoint does not fit this model: \(error)")
        }
    }

    // MARK: - File

    /// What the metadata's JSON holds besides the tensors. Doubles that must come back bit
    /// for bit travel as their bit patterns in hex.
    private struct Manifest: Codable {
        var format: Int
        var completedEpochs: Int
        var batchesIntoEpoch: Int
        var partialLossSumBits: String
        var partialCorrect: Int
        var partialSamples: Int
        var partialLearningRateBits: String
        var partialSeconds: Double
        var history: RunHistory
        var counters: [String: Int]
        var bestEpoch: Int?
        var bestAccuracyBits: String?
        var loader: LoaderSettings
        var arguments: [String]
    }

    static func hexBits(_ value: Double) -> String { String(value.bitPattern, radix: 16) }
    static func fromHexBits(_ text: String) -> Double? { UInt64(text, radix: 16).map(Double.init(bitPattern:)) }

    /// The safetensors bytes of the checkpoint.
    public func encoded() throws -> Data {
        let manifest = Manifest(
            format: 1, completedEpochs: completedEpochs, batchesIntoEpoch: batchesIntoEpoch,
            partialLossSumBits: Self.hexBits(partialEpoch.lossSum), partialCorrect: partialEpoch.correct,
            partialSamples: partialEpoch.samples, partialLearningRateBits: Self.hexBits(partialEpoch.learningRate),
            partialSeconds: partialEpoch.seconds, history: history, counters: training.counters,
            bestEpoch: best?.epoch, bestAccuracyBits: best.map { Self.hexBits($0.accuracy) }, loader: loader,
            arguments: arguments)
        let json = String(decoding: try JSONEncoder().encode(manifest), as: UTF8.self)
        var tensors = model.parameters.map { (name: "model." + $0.0, array: $0.1) }
        tensors += training.tensors.map { (name: "train." + $0.name, array: $0.array) }
        var integers = model.integers.map { (name: "model." + $0.name, values: $0.values, shape: $0.shape) }
        if let best {
            tensors += best.state.parameters.map { (name: "best." + $0.0, array: $0.1) }
            integers += best.state.integers.map { (name: "best." + $0.name, values: $0.values, shape: $0.shape) }
        }
        return Safetensors.encode(tensors, metadata: ["format": "backprop-checkpoint", "checkpoint": json],
                                  integerTensors: integers)
    }

    /// Writes the checkpoint to `url`, complete or not at all.
    public func write(to url: URL) throws { try writeAtomically(try encoded(), to: url) }

    /// Reads a checkpoint written by ``write(to:)``.
    public static func read(from url: URL) throws -> TrainingCheckpoint {
        let file: SafetensorsFile
        do { file = try Safetensors.read(contentsOf: url) } catch {
            switch error {
            case .dataChecksumMismatch, .headerChecksumMismatch, .checksumMissing:
                // Continuing from altered weights or an altered position would silently be another run.
                let best = url.deletingLastPathComponent().appendingPathComponent("model.safetensors")
                throw CheckpointError(description: "cannot resume from \(url.path): \(error); for a checkpoint, writing it "
                    + "again means to start the run again"
                    + (FileManager.default.fileExists(atPath: best.path)
                        ? " (--init-from \(best.path) begins from its best epoch so far)" : ""))
            default:
                throw CheckpointError(description: "cannot read the checkpoint \(url.path): \(error) — "
                    + "give the run directory of a run that finished at least one epoch or was interrupted")
            }
        }
        return try decode(file, path: url.path)
    }

    /// The checkpoint in an already read safetensors file.
    static func decode(_ file: SafetensorsFile, path: String) throws -> TrainingCheckpoint {
        func fail(_ what: String) -> CheckpointError {
            CheckpointError(description: "\(path) is not a training checkpoint (\(what)) — "
                + "it should be the \(fileName) a training run wrote; start a new run")
        }
        guard file.metadata["format"] == "backprop-checkpoint", let json = file.metadata["checkpoint"] else {
            throw fail("its metadata has no checkpoint manifest")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(json.utf8)) } catch {
            throw fail("unreadable manifest: \(error)")
        }
        guard manifest.format == 1 else { throw fail("format \(manifest.format), this program reads format 1") }
        guard let lossSum = fromHexBits(manifest.partialLossSumBits),
              let learningRate = fromHexBits(manifest.partialLearningRateBits) else { throw fail("bad partial-epoch sums") }
        var states = ["model": ClassifierState(parameters: [], integers: []), "best": ClassifierState(parameters: [], integers: [])]
        var training = TrainingState(counters: manifest.counters)
        do {
            for entry in file.entries {
                guard let dot = entry.name.firstIndex(of: ".") else { throw fail("tensor \"\(entry.name)\" has no prefix") }
                let prefix = String(entry.name[..<dot]), name = String(entry.name[entry.name.index(after: dot)...])
                if entry.dtype == .i64 {
                    guard states[prefix] != nil else { throw fail("unexpected integer tensor \"\(entry.name)\"") }
                    let (values, shape) = try file.integers(named: entry.name)
                    states[prefix]!.integers.append((name, values, shape))
                } else if prefix == "train" {
                    training.tensors.append((name, try file.array(named: entry.name, as: Float.self)))
                } else if states[prefix] != nil {
                    states[prefix]!.parameters.append((name, try file.array(named: entry.name, as: Float.self)))
                } else {
                    throw fail("unexpected tensor \"\(entry.name)\"")
                }
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw fail("\(error)")
        }
        var best: (epoch: Int, accuracy: Double, state: ClassifierState)?
        if let epoch = manifest.bestEpoch {
            guard let bits = manifest.bestAccuracyBits, let accuracy = fromHexBits(bits) else { throw fail("bad best accuracy") }
            best = (epoch, accuracy, states["best"]!)
        }
        var partial = PartialEpoch()
        (partial.lossSum, partial.correct, partial.samples) = (lossSum, manifest.partialCorrect, manifest.partialSamples)
        (partial.learningRate, partial.seconds) = (learningRate, manifest.partialSeconds)
        return TrainingCheckpoint(
            completedEpochs: manifest.completedEpochs, batchesIntoEpoch: manifest.batchesIntoEpoch, partialEpoch: partial,
            history: manifest.history, model: states["model"]!, training: training, best: best,
            loader: manifest.loader, arguments: manifest.arguments)
    }
}
