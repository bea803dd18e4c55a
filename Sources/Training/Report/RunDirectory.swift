import ArrayKit
import Foundation

/// A run directory that cannot be created or written; the text names the path, the reason
/// and what to do.
public struct RunDirectoryError: Error, CustomStringConvertible {
    public let description: String
}

/// The directory a training run writes its outputs into: by default
/// `runs/<backend>-<yyyyMMdd-HHmmss>` under the current directory, or a path the user gave.
///
/// Creating it checks, before any training starts, that files can be written there, and
/// leaves nothing behind if they cannot. A directory that already holds a run is refused
/// unless the caller replaces or continues that run (``ExistingRun``). Every file goes through
/// `writeAtomically`, so each one is complete or absent; `discard()` removes a directory this
/// run created if the run fails before it finishes.
///
/// ```swift
/// let run = try RunDirectory(path: options.output, backend: "manual")   // refuses a used directory
/// try run.writeReport(history)                       // history.json, loss.svg, accuracy.svg, …
/// try model.save(to: run.file("model.safetensors"))
/// ```
public struct RunDirectory: Sendable {
    /// The directory.
    public let url: URL
    /// Whether this run created the directory (as opposed to reusing an existing one).
    public let isNew: Bool
    /// The directories this run created, deepest last, so `discard()` can undo exactly them.
    private let created: [URL]

    /// What to do with a run already in the directory.
    public enum ExistingRun: Sendable {
        /// Refuse the directory, naming the run's files (a new run; the default).
        case refuse
        /// Remove the earlier run's files (``runFileNames``) first, keeping any others (`--overwrite`).
        case replace
        /// Keep them: the run continues in its own directory (`--resume`), or a figure is drawn
        /// beside them (`lr-sweep --plot-schedules`).
        case keep
    }

    /// Every file a training command writes into its output directory: a run's reports and
    /// model, `compare-backends`' and `lr-sweep`'s summaries and figures. Any of them present,
    /// or a TensorBoard event file, or a run in one of ``runSubdirectoryNames``, means the
    /// directory holds a run.
    public static let runFileNames = [
        "history.json", "model.safetensors", "checkpoint.safetensors", MetricsLog.fileName, "loss.svg", "accuracy.svg",
        "confusion_matrix.svg", "test_report.txt", "comparison.txt", "comparison.svg",
        "sweep.json", "best_val_vs_lr.svg", "loss_curves.svg", "range_test.json", "range_test.svg",
        "sharpness.svg",
    ]

    /// The run directories `compare-backends` makes inside its own, one per backend.
    public static let runSubdirectoryNames = ["manual", "autograd"]

    /// Creates (or reuses) the run directory. With `path == nil` it is
    /// `<root>/<backend>-<timestamp>`, made unique with a `-2`, `-3`, … suffix if needed. An
    /// existing directory at a given `path` is reused if it holds no run (it may be empty or
    /// hold other files); one that does is refused, replaced or kept as `existingRun` says.
    public init(path: String?, backend: String, existingRun: ExistingRun = .refuse, date: Date = Date(),
                root: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("runs")) throws {
        var target: URL
        if let path {
            try Self.checkAvailable(path: path, existingRun: existingRun)
            target = URL(fileURLWithPath: path).standardizedFileURL
            if existingRun == .replace { try Self.removeRun(in: target) }
        } else {
            let base = root.appendingPathComponent("\(backend)-\(Self.timestamp(date))")
            target = base
            var suffix = 2
            while FileManager.default.fileExists(atPath: target.path) {
                target = URL(fileURLWithPath: base.path + "-\(suffix)")
                suffix += 1
            }
        }
        let created = try Self.makeDirectories(target)
        do {
            try Self.checkWritable(target)
        } catch {
            Self.remove(created)
            throw error
        }
        self.url = target
        self.created = created
        self.isNew = !created.isEmpty
    }

    /// The URL of a file in the run directory.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `data` to the named file, complete or not at all.
    public func write(_ data: Data, to name: String) throws { try writeAtomically(data, to: file(name)) }

    /// Writes `text` as UTF-8 to the named file, complete or not at all.
    public func write(_ text: String, to name: String) throws { try write(Data(text.utf8), to: name) }

    /// Writes the run's reports: `history.json`, `loss.svg`, `accuracy.svg`, `sharpness.svg`
    /// when the run measures sharpness and, once the test metrics exist, `confusion_matrix.svg`
    /// and `test_report.txt` (per-class table and confusion matrix). The model file is the
    /// trainer's to write.
    public func writeReport(_ history: RunHistory) throws {
        try history.write(to: file("history.json"))
        try history.lossChart().write(to: file("loss.svg"))
        try history.accuracyChart().write(to: file("accuracy.svg"))
        try history.sharpnessChart()?.write(to: file("sharpness.svg"))
        if let test = history.test {
            let names = test.report.classes.map(\.name)
            try ConfusionMatrixChart(test.report.confusionMatrix, classNames: names,
                                     title: "Test confusion matrix (\(history.backend), \(history.dataset.name))")
                .write(to: file("confusion_matrix.svg"))
            let text = "test loss \(compactNumber(test.loss, significantDigits: 4)), accuracy "
                + String(format: "%.4f", test.accuracy) + "\n\n" + test.report.table() + "\n" + test.report.confusionTable()
            try write(text, to: "test_report.txt")
        }
    }

    /// Writes the run's logs: `metrics.jsonl` (every step of `steps`) and its TensorBoard event
    /// file (steps and epochs), rewritten whole, each complete or absent. The event file keeps
    /// the name it has (a resumed run), or gets one from the run's start.
    public func writeLogs(_ history: RunHistory, steps: [StepRecord], stepsPerEpoch: Int) throws {
        try MetricsLog.write(steps, to: file(MetricsLog.fileName))
        let existing = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
            .filter { $0.hasPrefix(TensorBoardEvents.fileNamePrefix) }.sorted().first
        let started = ISO8601DateFormatter().date(from: history.startedAt) ?? Date()
        let events = TensorBoardEvents(history: history, steps: steps, stepsPerEpoch: stepsPerEpoch)
        try write(events.data, to: existing ?? TensorBoardEvents.fileName(startedAt: started))
    }

    /// The steps of `metrics.jsonl` up to and including `step`: what a run resumed there
    /// continues. Empty, with the reason, when the file is missing or unreadable (a run
    /// made before the log existed).
    public func loggedSteps(through step: Int) -> (steps: [StepRecord], problem: String?) {
        let url = file(MetricsLog.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return ([], "the run has no \(MetricsLog.fileName)") }
        do { return (try MetricsLog.read(from: url).filter { $0.step <= step }, nil) } catch { return ([], "\(error)") }
    }

    /// Removes the directory and everything in it if this run created it; a directory that
    /// existed before is left alone. For a run that fails before it completes.
    public func discard() {
        guard isNew else { return }
        try? FileManager.default.removeItem(at: url)
        Self.remove(created.dropLast())
    }

    // MARK: - An earlier run

    /// The run's files in `directory`: the names of ``runFileNames`` present, and each of
    /// ``runSubdirectoryNames`` that holds some of them, written with a trailing `/`. Empty
    /// when the directory does not exist or holds no run.
    public static func runFiles(in directory: URL) -> [String] {
        // One level down only: compare-backends' subdirectories hold plain runs (and a symbolic
        // link named like one cannot lead the search in circles).
        topLevelRunFiles(in: directory)
            + runSubdirectoryNames.filter { !topLevelRunFiles(in: directory.appendingPathComponent($0)).isEmpty }.map { $0 + "/" }
    }

    private static func topLevelRunFiles(in directory: URL) -> [String] {
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return runFileNames.filter(present.contains)
            + present.filter { $0.hasPrefix(TensorBoardEvents.fileNamePrefix) }.sorted()
    }

    /// Throws, before anything is created or written, if the directory at `path` holds a run
    /// and `existingRun` is ``ExistingRun/refuse``; the message names the directory and the
    /// run's files and says what to do.
    ///
    /// ```swift
    /// try RunDirectory.checkAvailable(path: "runs/baseline")   // "… already holds a run …"
    /// ```
    public static func checkAvailable(path: String, existingRun: ExistingRun = .refuse) throws {
        guard !path.isEmpty else {
            throw RunDirectoryError(description: "the output directory is an empty path — give a directory name, e.g. --output runs/my-run")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let found = runFiles(in: url)
        guard existingRun == .refuse, !found.isEmpty else { return }
        throw RunDirectoryError(description: "the output directory \(url.path) already holds a run (\(found.joined(separator: ", "))) "
            + "— choose a new directory with --output, or pass --overwrite to replace that run")
    }

    /// Removes the earlier run's files from `directory` and from `compare-backends`'
    /// per-backend subdirectories (then those too, if nothing else is in them), leaving every
    /// other file where it is.
    private static func removeRun(in directory: URL) throws {
        for name in runFiles(in: directory) {
            let item = directory.appendingPathComponent(name)
            let files = name.hasSuffix("/") ? topLevelRunFiles(in: item).map(item.appendingPathComponent) : [item]
            for file in files {
                do { try FileManager.default.removeItem(at: file) } catch {
                    throw RunDirectoryError(description: "cannot replace the run in \(directory.path): removing "
                        + "\(file.path) failed (\(error.localizedDescription)) — fix its permissions, or choose a new directory with --output")
                }
            }
            if name.hasSuffix("/") { rmdir(item.path) }   // stays if it holds other files
        }
    }

    // MARK: - Creation

    /// `20250131-142501` in local time: sorts by time and has no characters shells mind.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// Creates `target` and any missing parents one level at a time, returning those created
    /// (outermost first); on failure removes them again and throws.
    private static func makeDirectories(_ target: URL) throws -> [URL] {
        var missing: [URL] = []
        var probe = target
        while true {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: probe.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw RunDirectoryError(description: "cannot create the run directory \(target.path): \(probe.path) is a file, not a directory — choose another output directory (--output)")
                }
                break
            }
            missing.insert(probe, at: 0)
            let parent = probe.deletingLastPathComponent()
            if parent.path == probe.path { break }
            probe = parent
        }
        var created: [URL] = []
        for directory in missing {
            if mkdir(directory.path, 0o755) != 0 && errno != EEXIST {
                let reason = String(cString: strerror(errno))
                remove(created)
                throw RunDirectoryError(description: "cannot create the run directory \(target.path): \(reason) at \(directory.path) — choose a writable output directory (--output) or fix its permissions")
            }
            created.append(directory)
        }
        return created
    }

    /// Proves the directory takes files by creating and deleting one; permission bits alone
    /// do not tell (root ignores them, a read-only mount does not show in them).
    private static func checkWritable(_ directory: URL) throws {
        let probe = directory.appendingPathComponent(".write-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw RunDirectoryError(description: "cannot write into the run directory \(directory.path): \(reason) — choose a writable output directory (--output) or fix its permissions")
        }
        close(fd)
        unlink(probe.path)
    }

    /// Removes directories (deepest first) that are empty; used to undo `makeDirectories`.
    private static func remove(_ directories: some Collection<URL>) {
        for directory in directories.reversed() { rmdir(directory.path) }
    }
}
