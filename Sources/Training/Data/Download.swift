import ArrayKit
import Foundation

/// Fetches a catalogue dataset from its mirrors into the cache, verifying every file.
///
/// Each file is fetched with `curl` (which handles `http`, `https` and `file` URLs,
/// redirects and proxies alike; Foundation on Linux cannot read `file` URLs) into a
/// temporary name in the cache directory. What is kept is exactly what was verified: when
/// the SHA-256 of the decompressed file is published, the file is decompressed, checked and
/// written atomically as the plain IDX file (which also loads faster); when only the `.gz`
/// hash is published, the `.gz` is checked and renamed into place. A file that fails its
/// check is deleted and the next mirror is tried, so nothing unverified is ever left behind.
///
/// ```swift
/// let directory = try DatasetDownloader(cacheRoot: locator.cacheRoot).download(.mnist) { print($0) }
/// ```
public struct DatasetDownloader: Sendable {
    /// Datasets go into `<cacheRoot>/<name>`.
    public var cacheRoot: URL
    /// The environment whose `PATH` is searched for `curl`.
    public var environment: [String: String]

    /// A downloader into `cacheRoot` that finds `curl` on `environment`'s `PATH`.
    public init(cacheRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.cacheRoot = cacheRoot
        self.environment = environment
    }

    /// Downloads the files of `spec` that the cache does not already hold verified, and
    /// returns the cache directory. `log` receives one line per step.
    public func download(_ spec: DatasetSpec, log: (String) -> Void = { _ in }) throws(DatasetError) -> URL {
        let directory = cacheRoot.appendingPathComponent(spec.name, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .cacheUnwritable(path: directory.path, reason: error.localizedDescription)
        }
        for file in spec.files.all {
            try fetch(file, of: spec, into: directory, log: log)
        }
        return directory
    }

    private func fetch(_ file: DatasetFile, of spec: DatasetSpec, into directory: URL,
                       log: (String) -> Void) throws(DatasetError) {
        let keepPlain = file.sha256 != nil
        let destination = directory.appendingPathComponent(keepPlain ? file.name : file.name + ".gz")
        if let expected = file.sha256 ?? file.gzipSHA256, let present = try? Self.sha256(ofFileAt: destination.path),
           present == expected {
            log("\(destination.lastPathComponent): already in the cache, checksum verified")
            return
        }
        guard !spec.mirrors.isEmpty else {
            throw .downloadFailed(file: file.name + ".gz", attempts: ["\(spec.displayName) has no download mirror"])
        }
        var attempts: [String] = []
        var firstMismatch: DatasetError?
        for mirror in spec.mirrors {
            let source = mirror + file.name + ".gz"
            let temporary = directory.appendingPathComponent(".\(file.name).gz.download-\(getpid())")
            defer { unlink(temporary.path) }
            log("downloading \(source)")
            if let failure = curl(source, to: temporary) {
                attempts.append("\(source): \(failure)")
                continue
            }
            do throws(DatasetError) {
                try verifyAndKeep(temporary, file: file, source: source, destination: destination)
                log("\(destination.lastPathComponent): checksum verified")
                return
            } catch {
                if case .checksumMismatch = error, firstMismatch == nil { firstMismatch = error }
                attempts.append("\(source): \(error)")
            }
        }
        if let firstMismatch, attempts.count == 1 { throw firstMismatch }
        throw .downloadFailed(file: file.name + ".gz", attempts: attempts)
    }

    /// Checks the downloaded `.gz` at `temporary` and moves the verified bytes to `destination`.
    private func verifyAndKeep(_ temporary: URL, file: DatasetFile, source: String,
                               destination: URL) throws(DatasetError) {
        if let expected = file.gzipSHA256 {
            let actual = try Self.sha256(ofFileAt: temporary.path)
            guard actual == expected else {
                throw .checksumMismatch(file: file.name + ".gz", source: source, expected: expected, actual: actual)
            }
        }
        guard let expected = file.sha256 else {
            guard rename(temporary.path, destination.path) == 0 else {
                throw .cacheUnwritable(path: destination.path, reason: String(cString: strerror(errno)))
            }
            return
        }
        let bytes = try Self.decompress(temporary.path)
        let actual = SHA256.hexDigest(of: bytes)
        guard actual == expected else {
            throw .checksumMismatch(file: file.name, source: source, expected: expected, actual: actual)
        }
        do {
            try writeAtomically(Data(bytes), to: destination)
        } catch {
            throw .cacheUnwritable(path: destination.path, reason: "\(error)")
        }
    }

    /// Runs curl; returns why it failed, or nil.
    private func curl(_ source: String, to destination: URL) -> String? {
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/curl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return "curl is not installed (sudo apt-get install curl)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--fail", "--location", "--silent", "--show-error", "--retry", "2",
                             "--connect-timeout", "30", "--output", destination.path, source]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return "cannot run curl: \(error)" }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 0 { return nil }
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "curl exited with status \(process.terminationStatus)" : text
    }

    /// The SHA-256 of a file, read in 1 MiB pieces.
    static func sha256(ofFileAt path: String) throws(DatasetError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = read(fd, chunk.baseAddress!, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The whole decompressed content of a `.gz`, which must be complete (end marker and CRC).
    static func decompress(_ path: String) throws(DatasetError) -> [UInt8] {
        let source = try ByteSource.open(path)
        guard source.isCompressed else { throw .corrupt(path: path, reason: "it does not start with the gzip signature") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 22)
        while true {
            let n = try source.read(into: &chunk, count: chunk.count)
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        try source.expectEnd()
        return bytes
    }
}
