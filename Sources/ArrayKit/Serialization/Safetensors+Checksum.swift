import Foundation

// The safetensors format has no checksum of its own, so a flipped bit in a weight loads as a
// slightly different weight and nobody knows. The files written here carry two SHA-256
// digests in `__metadata__` (the one place the format leaves for extra data: a string map),
// and the reader checks them before a single tensor is converted:
//
// - the data section, every byte after the header — what `sha256sum` of the file's tail
//   prints, so any tool can check it;
// - the header: tensor names, dtypes, shapes and offsets, and the other metadata (a
//   checkpoint's manifest lives there), so a flip that leaves valid JSON is caught too.
//
// Files without the keys (PyTorch's, NumPy's) are read as before.
extension Safetensors {
    /// The metadata key of the SHA-256 of the data section (all bytes after the header), as
    /// 64 lowercase hex digits. In Python:
    /// `hashlib.sha256(raw[8 + header_length:]).hexdigest()`.
    public static let dataChecksumKey = "backprop.data_sha256"

    /// The metadata key of the SHA-256 of the header without this entry and without padding:
    /// the compact JSON the writer produces, `{"__metadata__":{…keys sorted…},"name":{"dtype",
    /// "shape","data_offsets"},…}`, with ``dataChecksumKey`` among the metadata and the tensors
    /// in data order (by start offset, then end offset, then name). A reader rebuilds that text
    /// from what it parsed, so the check does not depend on how the JSON was spaced or ordered.
    public static let headerChecksumKey = "backprop.header_sha256"

    /// `metadata` plus the checksums of a file with these tensors and data section.
    static func checksummed(_ metadata: [String: String]?, tensors: [HeaderEntry], body: Data) -> [String: String] {
        var metadata = metadata ?? [:]
        metadata[headerChecksumKey] = nil
        metadata[dataChecksumKey] = sha256Hex(body)
        metadata[headerChecksumKey] = headerChecksum(metadata: metadata, tensors: tensors)
        return metadata
    }

    /// Checks the header, then the data section, against the digests in `metadata`; a file
    /// without them passes.
    static func verifyChecksums(metadata: [String: String], tensors: [HeaderEntry], body: Data) throws(SafetensorsError) {
        let recordedData = metadata[dataChecksumKey], recordedHeader = metadata[headerChecksumKey]
        if recordedData == nil && recordedHeader == nil { return }
        // The writer records both; one alone means the other's key was damaged.
        guard let recordedData, let recordedHeader else {
            throw .checksumMissing(recordedData == nil ? dataChecksumKey : headerChecksumKey)
        }
        var rest = metadata
        rest[headerChecksumKey] = nil
        let header = headerChecksum(metadata: rest, tensors: tensors)
        guard header == recordedHeader else { throw .headerChecksumMismatch(recorded: recordedHeader, computed: header) }
        let data = sha256Hex(body)
        guard data == recordedData else { throw .dataChecksumMismatch(recorded: recordedData, computed: data) }
    }

    private static func headerChecksum(metadata: [String: String], tensors: [HeaderEntry]) -> String {
        let ordered = tensors.sorted {
            $0.offsets != $1.offsets ? $0.offsets.lexicographicallyPrecedes($1.offsets) : $0.name < $1.name
        }
        return sha256Hex(Data(headerJSON(metadata: metadata, entries: ordered).utf8))
    }

    static func sha256Hex(_ bytes: Data) -> String { bytes.withUnsafeBytes { SHA256.hexDigest(of: $0) } }
}

extension SafetensorsFile {
    /// Whether the metadata records checksums (the file was written by this package's writer).
    public var hasChecksums: Bool {
        metadata[Safetensors.dataChecksumKey] != nil || metadata[Safetensors.headerChecksumKey] != nil
    }

    /// Checks the header, then the data section, against the digests in the metadata; a file
    /// without them passes. ``Safetensors/decode(_:verifyingChecksums:)`` does this unless told not to.
    ///
    /// ```swift
    /// let file = try Safetensors.read(contentsOf: url, verifyingChecksums: false)   // to salvage what is left
    /// do { try file.verifyChecksums() } catch { print(error) }   // "… does not match its checksum …"
    /// ```
    public func verifyChecksums() throws(SafetensorsError) {
        let tensors = entries.map {
            HeaderEntry(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, offsets: [$0.byteRange.lowerBound, $0.byteRange.upperBound])
        }
        try Safetensors.verifyChecksums(metadata: metadata, tensors: tensors, body: body)
    }
}
