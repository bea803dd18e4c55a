// libFuzzer entry point for the IDX reader (IDX.readImages / IDX.readLabels); built by
// run.sh, not by SwiftPM. The reader takes paths, so each input is written to a file in
// /dev/shm twice: as it is (plain, or a damaged .gz when it starts with 1F 8B), and
// gzip-compressed, which drives arbitrary headers and payloads through the decompressing
// path. Both must decode or throw a DatasetError, and agree: a trap, a sanitizer report or
// an allocation over -malloc_limit_mb is a failure.
import CZlib
import Foundation
import Training

/// run.sh passes a directory it removes afterwards; otherwise one per process.
private let directory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = ProcessInfo.processInfo.environment["IDX_FUZZ_DIR"] ?? "\(base)/idx-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()
private let plainURL = URL(fileURLWithPath: "\(directory)/plain")
private let gzipURL = URL(fileURLWithPath: "\(directory)/data.gz")

/// `bytes` as a one-member gzip file. A 512-byte window and the smallest hash table keep
/// zlib's per-call setup (hundreds of KB with the defaults) from dominating each execution.
private func writeGzip(_ bytes: UnsafeRawBufferPointer, to url: URL) {
    var stream = z_stream()
    guard deflateInit2_(&stream, 6, Z_DEFLATED, 16 + 9, 1, Z_DEFAULT_STRATEGY, zlibVersion(),
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK else { fatalError("deflateInit2 failed") }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
    let written: Int = output.withUnsafeMutableBufferPointer { out in
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        stream.next_out = out.baseAddress
        stream.avail_out = uInt(out.count)
        guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { fatalError("deflate did not finish") }
        return out.count - Int(stream.avail_out)
    }
    guard FileManager.default.createFile(atPath: url.path, contents: Data(output[0..<written])) else {
        fatalError("cannot write \(url.path)")
    }
}

private enum Outcome: Equatable {
    case labels([UInt8]), images(IDXImages), failed
}

private func readBoth(_ url: URL) -> (labels: Outcome, images: Outcome) {
    let labels: Outcome
    do { labels = .labels(try IDX.readLabels(at: url)) } catch { _ = error.description; labels = .failed }
    let images: Outcome
    do {
        let read = try IDX.readImages(at: url)
        guard read.pixels.count == read.count * read.rows * read.columns else { fatalError("pixel count does not fit the header") }
        images = .images(read)
    } catch { _ = error.description; images = .failed }
    return (labels, images)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let data = count == 0 ? Data() : Data(bytes: start!, count: count)
    guard FileManager.default.createFile(atPath: plainURL.path, contents: data) else { fatalError("cannot write \(plainURL.path)") }
    writeGzip(bytes, to: gzipURL)
    let plain = readBoth(plainURL)
    let gzip = readBoth(gzipURL)
    // The decompressed file is the input, so it must read exactly as the input does (unless
    // the input itself is gzip, which the plain read decompresses).
    let inputIsGzip = count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    if !inputIsGzip {
        guard plain.labels == gzip.labels, plain.images == gzip.images else {
            fatalError("plain and gzip readings of the same bytes differ")
        }
    }
    return 0
}
