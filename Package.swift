// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: CBLAS → ArrayKit → AutoGrad → Training → executables.
let package = Package(
    name: "Backprop",
    products: [
        .library(name: "ArrayKit", targets: ["ArrayKit"]),
        .library(name: "AutoGrad", targets: ["AutoGrad"]),
        .library(name: "Training", targets: ["Training"]),
        .executable(name: "train-manual", targets: ["train-manual"]),
        .executable(name: "train-autograd", targets: ["train-autograd"]),
        .executable(name: "compare-backends", targets: ["compare-backends"]),
        .executable(name: "lr-sweep", targets: ["lr-sweep"]),
        .executable(name: "evaluate-model", targets: ["evaluate-model"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` (scripts/build-docs.sh); a plugin, so no
        // target links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS is loaded at run time (dlopen) so that the CPU's fast kernel can be
        // chosen before the library initialises; see Sources/CBLAS/blas_loader.c.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "ArrayKit",
            dependencies: ["CBLAS", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(
            name: "AutoGrad",
            dependencies: ["ArrayKit", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(name: "Training", dependencies: ["ArrayKit", "AutoGrad", "CZlib"]),
        .executableTarget(name: "arraykit-demo", dependencies: ["ArrayKit"]),
        // The options, validation and run logic the training executables share; each
        // executable is a one-line main.swift over it, so tests can drive it in-process.
        .target(
            name: "TrainingCLI",
            dependencies: ["Training", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "train-manual", dependencies: ["TrainingCLI"]),
        .executableTarget(name: "train-autograd", dependencies: ["TrainingCLI"]),
        .executableTarget(name: "compare-backends", dependencies: ["TrainingCLI"]),
        .executableTarget(name: "lr-sweep", dependencies: ["TrainingCLI"]),
        .executableTarget(name: "evaluate-model", dependencies: ["TrainingCLI"]),
        // Runs python3 for the tests that compare against NumPy; not a product.
        .target(name: "ReferencePython", path: "Tests/ReferencePython"),
        // `expectEqual` for arrays: a mismatch is one issue with counts and indices, never
        // the arrays printed in full; not a product.
        .target(name: "ArrayAssertions", dependencies: ["ArrayKit"], path: "Tests/ArrayAssertions"),
        .testTarget(name: "ArrayAssertionsTests", dependencies: ["ArrayAssertions", "ArrayKit"]),
        .testTarget(name: "ArrayKitTests", dependencies: ["ArrayKit", "ArrayAssertions", "ReferencePython"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AutoGradTests", dependencies: ["AutoGrad", "ArrayKit", "ArrayAssertions"]),
        // The numerical checks of every formula in Docs/ (derivations, Question 5).
        .testTarget(name: "DocsTests", dependencies: ["ArrayKit", "ArrayAssertions"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TrainingCLI", "ArrayAssertions", "ReferencePython"], resources: [.copy("Fixtures")]),
        // ArrayKit's hand-written backprop against AutoGrad's tape, and both against PyTorch
        // fixtures made by scripts/make_reference_fixtures.py.
        .testTarget(name: "CrossCheckTests", dependencies: ["ArrayKit", "AutoGrad", "ArrayAssertions", "ReferencePython"], resources: [.copy("Fixtures")]),
        // Every ```swift block of README.md and Docs/*.md, extracted at build time into this
        // target (one file each) and run; see Tests/DocSnippetExtractor/main.swift. Warnings are
        // off here only: a snippet shows values it does not go on to use.
        .executableTarget(name: "DocSnippetExtractor", path: "Tests/DocSnippetExtractor"),
        .plugin(name: "DocSnippetsPlugin", capability: .buildTool(), dependencies: ["DocSnippetExtractor"]),
        .testTarget(
            name: "DocSnippetTests", dependencies: ["ArrayKit", "AutoGrad", "Training"],
            plugins: ["DocSnippetsPlugin"]
        ),
    ]
)
