import CZlib
import Foundation

/// A file of unsigned-byte images in the IDX format (magic `0x00000803`, then the image
/// count, rows and columns as big-endian `UInt32`, then the pixels row by row).
///
/// ```swift
/// let images = try IDX.readImages(at: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// images.count      // 60000
/// images.pixels[0]  // first pixel of the first image, 0…255
/// ```
public struct IDXImages: Sendable, Equatable {
    /// How many images the file holds.
    public let count: Int
    /// Rows per image.
    public let rows: Int
    /// Columns per image.
    public let columns: Int
    /// `count × rows × columns` pixels in row-major order.
    public let pixels: [UInt8]
}

/// Reads the IDX files of MNIST-style datasets, plain or gzip-compressed (detected from the
/// first bytes, not the name). Every size is checked before memory is allocated for it: the
/// header's dimensions must be positive, their product must not overflow, and it must fit
/// in what the file can hold. A file that ends early — including a `.gz` that stops before
/// its end marker — is an error, never a short read.
public enum IDX {
    /// The magic number of an unsigned-byte vector (a label file).
    public static let labelMagic: UInt32 = 0x0000_0801
    /// The magic number of an unsigned-byte 3-d array (an image file).
    public static let imageMagic: UInt32 = 0x0000_0803

    /// Reads an image file (`…-images-idx3-ubyte[.gz]`).
    ///
    /// ```swift
    /// let test = try IDX.readImages(at: directory.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
    /// ```
    public static func readImages(at url: URL) throws(DatasetError) -> IDXImages {
        let (dimensions, payload) = try read(url, magic: imageMagic)
        return IDXImages(count: dimensions[0], rows: dimensions[1], columns: dimensions[2], pixels: payload)
    }

    /// Reads a label file (`…-labels-idx1-ubyte[.gz]`): one byte per sample.
    ///
    /// ```swift
    /// let labels = try IDX.readLabels(at: directory.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
    /// ```
    public static func readLabels(at url: URL) throws(DatasetError) -> [UInt8] {
        try read(url, magic: labelMagic).payload
    }

    /// The dimensions and payload of an IDX file whose magic must be `magic`.
    static func read(_ url: URL, magic: UInt32) throws(DatasetError) -> (dimensions: [Int], payload: [UInt8]) {
        let path = url.path
        let source = try ByteSource.open(path)
        var word = [UInt8](repeating: 0, count: 4)
        guard try source.read(into: &word, count: 4) == 4 else {
            throw .truncated(path: path, detail: "the file ends inside its 4-byte magic number")
        }
        let found = bigEndian(word, 0)
        guard found == magic else { throw .wrongMagic(path: path, found: found, expected: magic) }

        let rank = Int(magic & 0xFF)
        var header = [UInt8](repeating: 0, count: 4 * rank)
        guard try source.read(into: &header, count: header.count) == header.count else {
            throw .truncated(path: path, detail: "the file ends inside its header of \(rank) dimensions")
        }
        let dimensions = (0..<rank).map { Int(bigEndian(header, 4 * $0)) }
        if let zero = dimensions.firstIndex(of: 0) {
            throw .invalidHeader(path: path, detail: "dimension \(zero) of \(dimensions) is 0")
        }
        var size = 1
        for d in dimensions {
            let (product, overflow) = size.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .invalidHeader(path: path, detail: "the sizes \(dimensions) overflow") }
            size = product
        }
        let headerBytes = 4 + 4 * rank
        if let capacity = source.capacity(afterHeader: headerBytes), size > capacity.bytes {
            if source.isCompressed {
                throw .invalidHeader(path: path, detail: "the dimensions \(dimensions) need \(size) bytes, "
                    + "more than \(capacity.bytes) that \(capacity.reason) can hold")
            }
            throw .truncated(path: path, detail: "the header declares \(dimensions) = \(size) bytes of data, "
                + "but the file holds only \(capacity.bytes)")
        }

        if let fast = source.decompressWhole(total: headerBytes + size, keepingFrom: headerBytes) {
            return (dimensions, fast)
        }
        let payload = try source.isCompressed ? readGrowing(source, count: size) : readAtOnce(source, count: size)
        guard payload.count == size else {
            throw .truncated(path: path, detail: "the header declares \(dimensions) = \(size) bytes of data, "
                + "but the \(source.isCompressed ? "decompressed " : "")file ends after \(payload.count)")
        }
        try source.expectEnd()
        return (dimensions, payload)
    }

    /// Up to `count` bytes of a plain file, whose size was checked to hold them: one
    /// allocation of exactly the payload, read straight into.
    private static func readAtOnce(_ source: ByteSource, count: Int) throws(DatasetError) -> [UInt8] {
        var produced = 0
        var readError: DatasetError?
        let payload = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(DatasetError) { produced = try source.read(into: UnsafeMutableRawBufferPointer(buffer)) } catch { readError = error }
            initialized = produced
        }
        if let readError { throw readError }
        return payload
    }

    /// Up to `count` decompressed bytes. A gzip header's size is bounded only by deflate's
    /// 1032 : 1 ratio, so trusting it would let a small hostile file claim gigabytes; the
    /// buffer instead doubles as data actually arrives, so memory is at most twice what
    /// the stream really holds (plus the first megabyte).
    private static func readGrowing(_ source: ByteSource, count: Int) throws(DatasetError) -> [UInt8] {
        var payload: [UInt8] = []
        var chunk = min(count, 1 << 20)
        while payload.count < count {
            let before = payload.count, wanted = min(chunk, count - before)
            payload.append(contentsOf: repeatElement(0, count: wanted))
            var result: Result<Int, DatasetError> = .success(0)
            payload.withUnsafeMutableBytes { raw in
                do throws(DatasetError) {
                    result = .success(try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[before..<(before + wanted)])))
                } catch { result = .failure(error) }
            }
            let produced = try result.get()
            if produced < wanted {
                payload.removeLast(wanted - produced)
                break
            }
            chunk = payload.count
        }
        return payload
    }

    private static func bigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}

/// The bytes of a file, plain or inflated from gzip on the fly, read straight into the
/// caller's buffer (no intermediate copy of the decompressed data).
final class ByteSource {
    let path: String
    let isCompressed: Bool
    private let fd: Int32
    private let fileSize: Int
    private var consumed = 0                       // plain: bytes read so far
    private var stream: UnsafeMutablePointer<z_stream>?
    private var input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var streamEnded = false                // gzip: the last member's end marker was read

    /// The largest expansion deflate can achieve (RFC 1951: ~1032 : 1), used to reject
    /// headers that declare more data than a `.gz` of this size could ever hold.
    static let maximumDeflateRatio = 1032

    private init(path: String, fd: Int32, fileSize: Int, compressed: Bool) {
        self.path = path
        self.fd = fd
        self.fileSize = fileSize
        self.isCompressed = compressed
        // Compressed input is read in chunks of up to 1 MiB, never more than the file holds.
        self.input = .allocate(byteCount: compressed ? max(1, min(1 << 20, fileSize)) : 0, alignment: 16)
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
        close(fd)
    }

    static func open(_ path: String) throws(DatasetError) -> ByteSource {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .unreadable(path: path, reason: "not a regular file")
        }
        var magic: (UInt8, UInt8) = (0, 0)
        let sniffed = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        let compressed = sniffed == 2 && magic == (0x1F, 0x8B)
        let source = ByteSource(path: path, fd: fd, fileSize: Int(info.st_size), compressed: compressed)
        if compressed {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 + 16: a 32 KiB window and a gzip (not zlib) wrapper, whose CRC-32 zlib checks.
            guard inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw .unreadable(path: path, reason: "zlib could not start a decompressor")
            }
            source.stream = stream
        }
        return source
    }

    /// An upper bound on the data bytes after a header of `headerBytes`, with the reason.
    func capacity(afterHeader headerBytes: Int) -> (bytes: Int, reason: String)? {
        if !isCompressed { return (max(0, fileSize - headerBytes), "the file") }
        let (bound, overflow) = fileSize.multipliedReportingOverflow(by: Self.maximumDeflateRatio)
        return overflow ? nil : (bound, "a gzip file of \(fileSize) bytes")
    }

    /// The decompressed bytes `offset..<total` of the whole file through libdeflate, or nil
    /// (then read on with zlib) when that fast path does not apply.
    func decompressWhole(total: Int, keepingFrom offset: Int) -> [UInt8]? {
        guard isCompressed else { return nil }
        return FastInflate.decompress(fd: fd, fileSize: fileSize, total: total, keepingFrom: offset)
    }

    /// Reads up to `count` bytes into `bytes`; returns how many were read.
    func read(into bytes: inout [UInt8], count: Int) throws(DatasetError) -> Int {
        var result: Result<Int, DatasetError> = .success(0)
        bytes.withUnsafeMutableBytes { raw in
            do throws(DatasetError) { result = .success(try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))) }
            catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Fills `buffer` as far as the data goes; returns the bytes written (fewer only at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        isCompressed ? try inflate(into: buffer) : try readPlain(into: buffer)
    }

    /// Checks that nothing follows the data: no extra bytes, and for gzip a complete end marker.
    func expectEnd() throws(DatasetError) {
        if !isCompressed {
            if consumed < fileSize { throw .trailingData(path: path, extra: "\(fileSize - consumed) bytes") }
            return
        }
        var probe = [UInt8](repeating: 0, count: 4096)
        var extra = 0
        while true {
            let n = try read(into: &probe, count: probe.count)
            if n == 0 { break }
            extra += n
        }
        if extra > 0 { throw .trailingData(path: path, extra: "\(extra) more decompressed bytes") }
        if !streamEnded {
            throw .truncated(path: path, detail: "the gzip stream stops before its end marker (CRC-32 and length), so it cannot be verified")
        }
    }

    private func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = Foundation.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            filled += n
        }
        consumed += filled
        return filled
    }

    private func refill() throws(DatasetError) {
        guard let stream, stream.pointee.avail_in == 0, !inputEnded else { return }
        while true {
            let n = Foundation.read(fd, input.baseAddress!, input.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { inputEnded = true }
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(n)
            return
        }
    }

    private func inflate(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        guard let stream else { return 0 }
        var filled = 0
        while filled < buffer.count && !streamEnded {
            try refill()
            let room = min(buffer.count - filled, Int(UInt32.max))
            stream.pointee.next_out = (buffer.baseAddress! + filled).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            filled += room - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated .gz files are valid gzip).
                try refill()
                if stream.pointee.avail_in == 0 { streamEnded = true; break }
                guard stream.pointee.next_in.pointee == 0x1F else {
                    throw .trailingData(path: path, extra: "bytes that are not gzip data after the end of the gzip stream")
                }
                inflateReset(stream)
            case Z_BUF_ERROR where inputEnded && stream.pointee.avail_in == 0:
                return filled                      // the compressed data ran out: truncated
            case Z_BUF_ERROR:
                continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .corrupt(path: path, reason: message)
            }
        }
        return filled
    }
}
