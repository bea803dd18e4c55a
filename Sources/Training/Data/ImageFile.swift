import ArrayKit
import Foundation

/// Images to classify, read from a file and turned into a model's input: a `.npy` array of
/// shape `[N, rows, columns]` or `[N, rows × columns]` (`uint8` pixels 0–255, or `float32` /
/// `float64` already scaled to [0, 1], as torchvision's `ToTensor` gives), or an IDX image
/// file (`…-images-idx3-ubyte[.gz]`). Pixels are normalized as in training:
/// `(pixel / 255 − mean) / std`, in `Float`.
///
/// ```swift
/// let features = try ImageFile.features(contentsOf: URL(fileURLWithPath: "shirts.npy"), featureCount: 784,
///                                       normalization: Normalization(mean: 0.2860, std: 0.3530))   // [N, 784]
/// ```
public enum ImageFile {
    /// The normalized features `[N, featureCount]` of the images in `url`; throws an
    /// ``ImageFileError`` saying what is wrong with the file and what to do.
    public static func features(contentsOf url: URL, featureCount: Int, normalization: Normalization) throws -> NDArray<Float> {
        guard url.pathExtension.lowercased() == "npy" else {
            let images: IDXImages
            do { images = try IDX.readImages(at: url) } catch {
                throw ImageFileError(description: "\(url.path): \(error) — give a .npy array of images or an IDX image file")
            }
            try checkSize([images.count, images.rows, images.columns], featureCount: featureCount, url: url)
            return NDArray(images.pixels.map(normalization.normalize), shape: [images.count, featureCount])
        }
        let array: NPYArray
        do { array = try NPYArray(contentsOf: url) } catch {
            throw ImageFileError(description: "\(url.path): \(error)")
        }
        try checkSize(array.shape, featureCount: featureCount, url: url)
        let count = array.shape[0]
        switch array {
        case .uint8(let pixels):
            return NDArray(pixels.scalars.map(normalization.normalize), shape: [count, featureCount])
        case .float32(let values):
            return try scaled(values.scalars, count: count, featureCount: featureCount, normalization: normalization, url: url)
        case .float64(let values):
            return try scaled(values.scalars.map { Float($0) }, count: count, featureCount: featureCount,
                              normalization: normalization, url: url)
        case .int64:
            throw ImageFileError(description: "\(url.path) holds int64 values; save the images as uint8 pixels (0–255) "
                + "or as float32 scaled to [0, 1]: numpy.save(path, images.astype(numpy.uint8))")
        }
    }

    /// Float pixels in [0, 1], normalized; anything else would be a silently wrong answer.
    private static func scaled(_ values: [Float], count: Int, featureCount: Int, normalization: Normalization,
                               url: URL) throws -> NDArray<Float> {
        if let bad = values.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw ImageFileError(description: "\(url.path) holds the float value \(bad); float images are pixels scaled "
                + "to [0, 1] — divide 0–255 pixels by 255, or save them as uint8")
        }
        return NDArray(values.map { ($0 - normalization.mean) / normalization.std }, shape: [count, featureCount])
    }

    private static func checkSize(_ shape: [Int], featureCount: Int, url: URL) throws {
        let features = shape.dropFirst().reduce(1, *)
        guard (shape.count == 2 || shape.count == 3), features == featureCount, shape[0] >= 1 else {
            let side = Int(Double(featureCount).squareRoot())
            let square = side * side == featureCount ? "[N, \(side), \(side)] or " : ""
            throw ImageFileError(description: "\(url.path) has shape (\(shape.map(String.init).joined(separator: ", "))); "
                + "the model takes \(square)[N, \(featureCount)] images, at least one")
        }
    }
}

/// An image file that cannot be classified; the text names the file, the problem and what to do.
public struct ImageFileError: Error, CustomStringConvertible {
    public let description: String
}
