import Foundation

/// Why a file could not be read; the parsers wrap it in their own error types.
struct FileReadError: Error, CustomStringConvertible {
    let description: String
}

/// The whole contents of the regular file at `url`. Devices, FIFOs and directories are
/// refused before reading: a path like `/dev/zero` would otherwise be read without end.
/// Read, not mapped: a mapped file that another process truncates while we decode it
/// would kill us with SIGBUS instead of failing a bounds check.
func readRegularFile(_ url: URL) throws(FileReadError) -> Data {
    var info = stat()
    guard stat(url.path, &info) == 0 else {
        throw FileReadError(description: String(cString: strerror(errno)))
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw FileReadError(description: "not a regular file")
    }
    do { return try Data(contentsOf: url) } catch {
        throw FileReadError(description: (error as NSError).localizedDescription)
    }
}
