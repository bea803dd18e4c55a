import Foundation

/// An error writing a file; the text names the file and what to do.
public struct FileWriteError: Error, CustomStringConvertible {
    public let description: String
}

/// Writes `data` to `url` so that the file under that name is always complete or absent:
/// the bytes go to a temporary file in the same directory, are flushed to disk, and the
/// temporary file is then renamed over the destination (an atomic step on POSIX).
///
/// ```swift
/// try writeAtomically(Data(json.utf8), to: runDirectory.appendingPathComponent("history.json"))
/// ```
public func writeAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
        throw FileWriteError(description: "cannot write \(url.path): \(String(cString: strerror(errno))) — check that \(directory.path) exists and is writable")
    }
    var failure: String?
    data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                return
            }
            offset += n
        }
    }
    if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
    close(fd)
    if failure == nil && rename(temporary.path, url.path) != 0 { failure = String(cString: strerror(errno)) }
    if let failure {
        unlink(temporary.path)
        throw FileWriteError(description: "cannot write \(url.path): \(failure) — check free space and permissions of \(directory.path)")
    }
}
