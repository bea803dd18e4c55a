import ArgumentParser
import Foundation
import Training

/// `--resume <run-dir>`: the run directory, its last checkpoint, and the command line that
/// started it. The run continues with its own settings; options given beside `--resume`
/// must be left at their defaults or repeat the run's values.
///
/// ```swift
/// let resumption = try Resumption(directory: "runs/manual-20250131-142501", backend: "manual")
/// let command = try resumption.command(TrainManual.self, given: options.config)
/// ```
struct Resumption {
    let run: RunDirectory
    let checkpoint: TrainingCheckpoint

    init(directory: String, backend: String) throws {
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        func fail(_ text: String) -> ExperimentError { ExperimentError(description: "--resume \(directory): \(text)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("no such directory — give the run directory an earlier run printed (its \"output:\" line)")
        }
        let file = url.appendingPathComponent(TrainingCheckpoint.fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw fail("there is no \(TrainingCheckpoint.fileName) — a run writes one after every epoch and on Ctrl-C; "
                + "this one stopped before either, so start it again")
        }
        do { checkpoint = try TrainingCheckpoint.read(from: file) } catch { throw fail("\(error)") }
        guard checkpoint.history.backend == backend else {
            throw fail("the run was trained by the \(checkpoint.history.backend) backend — resume it with train-\(checkpoint.history.backend) --resume")
        }
        guard !checkpoint.arguments.isEmpty else { throw fail("the checkpoint does not record the run's options; start a new run") }
        // history.json is written after the checkpoint, so it knows how the run ended.
        if let history = try? RunHistory.read(from: url.appendingPathComponent("history.json")) {
            if history.diverged {
                throw fail("the run diverged (\(history.divergenceReason ?? "a loss was not finite")); resuming would repeat "
                    + "the same steps — start a new run with a smaller --lr (model.safetensors holds its best epoch)")
            }
            if history.test != nil {
                throw fail("the run already finished all its epochs; there is nothing to resume")
            }
        }
        run = try RunDirectory(path: url.path, backend: backend, existingRun: .keep)
    }

    /// `type` parsed from the run's own arguments. `given` is the configuration of the
    /// options given beside `--resume`: each must be at its default or the run's value.
    func command<Command: ParsableCommand>(_ type: Command.Type, given: [String: ConfigValue], output: String?,
                                           overwrite: Bool = false, config: (Command) -> [String: ConfigValue]) throws -> Command {
        let stored: Command, defaults: Command
        do {
            stored = try type.parse(ExperimentOptions.normalizedArguments(checkpoint.arguments))
            defaults = try type.parse([])
        } catch {
            throw ExperimentError(description: "--resume: the checkpoint's options \(checkpoint.arguments) no longer parse (\(error)); start a new run")
        }
        let given = Self.absolutePaths(given), storedConfig = Self.absolutePaths(config(stored))
        let defaultConfig = Self.absolutePaths(config(defaults))
        // An option left at its default, or repeating the run's value, is fine; anything else
        // would silently not apply.
        let keys = Set(given.keys).union(storedConfig.keys)
            .filter { given[$0] != storedConfig[$0] && given[$0] != defaultConfig[$0] }.sorted()
        if !keys.isEmpty {
            let differences = keys.map { "\($0) \(given[$0]?.description ?? "unset") (run: \(storedConfig[$0]?.description ?? "unset"))" }
            throw ExperimentError(description: "--resume continues a run with its own settings, but these options differ: "
                + differences.joined(separator: ", ") + " — give --resume alone, or start a new run to change them")
        }
        if overwrite {
            throw ExperimentError(description: "--overwrite replaces a run and --resume continues one; give --resume alone to continue \(run.url.path)")
        }
        if let output, URL(fileURLWithPath: output).standardizedFileURL != run.url {
            throw ExperimentError(description: "--output \(output) differs from --resume \(run.url.path); a resumed run writes into its own directory — drop --output")
        }
        return stored
    }

    /// Path-valued settings made absolute, so a relative path given again matches.
    static func absolutePaths(_ config: [String: ConfigValue]) -> [String: ConfigValue] {
        config.reduce(into: [:]) { result, pair in
            guard case .string(let text) = pair.value,
                  ["data_dir", "init_from"].contains(pair.key) || (pair.key == "dataset" && text.contains("/")) else {
                result[pair.key] = pair.value
                return
            }
            result[pair.key] = .string(URL(fileURLWithPath: text).standardizedFileURL.path)
        }
    }
}

extension ExperimentOptions {
    /// A command line that parses back to these options, with absolute paths, so a
    /// checkpoint can rebuild the run from any directory (`--output` and `--json` are left out).
    var arguments: [String] {
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        var arguments = hiddenWidths.isEmpty ? ["--no-hidden"] : ["--hidden-dims"] + hiddenWidths.map(String.init)
        arguments += ["--batch-size", "\(batchSize)", "--epochs", "\(epochs)",
                      "--seed", "\(seed)",
                      "--dataset", FileManager.default.fileExists(atPath: dataset) ? absolute(dataset) : dataset, "--validation-size", "\(validationSize)"]
        if let dataDir { arguments += ["--data-dir", absolute(dataDir)] }
        if let initFrom { arguments += ["--init-from", absolute(initFrom)] }
        if download { arguments.append("--download") }
        if noShuffle { arguments.append("--no-shuffle") }
        return arguments
    }
}

extension AutoGradOptions {
    /// A command line that parses back to these options.
    var arguments: [String] {
        (batchNorm ? ["--batch-norm"] : []) + ["--optimizer", optimizer.rawValue, "--momentum", "\(momentum)",
                                               "--weight-decay", "\(weightDecay)", "--schedule", schedule.rawValue,
                                               "--gamma", "\(gamma)", "--patience", "\(patience)", "--dropout", "\(dropout)"]
            + (sharpness.map { ["--sharpness", "\($0)"] } ?? [])
    }
}
