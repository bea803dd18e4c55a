// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: CBLAS → ArrayKit → AutoGrad → Training → executables.
let package = Package(
    name: "Backprop",
    products: [
        .library(name: "ArrayKit", targets: ["ArrayKit"]),
        .library(name: "AutoGrad", targets: ["AutoGrad"]),
        .library(name: "Training", targets: ["Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .testTarget(name: "ArrayKitTests", dependencies: ["ArrayKit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AutoGradTests", dependencies: ["AutoGrad", "ArrayKit"]),
        // The numerical checks of every formula in Docs/ (derivations, Question 5).
        .testTarget(name: "DocsTests", dependencies: ["ArrayKit"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"], resources: [.copy("Fixtures")]),
        // ArrayKit's hand-written backprop against AutoGrad's tape, and both against PyTorch
        // fixtures made by scripts/make_reference_fixtures.py.
        .testTarget(name: "CrossCheckTests", dependencies: ["ArrayKit", "AutoGrad"], resources: [.copy("Fixtures")]),
    ]
)
