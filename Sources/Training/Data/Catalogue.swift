import Foundation

/// One of the four files of an MNIST-style dataset, with the SHA-256 of its decompressed
/// bytes where it is published (and of the `.gz` where only that is).
///
/// ```swift
/// DatasetSpec.fashionMNIST.files.trainImages.name   // "train-images-idx3-ubyte"
/// ```
public struct DatasetFile: Sendable, Equatable {
    /// The file name without `.gz`.
    public let name: String
    /// SHA-256 of the decompressed file, when known.
    public let sha256: String?
    /// SHA-256 of the `.gz` as the mirror serves it, when only that is published.
    public let gzipSHA256: String?

    /// A file with the checksums that are published for it.
    public init(name: String, sha256: String? = nil, gzipSHA256: String? = nil) {
        self.name = name
        self.sha256 = sha256
        self.gzipSHA256 = gzipSHA256
    }
}

/// The four files of a dataset: training and test images and labels.
public struct DatasetFiles: Sendable, Equatable {
    /// The training images, `train-images-idx3-ubyte`.
    public let trainImages: DatasetFile
    /// The training labels, `train-labels-idx1-ubyte`.
    public let trainLabels: DatasetFile
    /// The test images, `t10k-images-idx3-ubyte`.
    public let testImages: DatasetFile
    /// The test labels, `t10k-labels-idx1-ubyte`.
    public let testLabels: DatasetFile

    /// The four files.
    public init(trainImages: DatasetFile, trainLabels: DatasetFile, testImages: DatasetFile, testLabels: DatasetFile) {
        self.trainImages = trainImages
        self.trainLabels = trainLabels
        self.testImages = testImages
        self.testLabels = testLabels
    }

    /// The standard MNIST file names, with checksums in that order (nil when unknown).
    public init(sha256: [String?] = [nil, nil, nil, nil], gzipSHA256: [String?] = [nil, nil, nil, nil]) {
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        let files = (0..<4).map { DatasetFile(name: names[$0], sha256: sha256[$0], gzipSHA256: gzipSHA256[$0]) }
        self.init(trainImages: files[0], trainLabels: files[1], testImages: files[2], testLabels: files[3])
    }

    /// Images and labels of training, then of test.
    public var all: [DatasetFile] { [trainImages, trainLabels, testImages, testLabels] }
}

/// An MNIST-style dataset: its name, class names, files, where to download it and where a
/// system package installs it.
///
/// ```swift
/// let spec = try DatasetSpec.named("mnist")        // or a directory path
/// spec.classNames[3]                                // "3"
/// DatasetSpec.fashionMNIST.classNames[9]            // "Ankle boot"
/// ```
public struct DatasetSpec: Sendable, Equatable {
    /// The name used on the command line and as the cache directory, e.g. `fashion-mnist`.
    public let name: String
    /// The name for people, e.g. `Fashion-MNIST`.
    public let displayName: String
    /// One name per class; labels index into it.
    public let classNames: [String]
    /// The four IDX files.
    public let files: DatasetFiles
    /// Base URLs (ending in `/`) that serve `<file>.gz`, tried in order.
    public let mirrors: [String]
    /// Directories where a system package installs the files.
    public let systemDirectories: [String]
    /// The command that installs the files, if a package does; otherwise `--download` is the fix.
    public let installCommand: String?
    /// For a dataset given as a directory: that directory, searched before anything else.
    public let directory: String?

    /// A dataset from its parts; the arguments set the properties of the same names.
    public init(name: String, displayName: String, classNames: [String], files: DatasetFiles,
                mirrors: [String] = [], systemDirectories: [String] = [], installCommand: String? = nil,
                directory: String? = nil) {
        self.name = name
        self.displayName = displayName
        self.classNames = classNames
        self.files = files
        self.mirrors = mirrors
        self.systemDirectories = systemDirectories
        self.installCommand = installCommand
        self.directory = directory
    }

    /// The number of classes: every label must be below it.
    public var classCount: Int { classNames.count }

    /// Zalando's Fashion-MNIST (MIT licence): 60,000 + 10,000 clothing images in 10 classes.
    /// Debian's `dataset-fashion-mnist` installs it under `/usr/share/datasets/fashion-mnist`.
    /// The checksums are of the decompressed files (the same as upstream's; Debian
    /// recompressed the `.gz` files, so their own hashes differ from upstream's).
    public static let fashionMNIST = DatasetSpec(
        name: "fashion-mnist", displayName: "Fashion-MNIST",
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        files: DatasetFiles(sha256: [
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ]),
        mirrors: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
        systemDirectories: ["/usr/share/datasets/fashion-mnist"],
        installCommand: "sudo apt-get install dataset-fashion-mnist")

    /// LeCun, Cortes and Burges' handwritten digits.
    public static let mnist = DatasetSpec(
        name: "mnist", displayName: "MNIST",
        classNames: (0..<10).map(String.init),
        files: DatasetFiles(sha256: [
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ]),
        mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                  "https://storage.googleapis.com/cvdf-datasets/mnist/"])

    /// Kuzushiji-MNIST (CODH, CC BY-SA 4.0): cursive Japanese, one hiragana per class. Only
    /// the SHA-256 of the `.gz` files is published (the decompressed files' is not), so the
    /// download verifies the archives.
    public static let kmnist = DatasetSpec(
        name: "kmnist", displayName: "Kuzushiji-MNIST",
        classNames: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        files: DatasetFiles(gzipSHA256: [
            "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
        ]),
        mirrors: ["https://codh.rois.ac.jp/kmnist/dataset/kmnist/"])

    /// The datasets known by name; the first is the default.
    public static let catalogue: [DatasetSpec] = [.fashionMNIST, .mnist, .kmnist]

    /// Any directory holding the four files under their standard names (plain or `.gz`),
    /// with ten classes named `0`…`9`.
    ///
    /// ```swift
    /// let spec = DatasetSpec.directory(URL(fileURLWithPath: "/data/my-mnist"))
    /// ```
    public static func directory(_ url: URL, classNames: [String] = (0..<10).map(String.init)) -> DatasetSpec {
        let path = url.standardizedFileURL.path
        return DatasetSpec(name: url.lastPathComponent, displayName: path, classNames: classNames,
                           files: DatasetFiles(), directory: path)
    }

    /// The catalogue entry called `name`, or else the directory at that path.
    ///
    /// ```swift
    /// try DatasetSpec.named("kmnist").displayName   // "Kuzushiji-MNIST"
    /// ```
    public static func named(_ name: String) throws(DatasetError) -> DatasetSpec {
        if let spec = catalogue.first(where: { $0.name == name.lowercased() }) { return spec }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
            return directory(URL(fileURLWithPath: name))
        }
        throw .unknownDataset(name: name, known: catalogue.map(\.name))
    }

    /// What to run when the dataset is nowhere to be found.
    public var fix: String {
        if directory != nil { return "check the path, which must hold the four IDX files (plain or .gz)" }
        if let installCommand { return "\(installCommand)   (or run with --download)" }
        return "run with --download to fetch \(displayName) into the cache"
    }
}
