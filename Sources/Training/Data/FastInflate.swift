import Foundation

/// An optional fast path for whole `.gz` files through libdeflate (about twice zlib's
/// inflate speed), loaded at run time with `dlopen` so that the package needs neither its
/// headers nor the library: Debian ships it as `libdeflate0` (a dependency of libtiff, so it
/// is usually present). When it is missing, or a file is anything but one well-formed gzip
/// member of exactly the expected size, the caller falls back to zlib, which also produces
/// the precise error messages.
enum FastInflate {
    private typealias Alloc = @convention(c) () -> OpaquePointer?
    private typealias Free = @convention(c) (OpaquePointer?) -> Void
    private typealias GzipDecompress = @convention(c) (
        OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int,
        UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> Int32

    private struct Library: @unchecked Sendable {   // immutable C function pointers
        let alloc: Alloc
        let free: Free
        let decompress: GzipDecompress
    }

    private static let library: Library? = {
        guard ProcessInfo.processInfo.environment["BACKPROP_NO_LIBDEFLATE"] == nil,
              let handle = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL),
              let alloc = dlsym(handle, "libdeflate_alloc_decompressor"),
              let free = dlsym(handle, "libdeflate_free_decompressor"),
              let decompress = dlsym(handle, "libdeflate_gzip_decompress_ex") else { return nil }
        return Library(alloc: unsafeBitCast(alloc, to: Alloc.self), free: unsafeBitCast(free, to: Free.self),
                       decompress: unsafeBitCast(decompress, to: GzipDecompress.self))
    }()

    /// The largest decompressed-to-compressed size ratio given the fast path.
    static let maximumRatio = 32

    /// Whether libdeflate was found.
    static var isAvailable: Bool { library != nil }

    /// The decompressed bytes `offset..<total` of the gzip file `fd` (of `fileSize` bytes),
    /// or nil when the fast path does not apply: no libdeflate, a size in the gzip trailer
    /// other than `total`, several members, damage of any kind.
    static func decompress(fd: Int32, fileSize: Int, total: Int, keepingFrom offset: Int) -> [UInt8]? {
        // libdeflate needs the whole output buffer up front, sized by what the header claims;
        // only a plausible claim gets one (real image and label files compress 2–5 : 1). Larger
        // ratios go through zlib, whose buffer grows with the data actually decompressed.
        guard let library, fileSize >= 18, total >= offset, total / maximumRatio <= fileSize else { return nil }
        // The trailer's ISIZE (size mod 2^32) must match the header's size before anything
        // is allocated for it.
        var trailer: UInt32 = 0
        guard pread(fd, &trailer, 4, off_t(fileSize - 4)) == 4,
              UInt32(littleEndian: trailer) == UInt32(truncatingIfNeeded: total) else { return nil }
        // Map the compressed file rather than copy it; decompress straight into the result's
        // storage, then slide the data over the header: no second 47 MB buffer to fault in.
        guard let mapped = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return nil }
        defer { munmap(mapped, fileSize) }
        guard let decompressor = library.alloc() else { return nil }
        defer { library.free(decompressor) }
        var succeeded = false
        let result = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            var consumed = 0, produced = 0
            let status = library.decompress(decompressor, mapped, fileSize, buffer.baseAddress, total, &consumed, &produced)
            succeeded = status == 0 && consumed == fileSize && produced == total
            guard succeeded else { initialized = 0; return }
            memmove(buffer.baseAddress!, buffer.baseAddress! + offset, total - offset)
            initialized = total - offset
        }
        return succeeded ? result : nil
    }
}
